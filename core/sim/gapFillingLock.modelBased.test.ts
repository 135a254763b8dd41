// The gap-filling lock with its bisection against the lock that stepped through its intervals
// (gapFillingLockReference.testkit.ts): random requests (arrival times behind, at and ahead of the
// clock, touching and overlapping reservations, a clock that advances and prunes) must get the same
// release times, waits and interval counts; a chain of requests (acquireChain: each arriving at the
// release of the one before) must match the same requests made one by one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GapFillingLock } from './gapFillingLock';
import { GapFillingLockReference } from './gapFillingLockReference.testkit';

type Cmd =
  | { readonly op: 'acquire'; readonly t: number; readonly hold: number }
  | { readonly op: 'chain'; readonly t: number; readonly hold: number; readonly n: number }
  | { readonly op: 'advance'; readonly by: number };

describe('GapFillingLock matches the lock that steps through its intervals', () => {
  it('for any requests and clock', () => {
    const cmd: fc.Arbitrary<Cmd> = fc.oneof(
      { weight: 8, arbitrary: fc.record({ op: fc.constant('acquire' as const), t: fc.nat(400), hold: fc.integer({ min: 1, max: 30 }) }) },
      // Far ahead: after every reservation (acquire's shortcut past the bisection), or between
      // reservations made far ahead before.
      {
        weight: 2,
        arbitrary: fc.record({
          op: fc.constant('acquire' as const),
          t: fc.integer({ min: 400, max: 3000 }),
          hold: fc.integer({ min: 1, max: 30 }),
        }),
      },
      {
        weight: 3,
        arbitrary: fc.record({
          op: fc.constant('chain' as const),
          t: fc.nat(400),
          // Fractional holds too: the chain must add them up in acquire's order.
          hold: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.double({ min: 0.1, max: 30, noNaN: true })),
          n: fc.nat(40),
        }),
      },
      { weight: 1, arbitrary: fc.record({ op: fc.constant('advance' as const), by: fc.nat(60) }) },
    );
    fc.assert(
      fc.property(fc.array(cmd, { minLength: 1, maxLength: 300 }), (cmds) => {
        const clock = { now: 0 };
        const fast = new GapFillingLock(clock);
        const ref = new GapFillingLockReference(clock);
        for (const c of cmds) {
          if (c.op === 'advance') {
            clock.now += c.by;
            continue;
          }
          const t = clock.now + c.t - 50;
          if (c.op === 'chain') {
            // acquireChain against the same requests made one by one.
            const seen: number[] = [];
            const want: number[] = [];
            const last = fast.acquireChain(t, c.hold, c.n, (arrival, release) => seen.push(arrival, release));
            let at = t;
            for (let k = 0; k < c.n; k++) {
              const release = ref.acquire(at, c.hold);
              want.push(at, release);
              at = release;
            }
            expect(last).toBe(at);
            expect(seen).toEqual(want);
            expect(fast.waitNs).toBe(ref.waitNs);
            expect(fast.intervals).toBe(ref.intervals);
            continue;
          }
          expect(fast.acquire(t, c.hold)).toBe(ref.acquire(t, c.hold));
          expect(fast.waitNs).toBe(ref.waitNs);
          expect(fast.intervals).toBe(ref.intervals);
        }
      }),
      { numRuns: 300 },
    );
  });
});
