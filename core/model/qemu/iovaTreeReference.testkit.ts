// QEMU's IOVA tree as it was before GTreeShape's right-spine appends and in-order list
// (gTreeShape.ts), over the walk-from-the-root tree (gTreeShapeReference.testkit.ts), with today's
// reverse lookup as a g_tree_foreach. Kept as the oracle of iovaTree.modelBased.test.ts: for any
// sequence of calls both must give the same results, steps, costs, counters and snapshots.
// Must not: be imported outside tests (*.testkit.ts).

import type { CostTable } from '../../sim/costTable';
import type { LayerInstance } from '../base/layerInstance';
import { addMetric, maxMetric, type MetricMap } from '../../sim/metricSink';
import { GTreeShapeReference as GTreeShape } from './gTreeShapeReference.testkit';
import { U64_END } from '../base/bits';
import type { DmaMap, HostRange, IommuPerm, IovaTreeFix } from './iovaTree';

/** include/qemu/iova-tree.h return codes (negative, as QEMU returns them). */
const IOVA_OK = 0;
const IOVA_ERR_INVALID = -1;
const IOVA_ERR_OVERLAP = -2;
const IOVA_ERR_NOMEM = -3;

/** Whether start + size (inclusive size) passes 2^64 - 1, i.e. `start + size < start` in uint64 (iova_tree_insert). */
function wrapsU64(start: number, size: number): boolean {
  if (start + size < U64_END) return false;
  // The double sum rounds near 2^64; decide exactly.
  return BigInt(start) + BigInt(size) >= 1n << 64n;
}

/** x modulo 2^64 for 0 <= x < 2^65 (uint64 wrap of a sum). */
function u64(x: number): number {
  return x >= U64_END ? x - U64_END : x;
}

/** iova_tree_compare: ranges that overlap compare equal. */
function compareIova(a: DmaMap, b: DmaMap): number {
  if (a.iova > b.iova + b.size) return 1;
  if (a.iova + a.size < b.iova) return -1;
  return 0;
}

/** Order of the host-address index: by translated address, then IOVA (a strict order; aliases allowed). */
function compareHost(a: DmaMap, b: DmaMap): number {
  if (a.translatedAddr !== b.translatedAddr) return a.translatedAddr < b.translatedAddr ? -1 : 1;
  if (a.iova !== b.iova) return a.iova < b.iova ? -1 : 1;
  return 0;
}

const hostLast = (m: DmaMap): number => m.translatedAddr + m.size;
const hostStart = (m: DmaMap): number => m.translatedAddr;

export class IovaTreeReference implements LayerInstance {
  private readonly tree = new GTreeShape<DmaMap>(compareIova);
  /** Reverse indexes keyed by host address: one for 'reverse-index', one per id for 'id+reverse-index'. */
  private readonly reverse = new Map<number | null, GTreeShape<DmaMap>>();
  private readonly useIds: boolean;
  private readonly useReverse: boolean;

  lookups = 0;
  lookupComparisons = 0;
  wrongTranslations = 0;
  partialMatches = 0;
  mapsPeak = 0;

  /** Outputs of the last call. */
  lastCostNs = 0;
  lastSteps = 0;
  lastMap: DmaMap | null = null;
  lastIova = 0;
  lastRemoved = 0;
  lastWrong = false;
  lastRemainder: readonly HostRange[] = [];

  constructor(
    readonly laneName: string,
    readonly fix: IovaTreeFix,
    private readonly costs: CostTable,
  ) {
    this.useIds = fix === 'id' || fix === 'id+reverse-index';
    this.useReverse = fix === 'reverse-index' || fix === 'id+reverse-index';
  }

  get mapCount(): number {
    return this.tree.size;
  }

  /** iova_tree_insert: wrap or IOMMU_NONE -> INVALID; any overlap -> OVERLAP; never merged with neighbours. */
  insert(iova: number, translatedAddr: number, size: number, perm: IommuPerm, id: number | null = null): number {
    this.begin();
    const rc = this.insertMap({ iova, translatedAddr, size, perm, id });
    return this.end(rc);
  }

  /** iova_tree_find: the overlapping map met first on the GTree search path (the one nearest the root), or null. */
  find(iova: number, size: number): DmaMap | null {
    this.begin();
    this.lastMap = this.tree.lookup({ iova, translatedAddr: 0, size, perm: 'rw', id: null });
    this.countLookup();
    this.end(IOVA_OK);
    return this.lastMap;
  }

