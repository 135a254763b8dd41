// Saved queries in the store (the query page's "Save"): a name and the SQL, kept per lab database
// and run again on any run.
// Must not: run queries (electron/service/runQuery.ts does) or check the SQL (the API's schema does).

import type { LabDatabase } from './database';
import type { SavedQuery, SavedQueryRequest } from '../core/contract/query';

interface SavedQueryRow {
  id: number;
  name: string;
  sql: string;
  created_at: string;
}

const toSaved = (row: SavedQueryRow): SavedQuery => ({ id: row.id, name: row.name, sql: row.sql, createdAt: row.created_at });

export class QueryStore {
  constructor(private readonly db: LabDatabase) {}

  create(request: SavedQueryRequest, nowMs: number): number {
    const info = this.db
      .prepare('INSERT INTO saved_queries (name, sql, created_at) VALUES (?, ?, ?)')
      .run(request.name, request.sql, new Date(nowMs).toISOString());
    return Number(info.lastInsertRowid);
  }

  /** Newest first. */
  list(): SavedQuery[] {
    return (this.db.prepare('SELECT id, name, sql, created_at FROM saved_queries ORDER BY id DESC').all() as SavedQueryRow[]).map(toSaved);
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM saved_queries WHERE id = ?').run(id).changes > 0;
  }
}
