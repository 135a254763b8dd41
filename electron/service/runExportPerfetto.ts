// A run as a Chrome trace event JSON file (the "Trace Event Format"; Perfetto UI and
// chrome://tracing open it), keeping everything the inspector shows:
// - one process per variant (pid 1, 2... in the run's variant order; a run without variants is
//   pid 1), named by process_name metadata with the run, the variant and the scenario's VMs;
// - one thread per lane (tid = lane id + 1), named by thread_name metadata without the variant
//   prefix (the process says which variant);
// - on a lane, spans that nest or follow each other are complete events ("X") on the lane's thread;
//   a span that overlaps the open one without nesting in it (IOs in flight on a device) goes to the
//   lane's first extra thread where it nests or follows ("device.nvme0 (2)"...), so every span is a
//   thread slice a flow can bind to; zero-duration events are thread-scoped instants ("i");
// - every cause link is a flow (an arrow in Perfetto): "s" at the cause, "f" (bp "e": bound to the
//   enclosing slice) at the effect, with the effect's seq as the flow id, so each id is one start and
//   one finish; args still carry seq and cause;
// - counters are counter tracks ("C") of their variant's process, named with their unit.
// Timestamps are microseconds with the nanoseconds as fractions.
// Memory: a first pass over the events collects the seqs that cause something; the second keeps
// where each of those lies (time, process, thread) until the run's end, plus the effects met before
// their cause (a failure span starts before the events that decide it). No event is held otherwise.
// Must not: hold more than a chunk of output besides those, and per lane thread the stack of open spans.

import type { TimelineEvent } from '../../core/contract/timeline';
import { ChunkWriter, nsToUs, type ExportSource } from './runExportSource';

/** The flow name and category Perfetto shows on an arrow. */
export const FLOW_NAME = 'cause';

function argsOf(e: TimelineEvent): Record<string, unknown> {
  return e.cause === null ? { ...e.args, seq: e.seq } : { ...e.args, seq: e.seq, cause: e.cause };
}

/** The variant a lane belongs to ("percpu" of "percpu/vm0.cpu1"), or '' for a run without variants. */
export function laneVariant(laneName: string): string {
  const slash = laneName.indexOf('/');
  return slash < 0 ? '' : laneName.slice(0, slash);
}

/** A lane's thread name: the lane without its variant prefix (the process names the variant). */
function threadName(laneName: string): string {
  const variant = laneVariant(laneName);
  return variant === '' ? laneName : laneName.slice(variant.length + 1);
}

/** The variant a counter series belongs to ("percpu" of "percpu:vfio.entries"), or ''. */
export function counterVariant(seriesName: string, variants: ReadonlySet<string>): { variant: string; name: string } {
  const colon = seriesName.indexOf(':');
  if (colon > 0 && variants.has(seriesName.slice(0, colon)))
    return { variant: seriesName.slice(0, colon), name: seriesName.slice(colon + 1) };
  return { variant: '', name: seriesName };
}

function vmNames(scenario: unknown): string[] {
  const vms = (scenario as { vms?: unknown } | null)?.vms;
  if (!Array.isArray(vms)) return [];
  return vms.map((vm, i) => {
    const name = (vm as { name?: unknown } | null)?.name;
    return typeof name === 'string' ? name : `vm${i}`;
  });
}

interface Place {
  readonly ts: number;
  readonly pid: number;
  readonly tid: number;
}

