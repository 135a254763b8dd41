import { describe, expect, it } from 'vitest';
import { IovaDomain } from './iovaDomain';
import { IOVA_DEPOT_DELAY_NS, IOVA_MAG_SIZE, IovaRcache, RCACHE_CLASSES, RCACHE_MAX_PAGES, rcacheClass } from './iovaRcache';

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
