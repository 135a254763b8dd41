// The process one run query runs in (electron/service/runQuery.ts starts it, one per query, and
// kills it at the time limit: SQLite cannot be interrupted from JavaScript). Receives one request
// over IPC, answers with the result or a failure, and exits: forked by Node it talks over
// process.send; started by the desktop app as an Electron utility process (queryProcess.ts) over
// process.parentPort, and the app ends it once it has answered.
// Must not: write to the database (db/runQuery.ts opens it read-only, query_only).

import { openRunQuery, QueryError, runQuery } from '../../db/runQuery';
import { describeDatabaseError, isEnvironmentError, LabDatabaseError } from '../../db/database';
import type { QueryChildReply, QueryChildRequest } from './runQueryProtocol';
import { errorMessage } from './labError';

function answer(request: QueryChildRequest): QueryChildReply {
  const started = performance.now();
  try {
    const db = openRunQuery(
      request.dbPath,
      request.runId,
      request.nativeBinding === undefined ? {} : { nativeBinding: request.nativeBinding },
    );
    if (db === undefined) return { ok: false, kind: 'not-found', message: `no run ${request.runId}` };
    try {
      const result = runQuery(db, request.sql, request.maxRows);
      return { ok: true, result: { ...result, elapsedMs: Math.round(performance.now() - started) } };
    } finally {
      db.close();
    }
  } catch (err) {
    if (err instanceof QueryError) return { ok: false, kind: 'query', message: err.message };
    if (err instanceof LabDatabaseError) return { ok: false, kind: 'environment', message: err.message };
    if (isEnvironmentError(err)) return { ok: false, kind: 'environment', message: `${request.dbPath}: ${describeDatabaseError(err)}` };
    return { ok: false, kind: 'internal', message: errorMessage(err) };
  }
}

/** Electron's parentPort in a utility process (absent under Node). */
interface ParentPortLike {
  once(event: 'message', listener: (event: { data: QueryChildRequest }) => void): unknown;
  postMessage(message: QueryChildReply): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
if (parentPort !== undefined) {
  parentPort.once('message', (event) => parentPort.postMessage(answer(event.data)));
} else {
  process.once('message', (request: QueryChildRequest) => {
    process.send?.(answer(request), () => process.disconnect());
  });
}
