// A VT-d table no shadow reads (the physical VT-d of a bare-metal host: onLeavesCleared null) skips
// the changed-leaf bookkeeping; everything else must be what a shadowed table does: the same tables
// planned, PTEs written, leaves cleared, leaves and tables left, for random maps (4 KiB, 2 MiB and
// 1 GiB leaves) and unmaps. Asking it for changed leaves is a programming error and throws.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VtdPageTable } from './vtdPageTable';
import { VtdPageTableReference } from './vtdPageTableReference.testkit';

const MiB = 2 ** 20;

type Op = { kind: 'map'; slot: number; gpaSlot: number; pages: number; write: boolean } | { kind: 'unmap'; slot: number; pages: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('map' as const),
    slot: fc.nat(63),
    gpaSlot: fc.nat(63),
    pages: fc.constantFrom(1, 2, 16, 511, 512, 513, 1024),
    write: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('unmap' as const), slot: fc.nat(63), pages: fc.constantFrom(1, 16, 512, 1024, 4096) }),
);

function attempt(f: () => number): number | 'refused' {
  try {
    return f();
  } catch {
    return 'refused';
  }
}

describe('a VT-d table without a shadow', () => {
  it('maps and clears exactly as a shadowed one', () => {
    fc.assert(
      fc.property(fc.constantFrom('none' as const, '2m' as const, '2m+1g' as const), fc.array(op, { maxLength: 40 }), (superpages, ops) => {
        const cleared: number[] = [];
        const shadowed = new VtdPageTable(48, superpages, (run) => cleared.push(run.leaves));
        const bare = new VtdPageTable(48, superpages, null);
        for (const o of ops) {
          const iova = o.slot * 4 * MiB;
          const size = o.pages * 4096;
          if (o.kind === 'map') {
            if (shadowed.leavesIn(iova, iova + size - 1) > 0) continue;
            const gpa = o.gpaSlot * 4 * MiB;
            expect(bare.planMap(iova, gpa, size)).toBe(shadowed.planMap(iova, gpa, size));
            expect(bare.writeRun(iova, gpa, size, o.write)).toBe(shadowed.writeRun(iova, gpa, size, o.write));
          } else {
            // An unmap starting or ending inside a large leaf is refused, by both, before any change.
            expect(attempt(() => bare.clearRange(iova, size))).toBe(attempt(() => shadowed.clearRange(iova, size)));
          }
          expect(bare.leafList()).toEqual(shadowed.leafList());
          expect(bare.checkInvariants()).toEqual([]);
          expect(bare.snapshot()).toEqual({ ...(shadowed.snapshot() as object), changed: [] });
        }
      }),
      { numRuns: 100 },
    );
  });

  it('does not answer which leaves changed', () => {
    const bare = new VtdPageTable(48, '2m', null);
    expect(() => bare.nextChanged(0, 4095)).toThrow(/not tracked/);
    expect(() => bare.changedThrough(0)).toThrow(/not tracked/);
    expect(() => bare.forgetChanged(0, 4095)).toThrow(/not tracked/);
  });
});

describe('a VT-d table without a shadow, maps and unmaps packed into a few tables (the bare-metal DMA API)', () => {
  // Neighbouring IOVAs share their tables, so the table a map found last answers most lookups
  // (VtdPageTable.known); an unmap that frees a table must make it be planned and written again.
  // A planned map that writes nothing (its table allocation failed) must leave no plan behind for
  // a later write (VtdPageTable.cleanPlan).
  type Dense = { kind: 'map' | 'planOnly'; page: number; pages: number; gpaPage: number } | { kind: 'unmap'; page: number; pages: number };
  const dense: fc.Arbitrary<Dense> = fc.oneof(
    fc.record({ kind: fc.constant('map' as const), page: fc.nat(3 * 512), pages: fc.constantFrom(1, 2, 3, 512), gpaPage: fc.nat(4096) }),
    fc.record({ kind: fc.constant('planOnly' as const), page: fc.nat(3 * 512), pages: fc.constantFrom(1, 2, 512), gpaPage: fc.nat(4096) }),
    fc.record({ kind: fc.constant('unmap' as const), page: fc.nat(3 * 512), pages: fc.constantFrom(1, 2, 512, 1024, 2048) }),
  );

  it('a plan that found every table is forgotten once a clear frees them', () => {
    const t = new VtdPageTable(48, 'none', null);
    const base = 2 ** 30;
    expect(t.planMap(base, 0, 4096)).toBe(3);
    expect(t.writeRun(base, 0, 4096, true)).toBe(1 + 3);
    // Planned with every table present, never written (its allocation failed elsewhere).
    expect(t.planMap(base + 4096, 0, 4096)).toBe(0);
    // Clearing the whole 512 GiB span frees the level-1, -2 and -3 tables.
    expect(t.clearRange(0, 2 ** 39)).toBe(1);
    expect(t.planMap(base + 4096, 0, 4096)).toBe(3);
    expect(t.writeRun(base + 4096, 0, 4096, true)).toBe(1 + 3);
    expect(t.checkInvariants()).toEqual([]);
  });

  it('plans, writes, clears and keeps tables exactly as the per-leaf reference', () => {
    fc.assert(
      fc.property(fc.constantFrom('none' as const, '2m' as const), fc.array(dense, { maxLength: 80 }), (superpages, ops) => {
        const bare = new VtdPageTable(48, superpages, null);
        const ref = new VtdPageTableReference(48, superpages, () => {});
        // Around a 1 GiB boundary, so level-2 and level-3 tables are freed and allocated again too.
        const base = 2 ** 30 - 512 * 4096;
        for (const o of ops) {
          const iova = base + o.page * 4096;
          const size = o.pages * 4096;
          if (o.kind === 'map' || o.kind === 'planOnly') {
            if (ref.leavesIn(iova, iova + size - 1) > 0) continue;
            const gpa = o.gpaPage * 4096;
            expect(bare.planMap(iova, gpa, size)).toBe(ref.planMap(iova, gpa, size));
            if (o.kind === 'map') expect(bare.writeRun(iova, gpa, size, true)).toBe(ref.writeRun(iova, gpa, size, true));
          } else {
            expect(attempt(() => bare.clearRange(iova, size))).toBe(attempt(() => ref.clearRange(iova, size)));
          }
          expect(bare.snapshot()).toEqual({ ...(ref.snapshot() as object), changed: [] });
          expect(bare.ptesVisited(0, 2 ** 48)).toBe(ref.ptesVisited(0, 2 ** 48));
        }
      }),
      { numRuns: 200 },
    );
  });
});
