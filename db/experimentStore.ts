// Experiments in the store: a named base scenario (a StartRunRequest) and its variants (each a
// list of `--set` overrides), and their executions: each "run all" records which run each variant
// got. Deleting an experiment removes its own rows and keeps its runs (they are ordinary runs);
// deleting a run leaves its variant without a run in that execution. A bisect experiment stores its
// spec and one variant per version; its execution records each version's run as it is started, the
// outcome when the run completed, and its own state (running, done, stopped with an error).
// Must not: validate scenarios or start runs (the service does).

import type { LabDatabase } from './database';
import type { StartRunRequest } from '../core/contract/labApi';
import type { BisectSpec, ExperimentKind, ExperimentVariantSpec } from '../core/contract/experiments';
import type { RunStatus } from '../core/contract/runResult';

export interface NewExperiment {
  readonly name: string;
  readonly base: StartRunRequest;
  readonly variants: readonly ExperimentVariantSpec[];
  readonly kind?: ExperimentKind;
  readonly bisect?: BisectSpec;
}

export interface StoredExperiment extends NewExperiment {
  readonly id: number;
  readonly createdAt: string;
  readonly kind: ExperimentKind;
}

export interface VariantRun {
  readonly runId: number | null;
  readonly status: RunStatus | null;
  /** A bisect step's outcome (null until its run completed, and for variants experiments). */
  readonly outcome: number | null;
  /** The variant has a row in the execution (a bisect runs only some versions). */
  readonly ran: boolean;
}

export type ExecutionState = 'running' | 'done' | 'stopped';

export interface ExecutionInfo {
  readonly id: number;
  /** Null for a variants execution. */
  readonly state: ExecutionState | null;
  readonly error: string | null;
}

interface ExperimentRow {
  id: number;
  name: string;
  created_at: string;
  base_json: string;
  variants_json: string;
  kind: ExperimentKind;
  bisect_json: string | null;
}

function toExperiment(row: ExperimentRow): StoredExperiment {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    base: JSON.parse(row.base_json) as StartRunRequest,
    variants: JSON.parse(row.variants_json) as ExperimentVariantSpec[],
    kind: row.kind,
    ...(row.bisect_json === null ? {} : { bisect: JSON.parse(row.bisect_json) as BisectSpec }),
  };
}

export class ExperimentStore {
  constructor(private readonly db: LabDatabase) {}

  create(experiment: NewExperiment, nowMs: number): number {
    const info = this.db
      .prepare('INSERT INTO experiments (name, created_at, base_json, variants_json, kind, bisect_json) VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        experiment.name,
        new Date(nowMs).toISOString(),
        JSON.stringify(experiment.base),
        JSON.stringify(experiment.variants),
        experiment.kind ?? 'variants',
        experiment.bisect === undefined ? null : JSON.stringify(experiment.bisect),
      );
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

  /** Starts a bisect execution (state running, no steps yet). */
  startBisectExecution(experimentId: number, nowMs: number): number {
    const info = this.db
      .prepare(`INSERT INTO experiment_executions (experiment_id, created_at, state) VALUES (?, ?, 'running')`)
      .run(experimentId, new Date(nowMs).toISOString());
    return Number(info.lastInsertRowid);
  }

  /** Records that version `idx` of a bisect execution runs as `runId`. */
  addStep(executionId: number, idx: number, runId: number): void {
    this.db.prepare('INSERT INTO experiment_runs (execution_id, idx, run_id) VALUES (?, ?, ?)').run(executionId, idx, runId);
  }

  setStepOutcome(executionId: number, idx: number, outcome: number): void {
    this.db.prepare('UPDATE experiment_runs SET outcome = ? WHERE execution_id = ? AND idx = ?').run(outcome, executionId, idx);
  }

  finishExecution(executionId: number, state: Exclude<ExecutionState, 'running'>, error: string | null): void {
    this.db.prepare('UPDATE experiment_executions SET state = ?, error = ? WHERE id = ?').run(state, error, executionId);
  }

  /** The latest execution, or undefined when never run. */
  latestExecution(experimentId: number): ExecutionInfo | undefined {
    return this.db
      .prepare('SELECT id, state, error FROM experiment_executions WHERE experiment_id = ? ORDER BY id DESC LIMIT 1')
      .get(experimentId) as ExecutionInfo | undefined;
  }

  /** The run and status of each variant in the latest execution (empty when never run). */
  latestRuns(experimentId: number): VariantRun[] {
    const rows = this.db
      .prepare(
        `SELECT er.idx, er.run_id, r.status, er.outcome FROM experiment_runs er LEFT JOIN runs r ON r.id = er.run_id
         WHERE er.execution_id = (SELECT MAX(id) FROM experiment_executions WHERE experiment_id = ?)
         ORDER BY er.idx`,
      )
      .all(experimentId) as { idx: number; run_id: number | null; status: RunStatus | null; outcome: number | null }[];
    const out: VariantRun[] = [];
    for (const r of rows) out[r.idx] = { runId: r.run_id, status: r.status, outcome: r.outcome, ran: true };
    return Array.from(out, (v) => v ?? { runId: null, status: null, outcome: null, ran: false });
  }

  executionCount(experimentId: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM experiment_executions WHERE experiment_id = ?').get(experimentId) as { n: number })
      .n;
  }

  delete(id: number): boolean {
    return this.db.prepare('DELETE FROM experiments WHERE id = ?').run(id).changes > 0;
  }
}
