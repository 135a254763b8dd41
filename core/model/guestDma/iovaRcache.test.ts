// The IOVA rcache (iovaRcache.ts): size classes, per-CPU magazines, the depot and its trim, and the
// lazily made caches against the eager reference.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IovaDomain } from './iovaDomain';
import { IOVA_DEPOT_DELAY_NS, IOVA_MAG_SIZE, IovaRcache, RCACHE_CLASSES, RCACHE_MAX_PAGES, rcacheClass } from './iovaRcache';
import { IovaRcacheReference } from './iovaRcacheReference.testkit';

function setup(cpus = 2) {
  const d = new IovaDomain(4096, 1);
  return { d, r: new IovaRcache(d, cpus) };
}

/** order_base_2 as a loop (the definition): the smallest k with 2^k >= size. */
function orderBase2(size: number): number {
  let k = 0;
  while (2 ** k < size) k++;
  return k;
}

describe('IOVA rcache (magazines)', () => {
  it('computes the size class like order_base_2 for every size (0..4096 pages and beyond 2^32)', () => {
    for (let size = 0; size <= 4096; size++) expect(rcacheClass(size)).toBe(size <= 32 ? orderBase2(size) : -1);
    expect(rcacheClass(2 ** 32 + 1)).toBe(-1);
    expect(RCACHE_MAX_PAGES).toBe(2 ** (RCACHE_CLASSES - 1));
  });

  it('caches sizes of 1 to 32 pages by power-of-two class, nothing larger', () => {
    expect([rcacheClass(1), rcacheClass(2), rcacheClass(3), rcacheClass(32), rcacheClass(33)]).toEqual([0, 1, 2, 5, -1]);
    const { d, r } = setup();
    expect(r.insert(0, d.alloc(64, 10_000), 64, 0)).toBe(false);
  });

  it('returns a freed range to the same CPU, keeping it allocated in the tree meanwhile', () => {
    const { d, r } = setup();
    const pfn = d.alloc(1, 10_000);
    r.insert(0, pfn, 1, 0);
    expect(d.find(pfn)).toBeDefined();
    expect(r.get(1, 1, 10_001, 0)).toBe(0);
    expect(r.get(0, 1, 10_001, 0)).toBe(pfn);
  });

  it('only hands out a cached pfn that fits below the limit', () => {
    const { d, r } = setup();
    const pfn = d.alloc(1, 10_000);
    r.insert(0, pfn, 1, 0);
    expect(r.get(0, 1, 5000, 0)).toBe(0);
  });

  it('moves full magazines to the depot and trims the depot to one magazine per CPU, one per 100 ms', () => {
    const { d, r } = setup(1);
    const pfns: number[] = [];
    for (let i = 0; i < IOVA_MAG_SIZE * 5; i++) pfns.push(d.alloc(1, 1_000_000));
    pfns.forEach((p) => r.insert(0, p, 1, 0));
    // loaded + prev full, three magazines pushed to the depot.
    expect(r.cachedPages()).toBe(IOVA_MAG_SIZE * 5);
    r.get(0, 1, 1_000_001, IOVA_DEPOT_DELAY_NS - 1);
    expect(r.returnedToTree).toBe(0);
    r.get(0, 1, 1_000_001, 3 * IOVA_DEPOT_DELAY_NS);
    expect(r.returnedToTree).toBe(2 * IOVA_MAG_SIZE);
  });

  it('flushAll gives every cached range back to the tree', () => {
    const { d, r } = setup();
    const pfn = d.alloc(2, 10_000);
    r.insert(1, pfn, 2, 0);
    r.flushAll();
    expect(d.find(pfn)).toBeUndefined();
    expect(r.cachedPages()).toBe(0);
  });
});

// Classes and per-CPU magazine pairs are made on first use: random call sequences against the
// eager version (iovaRcacheReference.testkit.ts, every magazine made with the domain, as
// iova_domain_init_rcaches) must give the same answers, counters and tree.
describe('IOVA rcache made on first use, against the eager reference', () => {
  type Cmd =
    | { readonly k: 'insert'; readonly cpu: number; readonly pages: number; readonly dt: number }
    | { readonly k: 'get'; readonly cpu: number; readonly pages: number; readonly limit: number; readonly dt: number }
    | { readonly k: 'flush' };
  const cpuArb = fc.nat(5);
  const pagesArb = fc.oneof(fc.constantFrom(1, 1, 1, 2, 4, 8, 32), fc.integer({ min: 1, max: 70 }));
  const dtArb = fc.oneof(fc.constant(0), fc.nat(1_000_000), fc.integer({ min: IOVA_DEPOT_DELAY_NS / 2, max: 3 * IOVA_DEPOT_DELAY_NS }));
  const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ k: fc.constant('insert' as const), cpu: cpuArb, pages: pagesArb, dt: dtArb }) },
    {
      weight: 4,
      arbitrary: fc.record({
        k: fc.constant('get' as const),
        cpu: cpuArb,
        pages: pagesArb,
        limit: fc.integer({ min: 100, max: 20_000 }),
        dt: dtArb,
      }),
    },
    { weight: 1, arbitrary: fc.constant({ k: 'flush' as const }) },
  );

  it('answers every get, insert, flush and count as the reference does', () => {
    fc.assert(
      fc.property(fc.array(cmdArb, { maxLength: 400 }), fc.constantFrom(2, 3, IOVA_MAG_SIZE), (cmds, magazine) => {
        const d1 = new IovaDomain(4096, 1);
        const d2 = new IovaDomain(4096, 1);
        const lazy = new IovaRcache(d1, 6, magazine);
        const eager = new IovaRcacheReference(d2, 6, magazine);
        let now = 0;
        for (const c of cmds) {
          if (c.k === 'flush') {
            lazy.flushAll();
            eager.flushAll();
          } else {
            now += c.dt;
            if (c.k === 'get') expect(lazy.get(c.cpu, c.pages, c.limit, now)).toBe(eager.get(c.cpu, c.pages, c.limit, now));
            else {
              const pfn = d1.alloc(c.pages, 20_000);
              expect(d2.alloc(c.pages, 20_000)).toBe(pfn);
              if (pfn !== 0) expect(lazy.insert(c.cpu, pfn, c.pages, now)).toBe(eager.insert(c.cpu, pfn, c.pages, now));
            }
          }
          expect([lazy.hits, lazy.misses, lazy.inserts, lazy.returnedToTree, lazy.cachedPages()]).toEqual([
            eager.hits,
            eager.misses,
            eager.inserts,
            eager.returnedToTree,
            eager.cachedPages(),
          ]);
        }
        expect([...d1.ranges()]).toEqual([...d2.ranges()]);
      }),
      { numRuns: 300 },
    );
  });
});
