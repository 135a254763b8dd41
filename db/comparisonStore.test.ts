import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ComparisonStore } from './comparisonStore';
import { tempDb, type TempDb } from './testDb.testkit';

let t: TempDb;
let comparisons: ComparisonStore;
beforeEach(() => {
  t = tempDb();
  comparisons = new ComparisonStore(t.db);
});
afterEach(() => t.dispose());

describe('ComparisonStore', () => {
  it('stores a comparison with what the view showed (empty = all) and reads it back', () => {
    const a = comparisons.create({ name: 'strict vs lazy', runIds: [3, 1], metrics: ['io.iops'] }, 0);
    const b = comparisons.create({ name: 'b', runIds: [1, 2] }, 0);
    expect(comparisons.get(a)).toEqual({
      id: a,
      name: 'strict vs lazy',
      createdAt: '1970-01-01T00:00:00.000Z',
      runIds: [3, 1],
      metrics: ['io.iops'],
      counters: [],
      view: {},
    });
    expect(comparisons.list().map((c) => c.id)).toEqual([b, a]);
    expect(comparisons.delete(a)).toBe(true);
    expect(comparisons.get(a)).toBeUndefined();
    expect(comparisons.delete(a)).toBe(false);
  });

  it("keeps the view's toggles", () => {
    const id = comparisons.create({ name: 'diffs only', runIds: [1, 2], view: { onlyDifferences: true } }, 0);
    expect(comparisons.get(id)?.view).toEqual({ onlyDifferences: true });
  });
});
