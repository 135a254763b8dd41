import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueryStore } from './queryStore';
import { tempDb, type TempDb } from './testDb.testkit';

let t: TempDb;
let queries: QueryStore;
beforeEach(() => {
  t = tempDb();
  queries = new QueryStore(t.db);
});
afterEach(() => t.dispose());

describe('QueryStore', () => {
  it('stores a named query, lists newest first and deletes it', () => {
    const a = queries.create({ name: 'failures', sql: 'SELECT * FROM events WHERE failure' }, 0);
    const b = queries.create({ name: 'metrics', sql: 'SELECT * FROM metrics' }, 1000);
    expect(queries.list()).toEqual([
      { id: b, name: 'metrics', sql: 'SELECT * FROM metrics', createdAt: '1970-01-01T00:00:01.000Z' },
      { id: a, name: 'failures', sql: 'SELECT * FROM events WHERE failure', createdAt: '1970-01-01T00:00:00.000Z' },
    ]);
    expect(queries.delete(a)).toBe(true);
    expect(queries.delete(a)).toBe(false);
    expect(queries.list().map((q) => q.id)).toEqual([b]);
  });
});
