// A run as a Chrome trace event JSON file (the "Trace Event Format"; Perfetto UI and
// chrome://tracing open it): one process for the run, one thread per lane named by thread_name
// metadata. On a lane, spans that nest or follow each other are complete events ("X"); a span that
// overlaps the open one without nesting in it (IOs in flight on a device) becomes an async pair
// ("b"/"e", id = its seq, cat = the lane); zero-duration events are thread-scoped instants ("i").
// Every event's args carry its seq and its cause's seq. Counters are "C" events. Timestamps are
// microseconds with the nanoseconds as fractions.
// Must not: hold more than a chunk of output, and per lane the stack of open spans.

import type { TimelineEvent } from '../../core/contract/timeline';
import { ChunkWriter, nsToUs, type ExportSource } from './runExportSource';

function argsOf(e: TimelineEvent): Record<string, unknown> {
  return e.cause === null ? { ...e.args, seq: e.seq } : { ...e.args, seq: e.seq, cause: e.cause };
}

export function* perfettoChunks(source: ExportSource): Generator<string> {
  const { run, meta } = source;
  const pid = run.id;
  const out = new ChunkWriter();
  const lanes = meta?.lanes ?? [];
  const header = {
    displayTimeUnit: 'ns',
    otherData: { lab: 'PCI Passthrough Lab', runId: run.id, name: run.name, status: run.status, timelineHash: run.timelineHash },
  };
  const head = out.add(`${JSON.stringify(header).slice(0, -1)},"traceEvents":[\n`);
  if (head !== null) yield head;
  let first = true;
  const emit = function* (event: Record<string, unknown>): Generator<string> {
    const chunk = out.add((first ? '' : ',\n') + JSON.stringify(event));
    first = false;
    if (chunk !== null) yield chunk;
  };
  yield* emit({ ph: 'M', pid, name: 'process_name', args: { name: `run ${run.id}: ${run.name}` } });
  for (const l of lanes) {
    yield* emit({ ph: 'M', pid, tid: l.id + 1, name: 'thread_name', args: { name: l.name } });
    yield* emit({ ph: 'M', pid, tid: l.id + 1, name: 'thread_sort_index', args: { sort_index: l.id } });
  }
  // Per lane, the end times of the complete events still open (innermost last).
  const open: number[][] = lanes.map(() => []);
  for (const e of source.events()) {
    const tid = e.lane + 1;
    const cat = lanes[e.lane]?.name ?? `lane${e.lane}`;
    const ts = nsToUs(e.tNs);
    if (e.durNs === 0) {
      yield* emit({ ph: 'i', s: 't', pid, tid, ts: ts, name: e.kind, cat, args: argsOf(e) });
      continue;
    }
    const stack = (open[e.lane] ??= []);
    const end = e.tNs + e.durNs;
    while (stack.length > 0 && stack[stack.length - 1]! <= e.tNs) stack.pop();
    if (stack.length === 0 || end <= stack[stack.length - 1]!) {
      stack.push(end);
      yield* emit({ ph: 'X', pid, tid, ts: ts, dur: nsToUs(e.durNs), name: e.kind, cat, args: argsOf(e) });
    } else {
      yield* emit({ ph: 'b', pid, tid, ts: ts, id: e.seq, name: e.kind, cat, args: argsOf(e) });
      yield* emit({ ph: 'e', pid, tid, ts: nsToUs(end), id: e.seq, name: e.kind, cat });
    }
  }
  for (const c of run.counters) {
    const name = c.unit === '' ? c.name : `${c.name} (${c.unit})`;
    for (let i = 0; i < c.tNs.length; i++) yield* emit({ ph: 'C', pid, ts: nsToUs(c.tNs[i]!), name, args: { value: c.values[i] } });
  }
  const tail = out.add('\n]}\n');
  yield tail ?? out.flush();
}
