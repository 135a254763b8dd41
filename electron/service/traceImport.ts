// A real trace as a run to simulate, shared by `pcilab import-trace` (electron/cli/importTrace.ts)
// and the app's Import trace (LabApi.importTrace): the ftrace / trace-cmd text's DMA maps and
// unmaps (core/trace) become a `dma-trace` workload on a host scenario (a preset's, a scenario
// file's, or by default s390 KVM with QEMU 7.1's RPCIT shadowing), long enough for the whole trace
// and for lazy flush queues to drain after it. A text that holds no ftrace event line is read as a
// QEMU -trace log. Bad input is a TraceImportError whose message names the file or the option.
// Must not: read files, store or run anything (the callers do).

import { basename } from 'node:path';
import { parseFtraceText } from '../../core/trace/ftraceText';
import { parseQemuTraceLog } from '../../core/trace/qemuTraceLog';
import { traceWorkload, type TraceImportStats } from '../../core/trace/traceWorkload';
import { parseScenarioText } from '../../core/scenario/loadScenario';
import { PRESETS } from '../../core/scenario/presets';

export class TraceImportError extends Error {
  constructor(
    message: string,
    /** One `path: message` per problem, for a scenario that does not parse. */
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
    this.name = 'TraceImportError';
  }
}

/** s390 KVM, QEMU 7.1 (its RPCIT shadow without the 7.2 aperture restriction), type1 v2 with the default dma_entry_limit. */
export const DEFAULT_IMPORT_HOST = {
  name: 'imported trace on s390 KVM (QEMU 7.1)',
  seed: 1,
  host: { arch: 's390x', hypervisor: 'kvm', vfio: { backend: 'type1v2' } },
  vms: [
    {
      name: 'vm0',
      vcpus: 2,
      viommu: { model: 's390-zpci', s390: { apertureRestriction: false } },
      devices: [{ name: 'dev0', kind: 'generic' }],
    },
  ],
};

/** The host scenario to replay on: a preset's, a scenario file's text (named `scenarioName` in problems), or the default. */
export function traceHostScenario(host: {
  preset?: string | undefined;
  scenarioText?: string | undefined;
  scenarioName?: string;
}): Record<string, unknown> {
  if (host.scenarioText !== undefined && host.preset !== undefined) throw new TraceImportError('give a scenario or a preset, not both');
  if (host.preset !== undefined) {
    const p = PRESETS.find((x) => x.id === host.preset);
    if (p === undefined) throw new TraceImportError(`no preset "${host.preset}" (pcilab presets lists them)`);
    return structuredClone(p.scenario) as Record<string, unknown>;
  }
  if (host.scenarioText === undefined) return structuredClone(DEFAULT_IMPORT_HOST);
  const parsed = parseScenarioText(host.scenarioText, host.scenarioName ?? 'scenario');
  if (!parsed.ok) throw new TraceImportError(parsed.problems.join('\n'), parsed.problems);
  return parsed.value as Record<string, unknown>;
}

export interface TraceScenario {
  /** The host scenario with the trace's workload, its duration and no claims. */
  readonly scenario: Record<string, unknown>;
  readonly stats: TraceImportStats;
}

/** The run that replays `text` (and extra QEMU logs) on `host`; `file` names the trace in messages, its base name in the workload. */
export function traceScenario(file: string, text: string, qemuLogs: readonly string[], host: Record<string, unknown>): TraceScenario {
  let events = parseFtraceText(text);
  const qemuTexts = [...qemuLogs];
  if (events.length === 0) {
    qemuTexts.unshift(text);
    events = [];
  }
  const qemu = qemuTexts.flatMap((t) => parseQemuTraceLog(t));
  const { workload, stats } = traceWorkload(events, qemu, basename(file));
  if (workload.ops.length === 0 && workload.marks.length === 0) {
    throw new TraceImportError(`${file}: no iommu:map / iommu:unmap / dma:* events and no QEMU trace events`);
  }
  // Long enough for the whole trace and for lazy flush queues to drain after it (1 s single-queue timer).
  const durationMs = Math.min(86_400_000, Math.ceil(stats.spanNs / 1e6) + 1100);
  return { scenario: { ...host, durationMs, workload, claims: [] }, stats };
}
