import { describe, expect, it } from 'vitest';
import { IOVA_ERR_INVALID, IOVA_ERR_NOMEM, IOVA_ERR_OVERLAP, IOVA_OK, IovaTree, iovaErrName, type IovaTreeFix } from './iovaTree';
import { resolveCostTable } from '../../sim/costTable';

const tree = (fix: IovaTreeFix = 'none') => new IovaTree('iovaTree.t', fix, resolveCostTable());
const PAGE = 0x1000;

/** Inserts n one-page maps at IOVA i*PAGE, host address HOST + i*PAGE, id = i*PAGE. */
function filled(n: number, fix: IovaTreeFix = 'none', host = 0x7f00_0000_0000): IovaTree {
  const t = tree(fix);
  for (let i = 0; i < n; i++) expect(t.insert(i * PAGE, host + i * PAGE, PAGE - 1, 'rw', i * PAGE)).toBe(IOVA_OK);
  return t;
}

describe('iova_tree_insert', () => {
  it('refuses a map whose inclusive end wraps past 2^64 - 1 with IOVA_ERR_INVALID', () => {
    const t = tree();
    expect(t.insert(2 ** 64 - PAGE, 0x1000, PAGE, 'rw')).toBe(IOVA_ERR_INVALID);
    expect(t.insert(2 ** 64 - PAGE, 0x1000, PAGE - 1, 'rw')).toBe(IOVA_OK);
    expect(t.mapCount).toBe(1);
  });

  it('refuses a map with no permission (IOMMU_NONE) with IOVA_ERR_INVALID', () => {
    expect(tree().insert(0x1000, 0x1000, PAGE - 1, 'none')).toBe(IOVA_ERR_INVALID);
  });

  it('refuses any overlap with IOVA_ERR_OVERLAP, including one shared byte', () => {
    const t = tree();
    expect(t.insert(0x1000, 0x10000, PAGE - 1, 'rw')).toBe(IOVA_OK);
    expect(t.insert(0x1fff, 0x20000, 0, 'ro')).toBe(IOVA_ERR_OVERLAP);
    expect(t.insert(0x0, 0x20000, PAGE, 'ro')).toBe(IOVA_ERR_OVERLAP);
    expect(t.mapCount).toBe(1);
  });

  it('keeps adjacent maps separate (no merging, whatever the header comment says)', () => {
    const t = tree();
    expect(t.insert(0x1000, 0x10000, PAGE - 1, 'rw')).toBe(IOVA_OK);
    expect(t.insert(0x2000, 0x11000, PAGE - 1, 'rw')).toBe(IOVA_OK);
    expect(t.maps().map((m) => [m.iova, m.size])).toEqual([
      [0x1000, 0xfff],
      [0x2000, 0xfff],
    ]);
  });
});

describe('GTree shape (glib/gtree.c AVL)', () => {
  it('balances sequential inserts like GLib: 1..7 gives root 4', () => {
    const t = tree();
    for (let i = 1; i <= 7; i++) t.insert(i * PAGE, i * PAGE, 0, 'rw');
    expect((t.snapshot() as { shape: number[] }).shape).toEqual([4, 2, 1, 3, 6, 5, 7].map((i) => i * PAGE));
  });

  it('replaces a removed node that has two children by its in-order successor', () => {
    const t = tree();
    for (let i = 1; i <= 7; i++) t.insert(i * PAGE, i * PAGE, 0, 'rw');
    t.remove(4 * PAGE, 0);
    expect((t.snapshot() as { shape: number[] }).shape).toEqual([5, 2, 1, 3, 6, 7].map((i) => i * PAGE));
    t.remove(2 * PAGE, 0);
    expect((t.snapshot() as { shape: number[] }).shape).toEqual([5, 3, 1, 6, 7].map((i) => i * PAGE));
    expect(t.checkInvariants()).toEqual([]);
  });
});

