// Experiments in the store: a named base scenario (a StartRunRequest) and its variants (each a
// list of `--set` overrides), and their executions: each "run all" records which run each variant
// got. Deleting an experiment removes its own rows and keeps its runs (they are ordinary runs);
// deleting a run leaves its variant without a run in that execution.
// Must not: validate scenarios or start runs (the service does).

import type { LabDatabase } from './database';
import type { StartRunRequest } from '../core/contract/labApi';
import type { ExperimentVariantSpec } from '../core/contract/experiments';
import type { RunStatus } from '../core/contract/runResult';

export interface NewExperiment {
  readonly name: string;
  readonly base: StartRunRequest;
  readonly variants: readonly ExperimentVariantSpec[];
}

export interface StoredExperiment extends NewExperiment {
  readonly id: number;
  readonly createdAt: string;
}

export interface VariantRun {
  readonly runId: number | null;
  readonly status: RunStatus | null;
}

interface ExperimentRow {
  id: number;
  name: string;
  created_at: string;
  base_json: string;
  variants_json: string;
}

function toExperiment(row: ExperimentRow): StoredExperiment {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    base: JSON.parse(row.base_json) as StartRunRequest,
    variants: JSON.parse(row.variants_json) as ExperimentVariantSpec[],
  };
}

export class ExperimentStore {
  constructor(private readonly db: LabDatabase) {}

  create(experiment: NewExperiment, nowMs: number): number {
    const info = this.db
      .prepare('INSERT INTO experiments (name, created_at, base_json, variants_json) VALUES (?, ?, ?, ?)')
      .run(experiment.name, new Date(nowMs).toISOString(), JSON.stringify(experiment.base), JSON.stringify(experiment.variants));
    return Number(info.lastInsertRowid);
  }

  get(id: number): StoredExperiment | undefined {
    const row = this.db.prepare('SELECT * FROM experiments WHERE id = ?').get(id) as ExperimentRow | undefined;
    return row === undefined ? undefined : toExperiment(row);
  }

  /** Newest first. */
  list(): StoredExperiment[] {
    return (this.db.prepare('SELECT * FROM experiments ORDER BY id DESC').all() as ExperimentRow[]).map(toExperiment);
  }

  /** Records an execution: `runIds[i]` is the run of variant i. */
  addExecution(experimentId: number, runIds: readonly number[], nowMs: number): number {
    return this.db.transaction(() => {
      const info = this.db
        .prepare('INSERT INTO experiment_executions (experiment_id, created_at) VALUES (?, ?)')
        .run(experimentId, new Date(nowMs).toISOString());
      const executionId = Number(info.lastInsertRowid);
      const run = this.db.prepare('INSERT INTO experiment_runs (execution_id, idx, run_id) VALUES (?, ?, ?)');
      runIds.forEach((runId, idx) => run.run(executionId, idx, runId));
      return executionId;
    })();
  }

  /** The run and status of each variant in the latest execution (empty when never run). */
  latestRuns(experimentId: number): VariantRun[] {
    const rows = this.db
      .prepare(
        `SELECT er.idx, er.run_id, r.status FROM experiment_runs er LEFT JOIN runs r ON r.id = er.run_id
         WHERE er.execution_id = (SELECT MAX(id) FROM experiment_executions WHERE experiment_id = ?)
         ORDER BY er.idx`,
      )
      .all(experimentId) as { idx: number; run_id: number | null; status: RunStatus | null }[];
    const out: VariantRun[] = [];
    for (const r of rows) out[r.idx] = { runId: r.run_id, status: r.status };
    return Array.from(out, (v) => v ?? { runId: null, status: null });
  }

  executionCount(experimentId: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM experiment_executions WHERE experiment_id = ?').get(experimentId) as { n: number })
      .n;
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM experiments WHERE id = ?').run(id).changes > 0;
  }
}
