// A real trace as the lab's `dma-trace` workload (core/scenario/workloadSchemas.ts): the DMA map
// and unmap calls of the busiest IOMMU domain (the device the guest drove), as
// [time ns, CPU, 0 map | 1 unmap, bytes, id], and the trace's other events (invalidations, flushes,
// markers, faults, QEMU's requests) as named marks shown beside the replay. Times start at 0 at the
// trace's first event; QEMU's events keep their own clock (its host time from -msg timestamp=on,
// else their order, 1 us apart), since nothing in the two logs ties the clocks together.
// Sources, best first: the allocator kprobes, iommu:map / iommu:unmap, else dma:* (pseries and
// other platforms that do not use dma-iommu).
// Must not: validate the result (the scenario schema does) or read files.

import { dmaApiFields, ioPageFaultIova, markerText, qiSubmitFields, type FtraceEvent } from './ftraceText';
import { busiestDomain, dmaTraceOps, type DmaTraceMap } from './dmaTraceOps';
import type { QemuTraceEvent } from './qemuTraceLog';

export type TraceOp = [number, number, 0 | 1, number, number];
export type TraceMark = [number, number, number];

export interface DmaTraceWorkloadSpec {
  readonly kind: 'dma-trace';
  readonly source: string;
  readonly ops: TraceOp[];
  readonly markNames: string[];
  readonly marks: TraceMark[];
}

export interface TraceImportStats {
  readonly events: number;
  readonly qemuEvents: number;
  /** Where the DMA calls came from. */
  readonly source: 'kprobes' | 'iommu tracepoints' | 'dma tracepoints' | 'none';
  readonly maps: number;
  readonly unmaps: number;
  /** Unmaps whose map happened before the trace started (not replayed). */
  readonly orphanUnmaps: number;
  readonly spanNs: number;
}

const MAX_MARK_NAMES = 256;

class Marks {
  readonly names: string[] = [];
  readonly marks: TraceMark[] = [];
  private readonly index = new Map<string, number>();
  dropped = 0;

  add(tNs: number, name: string, value: number): void {
    let i = this.index.get(name);
    if (i === undefined) {
      if (this.names.length >= MAX_MARK_NAMES) {
        this.dropped++;
        return;
      }
      i = this.names.length;
      this.names.push(name);
      this.index.set(name, i);
    }
    this.marks.push([tNs, i, value]);
  }
}

/** The guest events shown as marks: everything but the map / unmap calls that become ops. */
function guestMark(e: FtraceEvent, t: number, marks: Marks): void {
  const cpu = `cpu${e.cpu}`;
  const text = markerText(e);
  if (text !== null) marks.add(t, `${cpu} marker: ${text.slice(0, 100)}`, 0);
  else if (e.event === 'qi_submit') {
    const q = qiSubmitFields(e);
    if (q !== null && q.kind !== 'other') marks.add(t, `${cpu} qi_submit ${q.kind}`, q.kind === 'iotlb-page' ? q.mask : 0);
  } else if (e.event === 'io_page_fault') marks.add(t, `${cpu} io_page_fault`, ioPageFaultIova(e) ?? 0);
  else if (e.event.startsWith('cache_tag_flush') || e.event === 'fq_timeout' || e.event === 'rpcit' || e.event.startsWith('viommu_')) {
    marks.add(t, `${cpu} ${e.event}`, 0);
  }
}

/** DMA calls from dma:* events (no dma-iommu underneath): map_page / alloc pair with unmap_page / free by address. */
function opsFromDmaApi(events: readonly FtraceEvent[], t0: number): { ops: TraceOp[]; orphans: number } {
  const ops: TraceOp[] = [];
  const live = new Map<number, number>();
  let id = 0;
  let orphans = 0;
  for (const e of events) {
    const f = dmaApiFields(e);
    if (f === null || f.dmaAddrs.length === 0) continue;
    const addr = f.dmaAddrs[0]!;
    const bytes = f.sizes[0] ?? 0;
    if (e.event === 'dma_map_page' || e.event === 'dma_alloc') {
      if (bytes <= 0 || live.has(addr)) continue;
      live.set(addr, id);
      ops.push([e.tNs - t0, e.cpu, 0, bytes, id++]);
    } else if (e.event === 'dma_unmap_page' || e.event === 'dma_free') {
      const m = live.get(addr);
      if (m === undefined) orphans++;
      else {
        live.delete(addr);
        ops.push([e.tNs - t0, e.cpu, 1, Math.max(1, bytes), m]);
      }
    }
  }
  return { ops, orphans };
}

export function traceWorkload(
  events: readonly FtraceEvent[],
  qemu: readonly QemuTraceEvent[],
  source: string,
): { workload: DmaTraceWorkloadSpec; stats: TraceImportStats } {
  const t0 = events[0]?.tNs ?? 0;
  const all = dmaTraceOps(events);
  const domain = busiestDomain(all);
  const ids = new Map<DmaTraceMap, number>();
  let ops: TraceOp[] = [];
  let orphanUnmaps = 0;
  let kind: TraceImportStats['source'] = 'none';
  for (const o of all) {
    if (o.kind === 'map') {
      if (domain !== null && o.domain !== domain) continue;
      ids.set(o, ids.size);
      ops.push([o.tNs - t0, o.cpu, 0, o.sizeBytes, ids.get(o)!]);
    } else if (o.kind === 'unmap') {
      const id = o.map === null ? undefined : ids.get(o.map);
      if (id === undefined) {
        if (o.map === null) orphanUnmaps++;
        continue;
      }
      ops.push([o.tNs - t0, o.cpu, 1, o.map!.sizeBytes, id]);
    }
  }
  if (ops.length > 0) kind = domain !== null ? 'kprobes' : 'iommu tracepoints';
  else {
    const d = opsFromDmaApi(events, t0);
    ops = d.ops;
    orphanUnmaps = d.orphans;
    if (ops.length > 0) kind = 'dma tracepoints';
  }
  // Trace order is time order (ftrace merges its per-CPU buffers by timestamp); keep it stable.
  ops.sort((a, b) => a[0] - b[0]);
  const marks = new Marks();
  for (const e of events) guestMark(e, e.tNs - t0, marks);
  const q0 = qemu.find((e) => e.hostNs !== null)?.hostNs ?? null;
  qemu.forEach((e, i) => {
    if (e.kind === 'other') return;
    const t = q0 !== null && e.hostNs !== null ? e.hostNs - q0 : i * 1000;
    const value = e.args['addr'] ?? e.args['start'] ?? e.args['ioba'] ?? e.args['lba'] ?? 0;
    marks.add(t, `qemu ${e.name}`, value);
  });
  marks.marks.sort((a, b) => a[0] - b[0]);
  const last = Math.max(ops.length > 0 ? ops[ops.length - 1]![0] : 0, marks.marks.length > 0 ? marks.marks[marks.marks.length - 1]![0] : 0);
  return {
    workload: { kind: 'dma-trace', source, ops, markNames: marks.names, marks: marks.marks },
    stats: {
      events: events.length,
      qemuEvents: qemu.length,
      source: kind,
      maps: ops.filter((o) => o[2] === 0).length,
      unmaps: ops.filter((o) => o[2] === 1).length,
      orphanUnmaps,
      spanNs: last,
    },
  };
}
