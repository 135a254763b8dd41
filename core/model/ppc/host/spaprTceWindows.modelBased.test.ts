// Model-based test of a window's TCE runs: the one-TCE table plus IntervalMap of spaprTceWindows.ts
// against the IntervalMap-only oracle (spaprTceWindowsReference.testkit.ts), over random writes
// (each cleared first, as tce_iommu_build_v2's caller does) and clears, v1 (no regions) and v2
// (runs split at region boundaries), small windows and a 2^35-entry one.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { MmIommuMemList, MmIommuRegion } from './mmIommuMemList';
import { type SpaprPlatform, tceWindowCheck, tceWindowClear, tceWindowInsert, tceWindowNew, tceWindowSnapshot } from './spaprTceWindows';
import { TceWindowReference } from './spaprTceWindowsReference.testkit';

const VBASE = 0x1000_0000;

/** A stand-in for the mm list: contiguous regions from VBASE, each given as a number of pages. */
function fakeMm(pagesPer: number[], pg: number): { mm: MmIommuMemList; regions: MmIommuRegion[] } {
  const regions: MmIommuRegion[] = [];
  let ua = VBASE;
  for (const p of pagesPer) {
    regions.push({ ua, sizeBytes: p * pg, pageShift: Math.log2(pg), used: 1, mappedTces: 0 });
    ua += p * pg;
  }
  const lookup = (a: number, size: number): MmIommuRegion | null =>
    regions.find((r) => a >= r.ua && a + size <= r.ua + r.sizeBytes) ?? null;
  const has = (r: MmIommuRegion): boolean => regions.includes(r);
  return { mm: { lookup, has } as unknown as MmIommuMemList, regions };
}

type Op = { kind: 'map'; at: number; n: number; vpage: number; perm: number } | { kind: 'clear'; at: number; n: number };

const geometry = fc.record({
  slot: fc.constantFrom(0, 1),
  pageShift: fc.constantFrom(12, 16),
  entriesShift: fc.constantFrom(4, 13, 14, 35),
  v2: fc.boolean(),
  regionPages: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 }),
  hot: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
});

function ops(nb: number, hot: number[], vpages: number): fc.Arbitrary<Op[]> {
  // Indices near a few hot spots (chunk edges included), plus anywhere in the window.
  const spots = hot.map((h) => (h * 4093) % nb);
  const at = fc.oneof(
    fc.tuple(fc.constantFrom(...spots), fc.integer({ min: -20, max: 20 })).map(([s, d]) => Math.min(nb - 1, Math.max(0, s + d))),
    fc.constantFrom(0, nb - 1, Math.min(nb - 1, 4095), Math.min(nb - 1, 4096)),
    fc.integer({ min: 0, max: nb - 1 }),
  );
  const n = fc.oneof(fc.constant(1), fc.constant(1), fc.integer({ min: 1, max: 6 }));
  const map = fc.record({ at, n, vpage: fc.nat(), perm: fc.constantFrom(1, 2, 3) }).map(({ at, n, vpage, perm }): Op => {
    const k = Math.max(1, Math.min(n, nb - at, vpages));
    return { kind: 'map', at, n: k, vpage: vpage % (vpages - k + 1), perm };
  });
  const clear = fc.oneof(
    fc.record({ at, n }).map(({ at, n }): Op => ({ kind: 'clear', at, n: Math.min(n, nb - at) })),
    fc.constant<Op>({ kind: 'clear', at: 0, n: nb }),
  );
  return fc.array(fc.oneof(map, map, map, clear), { maxLength: 60 });
}

describe('TceWindow runs (one-TCE table + IntervalMap) against the IntervalMap-only oracle', () => {
  it('clear the same counts, count the same region TCEs and snapshot the same runs', () => {
    fc.assert(
      fc.property(
        geometry.chain((g) => {
          const nb = 2 ** g.entriesShift;
          const vpages = g.regionPages.reduce((a, b) => a + b, 0);
          return fc.tuple(fc.constant(g), ops(nb, g.hot, vpages));
        }),
        ([g, list]) => {
          const pg = 2 ** g.pageShift;
          const nb = 2 ** g.entriesShift;
          const platform: SpaprPlatform = {
            tce32Start: 0,
            tce32SizeBytes: nb * pg,
            ddwStart: 2 ** 59,
            pageShifts: [12, 16],
            maxLevels: 5,
            maxWindows: 2,
            hostPageShift: 12,
            tce32PageShift: 12,
          };
          const win = tceWindowNew(platform, g.slot, g.pageShift, nb * pg, 1, 0);
          const ref = new TceWindowReference(win.start, pg);
          const real = fakeMm(g.regionPages, pg);
          const oracle = fakeMm(g.regionPages, pg);
          for (const op of list) {
            const first = win.start + op.at * pg;
            const last = first + (op.n - 1) * pg;
            expect(tceWindowClear(win, first, last)).toBe(ref.clear(first, last));
            if (op.kind === 'map') {
              const vaddr = VBASE + op.vpage * pg;
              tceWindowInsert(win, g.v2 ? real.mm : null, first, vaddr, op.n, op.perm);
              ref.insert(g.v2 ? oracle.mm : null, first, vaddr, op.n, op.perm);
            }
            expect(real.regions.map((r) => r.mappedTces)).toEqual(oracle.regions.map((r) => r.mappedTces));
          }
          expect((tceWindowSnapshot(win) as { runs: unknown[] }).runs).toEqual(ref.snapshotRuns());
          const problems: string[] = [];
          const tces = tceWindowCheck(win, g.v2 ? 2 : 1, 2, real.mm, problems);
          expect(problems).toEqual([]);
          expect(tces).toBe(
            ref.snapshotRuns().length === 0 ? 0 : [...ref.runs.values()].reduce((s, r) => s + (r.last - r.start) / pg + 1, 0),
          );
          // Clearing the whole window leaves nothing, on both.
          expect(tceWindowClear(win, win.start, win.start + (nb - 1) * pg)).toBe(ref.clear(win.start, win.start + (nb - 1) * pg));
          expect(win.singles.count).toBe(0);
          expect(real.regions.every((r) => r.mappedTces === 0)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