describe('iova_tree_find', () => {
  it('returns the overlapping map nearest the GTree root, not the lowest one', () => {
    const t = tree();
    for (let i = 0; i < 3; i++) t.insert(i * PAGE, 0x10000 + i * PAGE, PAGE - 1, 'rw');
    // After a rotation the middle map is the root: the search meets it first.
    expect(t.find(0, 3 * PAGE - 1)?.iova).toBe(PAGE);
    expect(t.lastSteps).toBe(1);
  });

  it('returns null when nothing overlaps (a successful lookup, not an error)', () => {
    const t = filled(4);
    expect(t.find(100 * PAGE, 0)).toBeNull();
  });

  it('costs O(log n) comparisons: at most 1.45 log2(n + 2) for 65535 maps', () => {
    const t = filled(65535);
    t.find(65534 * PAGE, 0);
    expect(t.lastSteps).toBeLessThanOrEqual(Math.ceil(1.45 * Math.log2(65537)));
    expect(t.lastCostNs).toBe(t.lastSteps * resolveCostTable().qemuIovaTreeStepNs);
  });
});

describe('iova_tree_find_iova today (linear g_tree_foreach)', () => {
  it('returns the first map in IOVA order whose host range overlaps, ignoring ids', () => {
    const t = tree();
    t.insert(0x5000, 0x9000, PAGE - 1, 'rw', 5);
    t.insert(0x1000, 0x9800, PAGE - 1, 'rw', 1);
    expect(t.findIova(0x9900, 0)?.iova).toBe(0x1000);
  });

  it('visits maps one by one: comparisons grow linearly with the number of maps', () => {
    const small = filled(64);
    small.findIova(0x7f00_0000_0000 + 63 * PAGE, 0);
    const big = filled(1024);
    big.findIova(0x7f00_0000_0000 + 1023 * PAGE, 0);
    expect(small.lastSteps).toBe(64);
    expect(big.lastSteps).toBe(1024);
    expect(big.lookupComparisons).toBe(1024);
  });

  it('walks every map and returns null when no host range overlaps', () => {
    const t = filled(10);
    expect(t.findIova(0x1000, 0)).toBeNull();
    expect(t.lastSteps).toBe(10);
  });
});

/** Reference 004: two guest regions (different GPAs) backed by the same host range. */
function aliasTree(fix: IovaTreeFix): IovaTree {
  const t = tree(fix);
  const host = 0x7f12_3400_0000;
  expect(t.insert(0x10_0000, host, 0xf_ffff, 'rw', 0x0)).toBe(IOVA_OK); // region A, GPA 0
  expect(t.insert(0x80_0000, host, 0xf_ffff, 'rw', 0x1_0000_0000)).toBe(IOVA_OK); // region B, GPA 4 GiB
  return t;
}

describe('the alias case of reference 004', () => {
  it('today the reverse lookup for region B returns region A: a wrong translation', () => {
    const t = aliasTree('none');
    const m = t.findIova(0x7f12_3400_0000 + 0x2000, 0xfff, 0x1_0000_0000);
    expect(m?.id).toBe(0);
    expect(t.lastWrong).toBe(true);
    expect(t.wrongTranslations).toBe(1);
  });

  it("with 'id' the lookup for region B returns region B", () => {
    const t = aliasTree('id');
    expect(t.findIova(0x7f12_3400_0000 + 0x2000, 0xfff, 0x1_0000_0000)?.iova).toBe(0x80_0000);
    expect(t.findIova(0x7f12_3400_0000 + 0x2000, 0xfff, 0x0)?.iova).toBe(0x10_0000);
    expect(t.wrongTranslations).toBe(0);
  });

  it("with 'reverse-index' alone the lookup is still wrong: the index returns the first host-overlapping map", () => {
    const t = aliasTree('reverse-index');
    expect(t.findIova(0x7f12_3400_0000 + 0x2000, 0xfff, 0x1_0000_0000)?.iova).toBe(0x10_0000);
    expect(t.lastWrong).toBe(true);
  });

  it("with 'id+reverse-index' the lookup is right and logarithmic", () => {
    const t = aliasTree('id+reverse-index');
    expect(t.findIova(0x7f12_3400_0000 + 0x2000, 0xfff, 0x1_0000_0000)?.iova).toBe(0x80_0000);
    expect(t.lastWrong).toBe(false);
  });

  it("with 'id' a needle without id matches only host-only maps (the SVQ concern raised in the thread)", () => {
    const t = aliasTree('id');
    expect(t.findIova(0x7f12_3400_0000, 0)).toBeNull();
    t.insert(0x100_0000, 0x7f12_3400_0000, 0xfff, 'rw');
    expect(t.findIova(0x7f12_3400_0000, 0)?.iova).toBe(0x100_0000);
  });

  it('a lookup without an intended region is never counted wrong', () => {
    const t = aliasTree('none');
    t.findIova(0x7f12_3400_0000, 0);
    expect(t.lastWrong).toBe(false);
  });
});