  /**
   * iova_tree_find_iova: the first map whose host range overlaps [translatedAddr, translatedAddr + size].
   * Today a g_tree_foreach in IOVA order (O(n)); with 'id' the map's id must equal the needle's; with a
   * reverse index the lowest host address wins in O(log n). `intendedId` is the guest region the caller
   * means (ground truth); undefined = unknown. Sets lastWrong and lastRemainder (non-empty = partial).
   */
  findIova(translatedAddr: number, size: number, intendedId?: number | null): DmaMap | null {
    this.begin();
    const needleId = intendedId ?? null;
    const last = translatedAddr + size;
    let found: DmaMap | null = null;
    if (this.useReverse) {
      const index = this.reverse.get(this.useIds ? needleId : null);
      found = index === undefined ? null : index.lowestOverlap(translatedAddr, last, hostStart);
      if (index !== undefined) this.tree.steps += index.steps;
      if (index !== undefined) index.steps = 0;
    } else {
      // iova_tree_find_address_iterator (plus the RFC's `needle->id != map->id` test with ids).
      this.tree.forEachInOrder((m) => {
        if (m.translatedAddr + m.size < translatedAddr || last < m.translatedAddr) return false;
        if (this.useIds && m.id !== needleId) return false;
        found = m;
        return true;
      });
    }
    this.lastMap = found;
    this.countLookup();
    this.judgeReverse(found, translatedAddr, size, intendedId);
    this.end(IOVA_OK);
    return found;
  }

  /** iova_tree_remove: deletes every map overlapping the range, one lookup at a time; never splits. */
  remove(iova: number, size: number): number {
    this.begin();
    const needle: DmaMap = { iova, translatedAddr: 0, size, perm: 'rw', id: null };
    let removed = 0;
    for (let m = this.tree.lookup(needle); m !== null; m = this.tree.lookup(needle)) {
      this.tree.remove(m);
      const index = this.reverseIndexOf(m);
      if (index !== undefined) {
        index.remove(m);
        this.tree.steps += index.steps;
        index.steps = 0;
      }
      removed++;
    }
    this.lastRemoved = removed;
    return this.end(IOVA_OK);
  }

  /**
   * iova_tree_alloc_map: the lowest hole at or above `begin` (a linear g_tree_foreach), then insert.
   * iova_tree_alloc_map_in_hole accepts a hole when `hole_last - hole_start > size` in uint64, where
   * hole_last is the next map's first byte (an exact fit works) or HWADDR_MAX past the last map (the
   * top hole needs one spare byte). A map that straddles `begin` makes that difference wrap, so the
   * hole "found" is `begin` itself and the insert fails with OVERLAP: QEMU's behaviour, kept.
   */
  allocMap(translatedAddr: number, size: number, perm: IommuPerm, begin: number, last: number, id: number | null = null): number {
    this.begin();
    if (last < begin) return this.end(IOVA_ERR_INVALID);
    let prev: DmaMap | null = null;
    let result = -1;
    const inHole = (next: DmaMap | null): boolean => {
      if (next !== null && next.iova + next.size < begin) return false;
      const holeStart = Math.max(prev === null ? 0 : u64(prev.iova + prev.size + 1), begin);
      if (holeDiffExceeds(next === null ? null : next.iova, holeStart, size)) {
        result = holeStart;
        return true;
      }
      return false;
    };
    this.tree.forEachInOrder((m) => {
      const found = inHole(m);
      prev = m;
      return found;
    });
    if (result < 0) inHole(null);
    if (result < 0 || u64(result + size) > last) return this.end(IOVA_ERR_NOMEM);
    this.lastIova = result;
    return this.end(this.insertMap({ iova: result, translatedAddr, size, perm, id }));
  }

