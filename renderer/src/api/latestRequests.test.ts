import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LatestRequests } from './latestRequests';

/** A random schedule: each step either issues a new request or answers one still out. */
const schedule = fc.array(
  fc.oneof(
    fc.constant({ type: 'issue' as const }),
    fc.nat({ max: 30 }).map((pick) => ({ type: 'answer' as const, pick })),
  ),
  {
    maxLength: 60,
  },
);

describe('only the newest request counts (isLatest)', () => {
  it('an answer to a replaced request is dropped even when it arrives after the newer one', async () => {
    const r = new LatestRequests();
    const shown: string[] = [];
    const load = async (answer: Promise<string>): Promise<void> => {
      const id = r.issue();
      const got = await answer;
      if (r.isLatest(id)) shown.push(got);
    };
    let answerOld!: (v: string) => void;
    const old = load(new Promise((resolve) => (answerOld = resolve)));
    const fresh = load(Promise.resolve('fresh'));
    await fresh;
    answerOld('old');
    await old;
    expect(shown).toEqual(['fresh']);
  });

  it('whatever order answers arrive in, an answer passes only when no newer request was issued before it', () => {
    fc.assert(
      fc.property(schedule, (steps) => {
        const r = new LatestRequests();
        const out: number[] = [];
        let newest = 0;
        for (const step of steps) {
          if (step.type === 'issue') {
            newest = r.issue();
            out.push(newest);
            continue;
          }
          if (out.length === 0) continue;
          const [id] = out.splice(step.pick % out.length, 1);
          expect(r.isLatest(id!)).toBe(id === newest);
        }
      }),
    );
  });

  it('dropAll makes every answer still out stale', () => {
    const r = new LatestRequests();
    const a = r.issue();
    r.dropAll();
    expect(r.isLatest(a)).toBe(false);
    expect(r.accept(a)).toBe(false);
    expect(r.pending).toBe(false);
  });
});

describe('answers newer than the shown one pass (accept)', () => {
  it('an answer older than the one shown is dropped', () => {
    const r = new LatestRequests();
    const a = r.issue();
    const b = r.issue();
    expect(r.accept(b)).toBe(true);
    expect(r.accept(a)).toBe(false);
    expect(r.pending).toBe(false);
  });

  it('whatever order answers arrive in, the shown ids only increase and the newest is shown last', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }).chain((n) =>
          fc.shuffledSubarray(
            [...Array(n).keys()].map((i) => i + 1),
            { minLength: n },
          ),
        ),
        (order) => {
          const r = new LatestRequests();
          for (let i = 0; i < order.length; i++) r.issue();
          let last = 0;
          for (const id of order) {
            if (!r.accept(id)) continue;
            expect(id).toBeGreaterThan(last);
            last = id;
          }
          expect(last).toBe(order.length);
        },
      ),
    );
  });

  it('pending stays true until the newest answer is shown', () => {
    const r = new LatestRequests();
    const a = r.issue();
    const b = r.issue();
    expect(r.pending).toBe(true);
    r.accept(a);
    expect(r.pending).toBe(true);
    r.accept(b);
    expect(r.pending).toBe(false);
  });
});