describe('reverse index cost', () => {
  it('reverse lookups cost O(log n) comparisons with the reverse index', () => {
    for (const fix of ['reverse-index', 'id+reverse-index'] as const) {
      const small = filled(64, fix);
      small.findIova(0x7f00_0000_0000 + 63 * PAGE, 0, 63 * PAGE);
      const big = filled(65536, fix);
      big.findIova(0x7f00_0000_0000 + 65535 * PAGE, 0, 65535 * PAGE);
      expect(big.lastMap?.iova).toBe(65535 * PAGE);
      expect(big.lastSteps).toBeLessThanOrEqual(2 * Math.ceil(1.45 * Math.log2(65538)));
      expect(big.lastSteps).toBeLessThan(small.lastSteps * 4);
    }
  });
});

describe('partial reverse matches', () => {
  it('reports the part of the needle the map does not cover, and counts the second search it needs', () => {
    // Reference 004: buffer (vaddr 0x1000, 0x3000 bytes); the tree holds (0x1000, 0x2000 bytes) first.
    const t = tree();
    t.insert(0x10000, 0x1000, 0x1fff, 'rw');
    t.insert(0x20000, 0x1000, 0x2fff, 'rw');
    const m = t.findIova(0x1000, 0x2fff);
    expect(m?.iova).toBe(0x10000);
    expect(t.lastRemainder).toEqual([{ translatedAddr: 0x3000, size: 0xfff }]);
    expect(t.partialMatches).toBe(1);
    const second = t.findIova(0x3000, 0xfff);
    expect(second?.iova).toBe(0x20000);
    expect(t.lastRemainder).toEqual([]);
    expect(t.partialMatches).toBe(1);
  });

  it('reports an uncovered head as well as an uncovered tail', () => {
    const t = tree();
    t.insert(0x10000, 0x2000, 0xfff, 'rw');
    t.findIova(0x1000, 0x2fff);
    expect(t.lastRemainder).toEqual([
      { translatedAddr: 0x1000, size: 0xfff },
      { translatedAddr: 0x3000, size: 0xfff },
    ]);
  });
});

describe('iova_tree_remove', () => {
  it('deletes every overlapping map whole and never splits one', () => {
    const t = filled(3);
    expect(t.remove(0x800, 0x1000)).toBe(IOVA_OK);
    expect(t.lastRemoved).toBe(2);
    expect(t.maps().map((m) => m.iova)).toEqual([0x2000]);
    expect(t.checkInvariants()).toEqual([]);
  });

  it('removing a range with no map succeeds with nothing removed', () => {
    const t = filled(3);
    expect(t.remove(0x10000, 0)).toBe(IOVA_OK);
    expect(t.lastRemoved).toBe(0);
  });

  it('keeps the reverse index in step', () => {
    const t = filled(8, 'id+reverse-index');
    t.remove(0x2000, 0x2fff);
    expect(t.checkInvariants()).toEqual([]);
    expect(t.findIova(0x7f00_0000_0000 + 0x3000, 0, 0x3000)).toBeNull();
  });
});