  /** All maps in IOVA order. */
  maps(): DmaMap[] {
    const out: DmaMap[] = [];
    const steps = this.tree.steps;
    this.tree.forEachInOrder((m) => {
      out.push(m);
      return false;
    });
    this.tree.steps = steps;
    return out;
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'iovaTree.lookups', this.lookups);
    addMetric(into, 'iovaTree.lookupComparisons', this.lookupComparisons);
    addMetric(into, 'iovaTree.wrongTranslations', this.wrongTranslations);
    addMetric(into, 'iovaTree.partialMatches', this.partialMatches);
    maxMetric(into, 'iovaTree.mapsPeak', this.mapsPeak);
  }

  snapshot(): unknown {
    return {
      fix: this.fix,
      maps: this.maps().map((m) => ({ ...m })),
      shape: this.tree.preOrder().map((m) => m.iova),
      reverse: [...this.reverse.entries()].map(([id, t]) => ({ id, shape: t.preOrder().map((m) => m.iova) })),
    };
  }

  checkInvariants(): string[] {
    const problems = this.tree.check('IOVA tree');
    const maps = this.maps();
    for (let i = 0; i < maps.length; i++) {
      const m = maps[i]!;
      if (m.perm === 'none') problems.push(`map at IOVA ${m.iova} has no permission`);
      if (wrapsU64(m.iova, m.size) || wrapsU64(m.translatedAddr, m.size)) problems.push(`map at IOVA ${m.iova} wraps past 2^64`);
      const next = maps[i + 1];
      if (next !== undefined && m.iova + m.size >= next.iova) problems.push(`maps at IOVA ${m.iova} and ${next.iova} overlap`);
    }
    if (this.mapsPeak < maps.length) problems.push('mapsPeak is below the live map count');
    if (this.useReverse) problems.push(...this.checkReverse(maps));
    else if (this.reverse.size > 0) problems.push('a reverse index exists without the reverse-index fix');
    return problems;
  }

  private checkReverse(maps: readonly DmaMap[]): string[] {
    const problems: string[] = [];
    let total = 0;
    for (const [id, index] of this.reverse) {
      problems.push(...index.check(`reverse index ${String(id)}`));
      total += index.size;
    }
    if (total !== maps.length) problems.push(`reverse index holds ${total} maps, the tree ${maps.length}`);
    for (const m of maps) {
      const index = this.reverseIndexOf(m);
      const steps = index?.steps ?? 0;
      if (index?.lookup(m) !== m) problems.push(`map at IOVA ${m.iova} is missing from the reverse index`);
      if (index !== undefined) index.steps = steps;
    }
    return problems;
  }

  private insertMap(map: DmaMap): number {
    if (wrapsU64(map.iova, map.size) || map.perm === 'none') return IOVA_ERR_INVALID;
    if (this.tree.lookup(map) !== null) return IOVA_ERR_OVERLAP;
    this.tree.insert(map);
    if (this.useReverse) {
      const key = this.useIds ? map.id : null;
      let index = this.reverse.get(key);
      if (index === undefined) {
        index = new GTreeShape<DmaMap>(compareHost, hostLast);
        this.reverse.set(key, index);
      }
      index.insert(map);
      this.tree.steps += index.steps;
      index.steps = 0;
    }
    if (this.tree.size > this.mapsPeak) this.mapsPeak = this.tree.size;
    return IOVA_OK;
  }

  private reverseIndexOf(m: DmaMap): GTreeShape<DmaMap> | undefined {
    if (!this.useReverse) return undefined;
    return this.reverse.get(this.useIds ? m.id : null);
  }

  private judgeReverse(found: DmaMap | null, translatedAddr: number, size: number, intendedId: number | null | undefined): void {
    this.lastWrong = found !== null && intendedId !== undefined && found.id !== intendedId;
    if (this.lastWrong) this.wrongTranslations++;
    const remainder: HostRange[] = [];
    if (found !== null) {
      const last = translatedAddr + size;
      const foundLast = found.translatedAddr + found.size;
      if (found.translatedAddr > translatedAddr) remainder.push({ translatedAddr, size: found.translatedAddr - 1 - translatedAddr });
      if (foundLast < last) remainder.push({ translatedAddr: foundLast + 1, size: last - foundLast - 1 });
    }
    if (remainder.length > 0) this.partialMatches++;
    this.lastRemainder = remainder;
  }

  private countLookup(): void {
    this.lookups++;
    this.lookupComparisons += this.tree.steps;
  }

  private begin(): void {
    this.tree.steps = 0;
    this.lastMap = null;
    this.lastRemoved = 0;
    this.lastWrong = false;
    this.lastRemainder = [];
  }

  private end(rc: number): number {
    this.lastSteps = this.tree.steps;
    this.lastCostNs = this.tree.steps * this.costs.qemuIovaTreeStepNs;
    return rc;
  }
}

const HWADDR_MAX = (1n << 64n) - 1n;

/**
 * `hole_last - hole_start > size` in uint64 arithmetic; `holeLast` null means HWADDR_MAX (no map
 * after the hole). A negative difference wraps to a huge one, as in C.
 */
function holeDiffExceeds(holeLast: number | null, holeStart: number, size: number): boolean {
  if (holeLast === null) return HWADDR_MAX - BigInt(holeStart) > BigInt(size);
  if (holeLast < holeStart) return U64_END - (holeStart - holeLast) > size;
  if (holeLast >= 2 ** 53) return BigInt(holeLast) - BigInt(holeStart) > BigInt(size);
  return holeLast - holeStart > size;
}
