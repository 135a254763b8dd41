import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EventQueue, MAX_PRIORITY } from './eventQueue';
import type { SimTimeNs } from './simTime';

const t = (n: number) => n as SimTimeNs;

function drain(q: EventQueue): { time: number; kind: number }[] {
  const out: { time: number; kind: number }[] = [];
  while (q.size > 0) {
    q.pop();
    out.push({ time: q.poppedTime, kind: q.poppedKind });
  }
  return out;
}

describe('EventQueue', () => {
  it('pops events in time order', () => {
    const q = new EventQueue(16);
    [50, 10, 30, 20, 40].forEach((time, i) => q.push(t(time), 0, 0, i, 0, 0));
    expect(drain(q).map((e) => e.time)).toEqual([10, 20, 30, 40, 50]);
  });

  it('runs equal-time events by priority, then in schedule order', () => {
    const q = new EventQueue(16);
    q.push(t(5), 2, 0, 0, 0, 0);
    q.push(t(5), 1, 0, 1, 0, 0);
    q.push(t(5), 1, 0, 2, 0, 0);
    q.push(t(5), 2, 0, 3, 0, 0);
    expect(drain(q).map((e) => e.kind)).toEqual([1, 2, 0, 3]);
  });

  it('carries handler and both arguments through', () => {
    const q = new EventQueue(16);
    q.push(t(1), 0, 7, 3, 1.5, 2 ** 60);
    q.pop();
    expect([q.poppedHandler, q.poppedKind, q.poppedA, q.poppedB]).toEqual([7, 3, 1.5, 2 ** 60]);
  });

  it('grows past its initial capacity and reuses freed slots', () => {
    const q = new EventQueue(16);
    for (let i = 0; i < 1000; i++) q.push(t(1000 - i), 0, 0, i, 0, 0);
    for (let i = 0; i < 500; i++) q.pop();
    for (let i = 0; i < 1000; i++) q.push(t(2000 + i), 0, 0, i, 0, 0);
    const times = drain(q).map((e) => e.time);
    expect(times).toHaveLength(1500);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('rejects priorities outside 0..MAX_PRIORITY', () => {
    const q = new EventQueue(16);
    expect(() => q.push(t(1), -1, 0, 0, 0, 0)).toThrow(RangeError);
    expect(() => q.push(t(1), MAX_PRIORITY + 1, 0, 0, 0, 0)).toThrow(RangeError);
  });

  it('orders any interleaving of pushes and pops like a sorted reference (time, priority, sequence)', () => {
    const op = fc.oneof(
      fc.record({ push: fc.constant(true as const), time: fc.integer({ min: 0, max: 4 }), prio: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ push: fc.constant(false as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const q = new EventQueue(16);
        const ref: { time: number; prio: number; seq: number }[] = [];
        let seq = 0;
        for (const o of ops) {
          if (o.push) {
            q.push(t(o.time), o.prio, 0, seq, 0, 0);
            ref.push({ time: o.time, prio: o.prio, seq: seq++ });
          } else if (ref.length > 0) {
            ref.sort((a, b) => a.time - b.time || a.prio - b.prio || a.seq - b.seq);
            const want = ref.shift()!;
            q.pop();
            expect([q.poppedTime, q.poppedKind]).toEqual([want.time, want.seq]);
          }
        }
        expect(q.size).toBe(ref.length);
      }),
    );
  });
});

describe('EventQueue against a sorted reference, with peeks and handler-like pop-then-push', () => {
  it('pops, peeks and sizes like the reference for any interleaving (model-based)', () => {
    type Op =
      | { readonly k: 'push'; readonly time: number; readonly prio: number }
      | { readonly k: 'pop' }
      | { readonly k: 'peek' }
      | { readonly k: 'popPush'; readonly delay: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ k: fc.constant('push' as const), time: fc.integer({ min: 0, max: 1000 }), prio: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ k: fc.constant('pop' as const) }),
      fc.record({ k: fc.constant('peek' as const) }),
      // An event handler: pop the earliest, schedule one event at or after it (a heap's common case).
      fc.record({ k: fc.constant('popPush' as const), delay: fc.integer({ min: 0, max: 300 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const q = new EventQueue(16);
        const ref: { time: number; prio: number; seq: number }[] = [];
        let seq = 0;
        const push = (time: number, prio: number) => {
          q.push(t(time), prio, 0, seq, 0, 0);
          ref.push({ time, prio, seq: seq++ });
        };
        const popRef = () => {
          ref.sort((a, b) => a.time - b.time || a.prio - b.prio || a.seq - b.seq);
          return ref.shift()!;
        };
        for (const o of ops) {
          if (o.k === 'push') push(o.time, o.prio);
          else if (ref.length === 0) continue;
          else if (o.k === 'peek') {
            ref.sort((a, b) => a.time - b.time || a.prio - b.prio || a.seq - b.seq);
            expect(q.peekTime()).toBe(ref[0]!.time);
          } else {
            const want = popRef();
            q.pop();
            expect([q.poppedTime, q.poppedKind]).toEqual([want.time, want.seq]);
            if (o.k === 'popPush') push(want.time + o.delay, 1);
          }
          expect(q.size).toBe(ref.length);
        }
        while (ref.length > 0) {
          const want = popRef();
          q.pop();
          expect([q.poppedTime, q.poppedKind]).toEqual([want.time, want.seq]);
        }
        expect(q.size).toBe(0);
        expect(() => q.peekTime()).toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
