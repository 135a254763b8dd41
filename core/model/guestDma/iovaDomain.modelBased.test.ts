// The fast allocator (gap-annotated tree, walk answered by queries) against the node-by-node walk
// it replaced (iovaDomainReference.testkit.ts): random alloc / free / reserve sequences over small
// and s390-like domains, tight and loose limits, must give the same pfns, the same failures, the
// same number of visited nodes (charged as guest CPU time) and the same ranges after every step.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IovaDomain } from './iovaDomain';
import { IovaDomainReference } from './iovaDomainReference.testkit';

type Cmd =
  | { readonly op: 'alloc'; readonly size: number; readonly limit: number }
  | { readonly op: 'free'; readonly pick: number }
  | { readonly op: 'reserve'; readonly start: number; readonly len: number };

function stateOf(d: IovaDomain | IovaDomainReference): unknown {
  return {
    ranges: [...d.ranges()].map((r) => [r.start, r.last, r.reserved === true]),
    pages: d.allocatedPages(),
    peak: d.allocatedPagesPeak,
    steps: d.searchSteps,
    allocations: d.allocations,
    failures: d.failures,
  };
}

function check(startPfn: number, limits: readonly number[], maxSize: number, cmds: readonly Cmd[]): void {
  const fast = new IovaDomain(4096, startPfn);
  const ref = new IovaDomainReference(4096, startPfn);
  for (const [i, c] of cmds.entries()) {
    if (c.op === 'alloc') {
      const limit = limits[c.limit % limits.length]!;
      const size = 1 + (c.size % maxSize);
      expect(fast.alloc(size, limit), `step ${i}: alloc(${size}, ${limit})`).toBe(ref.alloc(size, limit));
    } else if (c.op === 'free') {
      const all = [...ref.ranges()].filter((r) => r.reserved !== true);
      if (all.length === 0) continue;
      const pfn = all[c.pick % all.length]!.start;
      expect(fast.free(pfn)).toBe(ref.free(pfn));
    } else {
      const start = startPfn + (c.start % (limits[0]! - startPfn + 1));
      fast.reserve(start, start + c.len);
      ref.reserve(start, start + c.len);
    }
    expect(stateOf(fast), `after step ${i} (${JSON.stringify(c)})`).toEqual(stateOf(ref));
    expect(fast.checkInvariants()).toEqual([]);
  }
}

const cmd = (maxPick: number): fc.Arbitrary<Cmd> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant('alloc' as const), size: fc.nat(1000), limit: fc.nat(10) }) },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('free' as const), pick: fc.nat(maxPick) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('reserve' as const), start: fc.nat(1 << 30), len: fc.nat(40) }) },
  );

describe('IovaDomain matches the node-by-node walk', () => {
  it('in a small crowded domain (failures, retries, the 32-bit high-water mark)', () => {
    fc.assert(
      fc.property(fc.array(cmd(500), { maxLength: 300 }), (cmds) => check(1, [200, 120, 64, 2 ** 20 - 1, 2 ** 20 + 300], 33, cmds)),
      { numRuns: 150 },
    );
  });

  it('in an s390-like window above 4 GiB with IO-sized ranges', () => {
    const base = 2 ** 20;
    fc.assert(
      fc.property(fc.array(cmd(2000), { maxLength: 400 }), (cmds) => check(base, [base + 4096, base + 65536 - 1, base + 3000], 128, cmds)),
      { numRuns: 100 },
    );
  });

  it('when the domain fills up and empties again', () => {
    const cmds: Cmd[] = [];
    for (let i = 0; i < 600; i++) cmds.push({ op: 'alloc', size: i % 7, limit: i % 3 });
    for (let i = 0; i < 400; i++) cmds.push({ op: 'free', pick: (i * 7919) % 997 }, { op: 'alloc', size: (i * 31) % 9, limit: i % 3 });
    check(1, [1500, 900, 2 ** 20 - 1], 8, cmds);
  });
});
