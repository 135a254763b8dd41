// Saved comparisons in the store: a name, the compared run ids and what the view showed (metrics
// and counters, empty = all; its toggles). The comparison itself is recomputed from the runs when reopened, so
// it shows what the runs hold; run ids carry no foreign key, so a deleted run is reported missing.
// Must not: compute comparisons (the service does).

import type { LabDatabase } from './database';
import type { ComparisonViewState, SavedComparisonRequest } from '../core/contract/comparison';

export interface StoredComparison {
  readonly id: number;
  readonly name: string;
  readonly createdAt: string;
  readonly runIds: readonly number[];
  readonly metrics: readonly string[];
  readonly counters: readonly string[];
  readonly view: ComparisonViewState;
}

interface ComparisonRow {
  id: number;
  name: string;
  created_at: string;
  run_ids_json: string;
  metrics_json: string;
  counters_json: string;
  view_json: string;
}

function toComparison(row: ComparisonRow): StoredComparison {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    runIds: JSON.parse(row.run_ids_json) as number[],
    metrics: JSON.parse(row.metrics_json) as string[],
    counters: JSON.parse(row.counters_json) as string[],
    view: JSON.parse(row.view_json) as ComparisonViewState,
  };
}

export class ComparisonStore {
  constructor(private readonly db: LabDatabase) {}

  create(request: SavedComparisonRequest, nowMs: number): number {
    const info = this.db
      .prepare('INSERT INTO comparisons (name, created_at, run_ids_json, metrics_json, counters_json, view_json) VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        request.name,
        new Date(nowMs).toISOString(),
        JSON.stringify(request.runIds),
        JSON.stringify(request.metrics ?? []),
        JSON.stringify(request.counters ?? []),
        JSON.stringify(request.view ?? {}),
      );
    return Number(info.lastInsertRowid);
  }

  get(id: number): StoredComparison | undefined {
    const row = this.db.prepare('SELECT * FROM comparisons WHERE id = ?').get(id) as ComparisonRow | undefined;
    return row === undefined ? undefined : toComparison(row);
  }

  /** Newest first. */
  list(): StoredComparison[] {
    return (this.db.prepare('SELECT * FROM comparisons ORDER BY id DESC').all() as ComparisonRow[]).map(toComparison);
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM comparisons WHERE id = ?').run(id).changes > 0;
  }
}
