// The ranked queries of the IOVA gap tree (one descent answering what below() + rankOf() + ceil()
// and highestFit() + rankOf() answer in two) and delete()'s rb_next, against the plain queries.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IovaGapTree, IovaNode } from './iovaGapTree';

describe('IovaGapTree ranked queries', () => {
  it('belowRanked, highestFit and delete agree with below / ceil / rankOf / next', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(400), len: fc.nat(6), del: fc.boolean() }), { maxLength: 120 }),
        fc.array(fc.record({ pfn: fc.nat(450), size: fc.integer({ min: 1, max: 9 }) }), { minLength: 1, maxLength: 20 }),
        (ops, queries) => {
          const tree = new IovaGapTree();
          const live: IovaNode[] = [];
          for (const op of ops) {
            if (op.del && live.length > 0) {
              const node = live.splice(op.at % live.length, 1)[0]!;
              const next = tree.next(node);
              expect(tree.delete(node)).toBe(next);
            } else {
              const start = 1 + op.at;
              const last = start + op.len;
              if (live.some((n) => n.start <= last && start <= n.last)) continue;
              const node = new IovaNode(start, last);
              tree.insert(node);
              live.push(node);
            }
            expect(tree.checkAnnotations()).toEqual([]);
          }
          for (const q of queries) {
            const below = tree.belowRanked(q.pfn);
            expect(below).toBe(tree.below(q.pfn));
            expect(tree.rank).toBe(below === null ? 0 : tree.rankOf(below.start) + 1);
            expect(tree.after).toBe(tree.ceil(q.pfn));
            const align = 2 ** (q.size % 4);
            const fit = tree.highestFit(q.pfn, q.size, align);
            if (fit !== null) expect(tree.rank).toBe(tree.rankOf(fit.start));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
