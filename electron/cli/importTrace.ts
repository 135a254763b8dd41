// `pcilab import-trace FILE [--qemu-log FILE] [--scenario FILE | --preset ID] [--set a.b.c=value ...]
// [--db PATH] [--json]`: a real trace (ftrace / trace-cmd text with iommu:map / iommu:unmap, dma:*
// and the oracle's kprobes; gzip'd or not) and QEMU -trace logs become one stored run whose timeline
// shows the real events, while the trace's DMA maps and unmaps replay through a scenario's host
// side (the `dma-trace` workload). The default host: s390 KVM with QEMU 7.1's RPCIT shadowing (no
// aperture restriction) and VFIO's default dma_entry_limit, the question being "does this guest's
// real DMA pattern hit the limit there?". A file that holds no ftrace event line is read as a QEMU log.
// Must not: change how runs are stored or executed (runLauncher / runExecution do).

import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { TraceImportStats } from '../../core/trace/traceWorkload';
import { prepareRun } from '../../core/run/runRequest';
import { openLabDatabase } from '../../db/database';
import { RunStore } from '../../db/runStore';
import { asOwner } from '../../db/labOwners';
import { executeRun } from '../service/runExecution';
import { storeRun } from '../service/runLauncher';
import { runJson } from './cliOutput';
import { traceHostScenario, traceScenario, TraceImportError } from '../service/traceImport';

/** What a trace file may weigh (a day of tracing a busy device is far less once gzip'd). */
const MAX_TRACE_BYTES = 1024 * 1024 * 1024;

export interface ImportTraceIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** The database path from --db, $PCILAB_DB or the data directory (main.ts resolves it). */
  readonly dbPath: (db: string | undefined) => string;
}

export class ImportTraceUsageError extends Error {}

/** A regular file's text, gunzipped when it starts with gzip's magic. */
function readTraceFile(path: string): string {
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined || !st.isFile()) throw new ImportTraceUsageError(`${path}: not a regular file`);
  if (st.size > MAX_TRACE_BYTES) throw new ImportTraceUsageError(`${path}: larger than ${MAX_TRACE_BYTES} bytes`);
  const raw = readFileSync(path);
  return (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw, { maxOutputLength: 4 * MAX_TRACE_BYTES }) : raw).toString('utf8');
}

function summary(stats: TraceImportStats, runId: number, metrics: Readonly<Record<string, number>>): string {
  const keys = [
    'trace.maps',
    'trace.unmaps',
    'trace.mapFailures',
    'trace.liveMapsPeak',
    'vfio.mapIoctls',
    'vfio.dmaAvailMin',
    's390.shadow.dmaAvailMin',
    'rpcit.calls',
    'rpcit.outOfResource',
    'rpcit.globalFlushRetries',
    'iova.exhaustions',
    'viommu.invalidations.psi',
    'viommu.requests',
    'hcall.H_PUT_TCE',
  ];
  const lines = [
    `run ${runId}: ${stats.events} trace events (${stats.source}), ${stats.qemuEvents} QEMU events; ` +
      `${stats.maps} maps and ${stats.unmaps} unmaps over ${(stats.spanNs / 1e6).toFixed(1)} ms replayed` +
      (stats.orphanUnmaps > 0 ? ` (${stats.orphanUnmaps} unmaps of maps made before the trace started left out)` : ''),
  ];
  for (const k of keys) if (metrics[k] !== undefined) lines.push(`  ${k} ${metrics[k]}`);
  lines.push(
    (metrics['trace.mapFailures'] ?? 0) > 0
      ? 'the real pattern fails on this host (see the failures on the timeline)'
      : 'every traced map succeeded on this host',
  );
  return lines.join('\n');
}

/** Runs the command; returns the exit code (0 done, 1 the run failed, 2 bad input). */
export function commandImportTrace(args: string[], io: ImportTraceIo): number {
  try {
    return importTrace(args, io);
  } catch (err) {
    if (!(err instanceof ImportTraceUsageError)) throw err;
    io.err(`pcilab: ${err.message}`);
    return 2;
  }
}

function importTrace(args: string[], io: ImportTraceIo): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      db: { type: 'string' },
      'qemu-log': { type: 'string', multiple: true },
      scenario: { type: 'string' },
      preset: { type: 'string' },
      set: { type: 'string', multiple: true },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new ImportTraceUsageError('import-trace takes exactly one trace file');
  const file = positionals[0]!;
  const text = readTraceFile(file);
  const qemuTexts = (values['qemu-log'] ?? []).map(readTraceFile);
  let full: Record<string, unknown>;
  let stats: TraceImportStats;
  try {
    const host = traceHostScenario({
      preset: values.preset,
      scenarioText: values.scenario === undefined ? undefined : readFileSync(values.scenario, 'utf8'),
      scenarioName: values.scenario ?? 'scenario',
    });
    ({ scenario: full, stats } = traceScenario(file, text, qemuTexts, host));
  } catch (err) {
    if (err instanceof TraceImportError) throw new ImportTraceUsageError(err.message);
    throw err;
  }
  const prepared = prepareRun({ scenarioText: JSON.stringify(full), overrides: values.set ?? [] });
  if (!prepared.ok) {
    for (const p of prepared.problems) io.err(p);
    return 2;
  }
  const db = openLabDatabase(io.dbPath(values.db));
  try {
    const { runId, outcome } = asOwner(db, Date.now(), (ownerId) => {
      const stored = storeRun(new RunStore(db, { ownerId }), prepared, Date.now(), `import-trace ${basename(file)}`);
      return {
        runId: stored.runId,
        outcome: executeRun(db, stored.runId, prepared.plan, { nowMs: () => Date.now(), isCancelled: () => false }),
      };
    });
    if (outcome.status !== 'completed') {
      io.err(`run ${runId} ${outcome.status}${outcome.status === 'failed' ? `: ${outcome.error}` : ''}`);
      return 1;
    }
    const m = outcome.result.metrics;
    io.out(values.json === true ? JSON.stringify({ ...runJson(runId, 'completed', m, [], []), trace: stats }) : summary(stats, runId, m));
    return 0;
  } finally {
    db.close();
  }
}
