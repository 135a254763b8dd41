import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IovaDomain, sizeAlignment } from './iovaDomain';

const dom = () => new IovaDomain(4096, 1);
const PFN_4G = 2 ** 20;

describe('IovaDomain (iova.c)', () => {
  it('allocates top-down from the limit', () => {
    const d = dom();
    expect(d.alloc(1, 1000)).toBe(1000);
    expect(d.alloc(1, 1000)).toBe(999);
  });

  it('aligns a range of n pages to roundup_pow_of_two(n)', () => {
    const d = dom();
    expect(d.alloc(3, 1000)).toBe(996);
    expect(d.alloc(8, 1000)).toBe(984);
    expect(sizeAlignment(5)).toBe(8);
  });

  it('searches down from the last allocation (the cached node), skipping holes above it', () => {
    const d = dom();
    for (let i = 0; i < 4; i++) d.alloc(1, 10); // 10, 9, 8, 7; cached node = 7
    d.alloc(1, 5); // a 32-bit-window-style second user far below: 5, now the cached node
    // 6 is free but above the cached node (5): the search from 5 goes down.
    expect(d.alloc(1, 10)).toBe(4);
  });

  it('moves the cached node up when a range at or above it is freed, so that hole is reused next', () => {
    const d = dom();
    const a = d.alloc(1, 10);
    d.alloc(1, 10);
    d.free(a);
    expect(d.alloc(1, 10)).toBe(a);
  });

  it('retries once from the top of the limit when nothing is left below the cached node', () => {
    const d = dom();
    for (let i = 0; i < 10; i++) d.alloc(1, 10); // 10 .. 1; cached node = 1
    // A wider limit: nothing below the cached node, so the search restarts at the top of the new limit.
    expect(d.alloc(1, 20)).toBe(20);
    expect(d.alloc(1, 20)).toBe(19);
  });

  it('never returns IOVA 0 and fails with 0 when the space is full', () => {
    const d = dom();
    for (let i = 0; i < 4; i++) expect(d.alloc(1, 4)).toBeGreaterThan(0);
    expect(d.alloc(1, 4)).toBe(0);
    expect(d.failures).toBe(1);
  });

  it('never hands out a reserved range', () => {
    const d = dom();
    d.reserve(5, 8);
    const got = [d.alloc(1, 8), d.alloc(1, 8), d.alloc(1, 8), d.alloc(1, 8)];
    expect(got).toEqual([4, 3, 2, 1]);
    expect(d.alloc(1, 8)).toBe(0);
  });

  it('remembers a size that failed below 4 GiB (max32_alloc_size) until something there is freed', () => {
    const d = dom();
    d.reserve(1, PFN_4G - 9);
    const got: number[] = [];
    for (let i = 0; i < 8; i++) got.push(d.alloc(1, PFN_4G - 1));
    expect(d.alloc(1, PFN_4G - 1)).toBe(0);
    const steps = d.searchSteps;
    expect(d.alloc(2, PFN_4G - 1)).toBe(0);
    expect(d.searchSteps).toBe(steps);
    d.free(got[0]!);
    expect(d.alloc(1, PFN_4G - 1)).toBe(got[0]);
  });

  it('keeps ranges disjoint, aligned, inside [startPfn, limit] and never at 0, whatever the sequence', () => {
    const op = fc.oneof(
      fc.record({ alloc: fc.constant(true as const), size: fc.integer({ min: 1, max: 40 }), limit: fc.integer({ min: 50, max: 400 }) }),
      fc.record({ alloc: fc.constant(false as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const d = new IovaDomain(4096, 1);
        const live: { pfn: number; size: number }[] = [];
        for (const o of ops) {
          if (o.alloc) {
            const pfn = d.alloc(o.size, o.limit);
            if (pfn === 0) continue;
            expect(pfn).toBeGreaterThanOrEqual(1);
            expect(pfn % sizeAlignment(o.size)).toBe(0);
            expect(pfn + o.size - 1).toBeLessThanOrEqual(o.limit);
            live.push({ pfn, size: o.size });
          } else if (live.length > 0) {
            const [gone] = live.splice(o.pick % live.length, 1);
            expect(d.free(gone!.pfn)).toBe(true);
          }
          expect(d.checkInvariants()).toEqual([]);
        }
        expect(d.allocatedPages()).toBe(live.reduce((n, l) => n + l.size, 0));
      }),
    );
  });

  it('finds room whenever a first-fit search over the limit would (it may pick another place, but not fail)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 8 }), { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 30 }), (sizes, frees) => {
        const d = new IovaDomain(4096, 1);
        const limit = 255;
        const live: number[] = [];
        for (const s of sizes) {
          const pfn = d.alloc(s, limit);
          if (pfn !== 0) live.push(pfn);
        }
        for (const f of frees) if (live.length > 0) d.free(live.splice(f % live.length, 1)[0]!);
        // Brute force: is there any aligned free slot for one page?
        const used = new Set<number>();
        for (const r of d.ranges()) for (let p = r.start; p <= r.last; p++) used.add(p);
        const anyFree = Array.from({ length: limit }, (_, i) => i + 1).some((p) => !used.has(p));
        expect(d.alloc(1, limit) !== 0).toBe(anyFree);
      }),
    );
  });
});