export function* perfettoChunks(source: ExportSource): Generator<string> {
  const { run, meta } = source;
  const out = new ChunkWriter();
  const lanes = meta?.lanes ?? [];
  const variantNames = run.variants.map((v) => v.name);
  // pid per variant, in the run's order; lanes of a variant the run does not list get the next pids.
  const pids = new Map<string, number>(variantNames.length > 0 ? variantNames.map((v, i) => [v, i + 1]) : [['', 1]]);
  const pidOf = (variant: string): number => {
    let pid = pids.get(variant);
    if (pid === undefined) pids.set(variant, (pid = pids.size + 1));
    return pid;
  };
  const lanePid = lanes.map((l) => pidOf(laneVariant(l.name)));
  const variantSet = new Set(variantNames);
  for (const c of run.counters) pidOf(counterVariant(c.name, variantSet).variant);
  const header = {
    displayTimeUnit: 'ns',
    otherData: {
      lab: 'PCI Passthrough Lab',
      runId: run.id,
      name: run.name,
      status: run.status,
      timelineHash: run.timelineHash,
      variants: variantNames,
    },
  };
  const head = out.add(`${JSON.stringify(header).slice(0, -1)},"traceEvents":[\n`);
  if (head !== null) yield head;
  let first = true;
  const emit = function* (event: Record<string, unknown>): Generator<string> {
    const chunk = out.add((first ? '' : ',\n') + JSON.stringify(event));
    first = false;
    if (chunk !== null) yield chunk;
  };
  const vms = vmNames(run.scenario);
  const vmText = vms.length === 0 ? '' : ` (${vms.length === 1 ? 'VM' : 'VMs'} ${vms.join(', ')})`;
  for (const [variant, pid] of pids) {
    const name = variant === '' ? `run ${run.id}: ${run.name}${vmText}` : `variant ${variant} · run ${run.id}: ${run.name}${vmText}`;
    yield* emit({ ph: 'M', pid, name: 'process_name', args: { name } });
    yield* emit({ ph: 'M', pid, name: 'process_sort_index', args: { sort_index: pid } });
  }
  for (const l of lanes) {
    const pid = lanePid[l.id] ?? 1;
    yield* emit({ ph: 'M', pid, tid: l.id + 1, name: 'thread_name', args: { name: threadName(l.name) } });
    yield* emit({ ph: 'M', pid, tid: l.id + 1, name: 'thread_sort_index', args: { sort_index: l.id } });
  }

  // Pass 1: which events cause something (their place is kept when pass 2 meets them).
  const causes = new Set<number>();
  for (const e of source.events()) if (e.cause !== null) causes.add(e.cause);
  const placeOf = new Map<number, Place>();
  /** Effects met before their cause: cause seq -> the effects' places and seqs. */
  const waiting = new Map<number, { seq: number; at: Place }[]>();
  const flow = function* (cause: Place, effectSeq: number, effect: Place): Generator<string> {
    yield* emit({ ph: 's', id: effectSeq, pid: cause.pid, tid: cause.tid, ts: cause.ts, name: FLOW_NAME, cat: FLOW_NAME });
    yield* emit({ ph: 'f', bp: 'e', id: effectSeq, pid: effect.pid, tid: effect.tid, ts: effect.ts, name: FLOW_NAME, cat: FLOW_NAME });
  };

  // Pass 2: the events, and a flow per cause link as soon as both ends are known.
  // Per lane, its threads (the lane's own first, extra ones for overlapping spans): each with its
  // tid and the end times of its complete events still open (innermost last).
  const threads: { tid: number; open: number[] }[][] = lanes.map((l) => [{ tid: l.id + 1, open: [] }]);
  let nextTid = lanes.reduce((m, l) => Math.max(m, l.id + 1), 0) + 1;
  for (const e of source.events()) {
    const pid = lanePid[e.lane] ?? 1;
    const lane = lanes[e.lane];
    const cat = lane?.name ?? `lane${e.lane}`;
    const own = (threads[e.lane] ??= [{ tid: e.lane + 1, open: [] }]);
    const ts = nsToUs(e.tNs);
    let tid = own[0]!.tid;
    if (e.durNs === 0) {
      yield* emit({ ph: 'i', s: 't', pid, tid, ts, name: e.kind, cat, args: argsOf(e) });
    } else {
      const end = e.tNs + e.durNs;
      let thread = own.find((t) => {
        while (t.open.length > 0 && t.open[t.open.length - 1]! <= e.tNs) t.open.pop();
        return t.open.length === 0 || end <= t.open[t.open.length - 1]!;
      });
      if (thread === undefined) {
        thread = { tid: nextTid++, open: [] };
        own.push(thread);
        const base = lane === undefined ? `lane${e.lane}` : threadName(lane.name);
        yield* emit({ ph: 'M', pid, tid: thread.tid, name: 'thread_name', args: { name: `${base} (${own.length})` } });
        yield* emit({ ph: 'M', pid, tid: thread.tid, name: 'thread_sort_index', args: { sort_index: e.lane + own.length / 1000 } });
      }
      thread.open.push(end);
      tid = thread.tid;
      yield* emit({ ph: 'X', pid, tid, ts, dur: nsToUs(e.durNs), name: e.kind, cat, args: argsOf(e) });
    }
    const here: Place = { ts, pid, tid };
    if (causes.has(e.seq)) {
      placeOf.set(e.seq, here);
      const effects = waiting.get(e.seq);
      if (effects !== undefined) {
        waiting.delete(e.seq);
        for (const w of effects) yield* flow(here, w.seq, w.at);
      }
    }
    if (e.cause !== null) {
      const cause = placeOf.get(e.cause);
      if (cause !== undefined) yield* flow(cause, e.seq, here);
      else {
        let list = waiting.get(e.cause);
        if (list === undefined) waiting.set(e.cause, (list = []));
        list.push({ seq: e.seq, at: here });
      }
    }
  }
  // Effects whose cause was never stored (a timeline cut short) keep only args.cause.

  for (const c of run.counters) {
    const { variant, name: bare } = counterVariant(c.name, variantSet);
    const pid = pidOf(variant);
    const name = c.unit === '' ? bare : `${bare} (${c.unit})`;
    for (let i = 0; i < c.tNs.length; i++) yield* emit({ ph: 'C', pid, ts: nsToUs(c.tNs[i]!), name, args: { value: c.values[i] } });
  }
  const tail = out.add('\n]}\n');
  yield tail ?? out.flush();
}
