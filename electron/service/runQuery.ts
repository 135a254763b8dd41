// Runs a read-only SQL query over one stored run (`pcilab query`, LabService.queryRun; the views
// are db/runQuery.ts's) in a child process of its own, killed when it runs past the time limit:
// better-sqlite3 has no way to interrupt SQLite, and a worker thread stuck in SQLite cannot be
// stopped either. The CLI built to JavaScript starts the built child (out/cli/runQueryChild.mjs);
// running from the TypeScript source starts the source through tsx; the desktop app passes its own
// spawner (a utility process, queryProcess.ts).
// Must not: run the query in this process (a runaway query would block it).

import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { QueryRunRequestSchema, type QueryRunRequest, type QueryRunResult } from '../../core/contract/query';
import { LabError } from './labError';
import type { QueryChildRequest } from './runQueryProtocol';
import { queryProcessSpawner, type QueryChildEntry, type QueryProcessSpawner } from './queryProcess';

export type { QueryProcessSpawner } from './queryProcess';

/** The query child under Node: the built one beside the built CLI, else the TypeScript source through tsx. */
function nodeQueryChildEntry(): QueryChildEntry {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { path: fileURLToPath(new URL('./runQueryChild.mjs', here)), execArgv: [] };
  const tsx = pathToFileURL(createRequire(here).resolve('tsx')).href;
  return { path: fileURLToPath(new URL('./runQueryChild.ts', here)), execArgv: ['--import', tsx] };
}

/** Starts a query process under Node (the browser mode, the CLI); the desktop app passes its own. */
export const spawnQueryProcess: QueryProcessSpawner = () => queryProcessSpawner({ versions: {} }, nodeQueryChildEntry())();

export interface QueryRunOptions {
  readonly dbPath: string;
  readonly nativeBinding?: string;
  readonly spawn?: QueryProcessSpawner;
}

/** Thrown when a query runs past its time limit (the query process was killed). */
export class QueryTimeoutError extends LabError {
  constructor(readonly timeoutMs: number) {
    super('invalid-argument', `the query ran longer than ${timeoutMs.toLocaleString('en-US')} ms (its time limit) and was stopped`);
  }
}

/**
 * Answers `request` over the run's views. Rejects with LabError: 'invalid-argument' for a bad
 * request, a query that is not one SELECT or that SQLite rejects, and a time-out
 * (QueryTimeoutError); 'not-found' for a missing run; 'internal' for a broken database or a crash.
 */
export function queryRun(request: QueryRunRequest, options: QueryRunOptions): Promise<QueryRunResult> {
  const parsed = QueryRunRequestSchema.safeParse(request);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`);
    return Promise.reject(new LabError('invalid-argument', problems.join('\n'), problems));
  }
  const { runId, sql, maxRows, timeoutMs } = parsed.data;
  const message: QueryChildRequest = {
    dbPath: options.dbPath,
    runId,
    sql,
    maxRows,
    ...(options.nativeBinding === undefined ? {} : { nativeBinding: options.nativeBinding }),
  };
  return new Promise<QueryRunResult>((resolve, reject) => {
    const child = (options.spawn ?? spawnQueryProcess)();
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      child.kill();
      settle(() => reject(new QueryTimeoutError(timeoutMs)));
    }, timeoutMs);
    child.onReply((reply) => {
      settle(() => {
        if (reply.ok) resolve(reply.result);
        else if (reply.kind === 'query') reject(new LabError('invalid-argument', reply.message));
        else if (reply.kind === 'not-found') reject(new LabError('not-found', reply.message));
        else reject(new LabError('internal', reply.message));
      });
    });
    child.onError((err) => settle(() => reject(new LabError('internal', `cannot start the query process: ${err.message}`))));
    child.onExit((how) =>
      settle(() => reject(new LabError('internal', `the query process ended without answering (${how}) ${stderr.trim()}`.trim()))),
    );
    child.send(message);
  });
}