describe('iova_tree_alloc_map', () => {
  it('refuses last < begin with IOVA_ERR_INVALID', () => {
    expect(tree().allocMap(0x1000, 0xfff, 'rw', 0x2000, 0x1fff)).toBe(IOVA_ERR_INVALID);
  });

  it('takes the lowest hole at or above begin and fills in the IOVA', () => {
    const t = tree();
    t.insert(0x1000, 0, 0xfff, 'rw');
    t.insert(0x4000, 0, 0xfff, 'rw');
    expect(t.allocMap(0x9000, 0xfff, 'rw', 0x1000, 0xffff)).toBe(IOVA_OK);
    expect(t.lastIova).toBe(0x2000);
    expect(t.maps().find((m) => m.iova === 0x2000)?.translatedAddr).toBe(0x9000);
  });

  it('accepts an exact fit before the next map (hole_last is the next map\u2019s first byte)', () => {
    const t = tree();
    t.insert(0x0, 0, 0xfff, 'rw');
    t.insert(0x3000, 0, 0xfff, 'rw');
    expect(t.allocMap(0x9000, 0x1fff, 'rw', 0, 2 ** 40)).toBe(IOVA_OK);
    expect(t.lastIova).toBe(0x1000);
  });

  it('skips a hole one byte too small and takes the next one', () => {
    const t = tree();
    t.insert(0x0, 0, 0xfff, 'rw');
    t.insert(0x2000, 0, 0xfff, 'rw');
    // The hole [0x1000, 0x1fff] holds 0x1000 bytes; a map of size 0x1000 (inclusive) needs 0x1001.
    expect(t.allocMap(0x9000, 0x1000, 'rw', 0, 2 ** 40)).toBe(IOVA_OK);
    expect(t.lastIova).toBe(0x3000);
  });

  it('needs one spare byte in the top hole (hole_last = HWADDR_MAX, inclusive)', () => {
    const top = 2 ** 64 - 0x1000;
    const t = tree();
    expect(t.allocMap(0x9000, 0xfff, 'rw', top, 2 ** 64 - 1)).toBe(IOVA_ERR_NOMEM);
    expect(t.allocMap(0x9000, 0xffe, 'rw', top, 2 ** 64 - 1)).toBe(IOVA_OK);
    expect(t.lastIova).toBe(top);
  });

  it('answers IOVA_ERR_NOMEM when the lowest hole ends past last', () => {
    const t = tree();
    t.insert(0x0, 0, 0xffff, 'rw');
    expect(t.allocMap(0x9000, 0xfff, 'rw', 0, 0x10fff)).toBe(IOVA_OK);
    expect(t.allocMap(0x9000, 0xfff, 'rw', 0, 0x11ffe)).toBe(IOVA_ERR_NOMEM);
    expect(t.mapCount).toBe(2);
  });

  it('answers IOVA_ERR_OVERLAP when begin lies inside a map (uint64 wrap in iova_tree_alloc_map_in_hole)', () => {
    const t = tree();
    t.insert(0x1000, 0, 0x2fff, 'rw');
    expect(t.allocMap(0x9000, 0xfff, 'rw', 0x2000, 0xffff)).toBe(IOVA_ERR_OVERLAP);
    expect(t.mapCount).toBe(1);
  });

  it('walks the maps linearly (one step per map visited)', () => {
    const t = filled(100);
    t.allocMap(0x9000, 0xfff, 'rw', 0, 2 ** 40);
    expect(t.lastIova).toBe(100 * PAGE);
    expect(t.lastSteps).toBeGreaterThanOrEqual(100);
  });
});

describe('errno names and metrics', () => {
  it('names the iova-tree.h codes', () => {
    expect([IOVA_ERR_INVALID, IOVA_ERR_OVERLAP, IOVA_ERR_NOMEM, IOVA_OK].map(iovaErrName)).toEqual([
      'IOVA_ERR_INVALID',
      'IOVA_ERR_OVERLAP',
      'IOVA_ERR_NOMEM',
      null,
    ]);
    expect(() => iovaErrName(-9)).toThrow();
  });

  it('reports lookups, comparisons, wrong translations, partial matches and the map peak', () => {
    const t = aliasTree('none');
    t.find(0x10_0000, 0);
    t.findIova(0x7f12_3400_0000, 0x10_0000, 0x1_0000_0000);
    t.remove(0x10_0000, 0);
    const into: Record<string, number> = {};
    t.collectMetrics(into);
    expect(into).toEqual({
      'iovaTree.lookups': 2,
      'iovaTree.lookupComparisons': t.lookupComparisons,
      'iovaTree.wrongTranslations': 1,
      'iovaTree.partialMatches': 1,
      'iovaTree.mapsPeak': 2,
    });
  });
});
