// Turns a parsed trace into the DMA API's operations as one IOMMU domain's allocator saw them:
// a map (one IOVA range; the iommu_map calls that filled it), an unmap, a flush-queue timer flush.
// Two sources, best first:
// - kprobes on the IOVA allocator (pcilab:alloc_iova / alloc_iova_ret on alloc_iova_fast,
//   pcilab:free_iova on free_iova_fast, pcilab:fq_timeout on fq_flush_timeout, which the oracle
//   sets from boot): every allocation with its domain, size, limit and result;
// - the stock tracepoints alone (iommu:map / iommu:unmap, as any `trace-cmd record -e iommu` has):
//   runs of iommu:map events with contiguous IOVAs on one CPU are one DMA map, cut where an
//   iommu:unmap shows a boundary (__iommu_dma_unmap unmaps a whole DMA range at once).
// Must not: simulate anything (the lab's replay does) or parse text (ftraceText.ts does).

import { iommuMapFields, iommuUnmapFields, qiSubmitFields, type FtraceEvent } from './ftraceText';

export interface DmaTraceMap {
  readonly kind: 'map';
  readonly tNs: number;
  readonly cpu: number;
  /** IOVA of the range (bytes). */
  readonly iova: number;
  readonly sizeBytes: number;
  /** iommu_map calls inside the range (one per physically contiguous run). */
  iommuMaps: number;
  /** From the allocator kprobes: the domain (iova_domain pointer), size in pages, limit pfn; else null. */
  readonly domain: string | null;
  readonly allocPages: number | null;
  readonly limitPfn: number | null;
  /** A first try below 4 GiB failed before this allocation (the SAC workaround giving up). */
  readonly sacFailed: boolean;
  /** Unmapped later in the trace. */
  unmapped: boolean;
  readonly line: number;
}

export interface DmaTraceUnmap {
  readonly kind: 'unmap';
  readonly tNs: number;
  readonly cpu: number;
  readonly iova: number;
  readonly sizeBytes: number;
  /** The map it ends, when the trace has it. */
  readonly map: DmaTraceMap | null;
  readonly line: number;
}

export interface DmaTraceFlush {
  readonly kind: 'fq-timeout';
  readonly tNs: number;
  readonly cpu: number;
  readonly line: number;
  /**
   * The fq_flush_timeout kprobe missed this hit (kprobe_profile counts it) and the flush is known
   * only by its domain-selective IOTLB invalidation (intel_iommu:qi_submit): see dmaOpsFromProbes.
   */
  readonly inferred?: boolean;
}

/** free_iova_fast as the kprobe saw it (lazy mode frees at flush time, strict at unmap). */
export interface DmaTraceFree {
  readonly kind: 'free';
  readonly tNs: number;
  readonly cpu: number;
  readonly domain: string;
  readonly pfn: number;
  readonly pages: number;
  readonly line: number;
}

export type DmaTraceOp = DmaTraceMap | DmaTraceUnmap | DmaTraceFlush | DmaTraceFree;

const PAGE = 4096;

function kv(body: string, name: string): string | null {
  const m = new RegExp(`\\b${name}=(\\S+)`).exec(body);
  return m === null ? null : m[1]!;
}

function num(s: string | null): number {
  if (s === null) return NaN;
  return s.startsWith('0x') ? parseInt(s.slice(2), 16) : Number(s);
}

/** Whether the trace carries the oracle's allocator kprobes. */
export function hasAllocatorProbes(events: readonly FtraceEvent[]): boolean {
  return events.some((e) => e.event === 'alloc_iova_ret');
}

/** DMA operations from the allocator kprobes, for every domain (filter by `domain`). */
export function dmaOpsFromProbes(events: readonly FtraceEvent[]): DmaTraceOp[] {
  const ops: DmaTraceOp[] = [];
  // The map goes into the sequence where the allocation starts: an interrupt on the same CPU may
  // unmap and free while alloc_iova_fast runs, and the kretprobe reports the result only after
  // that. Whether the interrupt's free came before the allocation took its range cannot be seen,
  // except in the answer: when the allocation returns the range that interrupt unmapped, the free
  // came first and the map moves after that unmap. The IOVA is filled in at the return.
  const pending = new Map<number, { map: DmaTraceMap & { iova: number; sizeBytes: number }; limit: number; unmaps: DmaTraceUnmap[] }>();
  const failed = new Set<DmaTraceOp>();
  const sacFailedOn = new Set<number>();
  const current = new Map<number, DmaTraceMap>();
  const live = new Map<number, DmaTraceMap[]>();
  // A traced fq_flush_timeout hit waiting for its own domain-wide invalidation, per CPU.
  const timerOn = new Set<number>();
  // The last event each CPU traced (other than qi_submit): an fq-full flush follows an unmap.
  const lastOn = new Map<number, string>();
  const probed = events.some((e) => e.event === 'fq_timeout');
  // The last traced timer flush per CPU, until that CPU allocates or maps again.
  const lastTimer = new Map<number, DmaTraceFlush>();
  for (const e of events) {
    if (e.event !== 'qi_submit') lastOn.set(e.cpu, e.event);
    if (e.event === 'alloc_iova' || e.event === 'map') lastTimer.delete(e.cpu);
    switch (e.event) {
      case 'alloc_iova': {
        const pages = num(kv(e.body, 'size'));
        const limit = num(kv(e.body, 'limit'));
        const map = {
          kind: 'map' as const,
          tNs: e.tNs,
          cpu: e.cpu,
          iova: 0,
          sizeBytes: pages * PAGE,
          iommuMaps: 0,
          domain: kv(e.body, 'iovad') ?? '?',
          allocPages: pages,
          limitPfn: limit,
          sacFailed: sacFailedOn.delete(e.cpu),
          unmapped: false,
          line: e.line,
        };
        pending.set(e.cpu, { map, limit, unmaps: [] });
        ops.push(map);
        break;
      }
      case 'alloc_iova_ret': {
        const p = pending.get(e.cpu);
        pending.delete(e.cpu);
        if (p === undefined) break;
        const pfn = num(kv(e.body, 'pfn'));
        if (pfn === 0) {
          failed.add(p.map);
          sacFailedOn.add(e.cpu);
          break;
        }
        p.map.iova = pfn * PAGE;
        const freedFirst = p.unmaps.find((u) => u.iova === p.map.iova);
        if (freedFirst !== undefined) {
          ops.splice(ops.indexOf(p.map), 1);
          ops.splice(ops.indexOf(freedFirst) + 1, 0, p.map);
        }
        current.set(e.cpu, p.map);
        const list = live.get(p.map.iova) ?? [];
        list.push(p.map);
        live.set(p.map.iova, list);
        break;
      }
      case 'map': {
        const f = iommuMapFields(e);
        const m = current.get(e.cpu);
        if (f !== null && m !== undefined && f.iova >= m.iova && f.iova < m.iova + m.sizeBytes) m.iommuMaps++;
        break;
      }
      case 'unmap': {
        const f = iommuUnmapFields(e);
        if (f === null) break;
        const list = live.get(f.iova);
        const map = list?.pop() ?? null;
        if (list !== undefined && list.length === 0) live.delete(f.iova);
        if (map !== null) map.unmapped = true;
        const unmap: DmaTraceUnmap = { kind: 'unmap', tNs: e.tNs, cpu: e.cpu, iova: f.iova, sizeBytes: f.sizeBytes, map, line: e.line };
        ops.push(unmap);
        pending.get(e.cpu)?.unmaps.push(unmap);
        break;
      }
      case 'free_iova': {
        const pfn = num(kv(e.body, 'pfn'));
        ops.push({
          kind: 'free',
          tNs: e.tNs,
          cpu: e.cpu,
          domain: kv(e.body, 'iovad') ?? '?',
          pfn,
          pages: num(kv(e.body, 'size')),
          line: e.line,
        });
        // An interrupt on the timer's CPU can unmap after fq_flush_timeout began and before
        // fq_flush_iotlb counted the flush (start_cnt): that entry is older than the flush, so
        // this flush frees it (fq_ring_free). The trace shows it only by the free: the timer's
        // flush then belongs after that unmap (L drivers/iommu/dma-iommu.c fq_flush_timeout).
        const timer = lastTimer.get(e.cpu);
        if (timer === undefined) break;
        const at = ops.indexOf(timer);
        for (let i = ops.length - 1; i > at; i--) {
          const o = ops[i]!;
          if (o.kind === 'unmap' && o.cpu === e.cpu && o.iova === pfn * PAGE) {
            ops.splice(at, 1);
            ops.splice(i, 0, timer);
            break;
          }
        }
        break;
      }
      case 'fq_timeout': {
        const flush: DmaTraceFlush = { kind: 'fq-timeout', tNs: e.tNs, cpu: e.cpu, line: e.line };
        ops.push(flush);
        timerOn.add(e.cpu);
        lastTimer.set(e.cpu, flush);
        break;
      }
      case 'qi_submit': {
        // A kprobe misses a hit that nests in another probe's handler on the same CPU, so a timer
        // flush can be missing while its invalidation is traced. In lazy mode dma-iommu flushes the
        // domain's IOTLB as a whole only from the flush queue: fq_flush_timeout, or queue_iova when
        // the ring is full (that one right after its iommu:unmap; the replay's own ring does it).
        // A domain-selective invalidation that is neither is the timer's, its probe missed
        // (L drivers/iommu/dma-iommu.c fq_flush_timeout -> iommu_dma_flush_iotlb_all ->
        // intel_flush_iotlb_all, DMA_TLB_DSI_FLUSH).
        if (!probed || qiSubmitFields(e)?.kind !== 'iotlb-domain') break;
        if (timerOn.delete(e.cpu) || lastOn.get(e.cpu) === 'unmap') break;
        const flush: DmaTraceFlush = { kind: 'fq-timeout', tNs: e.tNs, cpu: e.cpu, line: e.line, inferred: true };
        // Inside an allocation on that CPU (the timer's softirq ran on its way): it frees into the
        // rcache the allocation then takes from, so it goes before that map.
        const p = pending.get(e.cpu);
        if (p === undefined) ops.push(flush);
        else ops.splice(ops.indexOf(p.map), 0, flush);
        break;
      }
    }
  }
  // An allocation whose return the trace lacks (a missed kprobe hit) has no IOVA: left out.
  for (const p of pending.values()) failed.add(p.map);
  return failed.size === 0 ? ops : ops.filter((o) => !failed.has(o));
}

/** One iommu:map call: [iova, end, tNs, line]. */
type MapPart = readonly [number, number, number, number];

/**
 * DMA operations from iommu:map / iommu:unmap alone. A run of maps on one CPU with contiguous
 * IOVAs is one DMA map until an unmap shows where one range ends (a boundary cuts the run); a map
 * never unmapped in the trace stays as its whole run.
 */
export function dmaOpsFromTracepoints(events: readonly FtraceEvent[]): DmaTraceOp[] {
  const runs: { cpu: number; parts: MapPart[] }[] = [];
  const lastRun = new Map<number, { cpu: number; parts: MapPart[] }>();
  const unmaps: { ev: FtraceEvent; iova: number; size: number }[] = [];
  for (const e of events) {
    if (e.event === 'map') {
      const f = iommuMapFields(e);
      if (f === null) continue;
      const r = lastRun.get(e.cpu);
      const part: MapPart = [f.iova, f.iova + f.sizeBytes, e.tNs, e.line];
      if (r !== undefined && r.parts[r.parts.length - 1]![1] === f.iova) r.parts.push(part);
      else {
        const run = { cpu: e.cpu, parts: [part] };
        runs.push(run);
        lastRun.set(e.cpu, run);
      }
    } else if (e.event === 'unmap') {
      const f = iommuUnmapFields(e);
      if (f !== null) unmaps.push({ ev: e, iova: f.iova, size: f.sizeBytes });
    }
  }
  const cuts = new Set<number>();
  for (const u of unmaps) {
    cuts.add(u.iova);
    cuts.add(u.iova + u.size);
  }
  const ops: DmaTraceOp[] = [];
  const byIova = new Map<number, DmaTraceMap[]>();
  for (const run of runs) {
    let cur: DmaTraceMap | null = null;
    for (const [iova, end, tNs, line] of run.parts) {
      if (cur !== null && !cuts.has(iova)) {
        (cur as { sizeBytes: number }).sizeBytes = end - cur.iova;
        cur.iommuMaps++;
        continue;
      }
      cur = {
        kind: 'map',
        tNs,
        cpu: run.cpu,
        iova,
        sizeBytes: end - iova,
        iommuMaps: 1,
        domain: null,
        allocPages: null,
        limitPfn: null,
        sacFailed: false,
        unmapped: false,
        line,
      };
      ops.push(cur);
      const list = byIova.get(iova) ?? [];
      list.push(cur);
      byIova.set(iova, list);
    }
  }
  // Each unmap ends the latest map still live at its IOVA that was mapped before it.
  for (const u of unmaps) {
    let map: DmaTraceMap | null = null;
    for (const m of byIova.get(u.iova) ?? []) if (!m.unmapped && m.line < u.ev.line && (map === null || m.line > map.line)) map = m;
    if (map !== null) map.unmapped = true;
    ops.push({ kind: 'unmap', tNs: u.ev.tNs, cpu: u.ev.cpu, iova: u.iova, sizeBytes: u.size, map, line: u.ev.line });
  }
  return ops.sort((a, b) => a.line - b.line);
}

/** The kprobe view when the trace has it, else the tracepoint view. */
export function dmaTraceOps(events: readonly FtraceEvent[]): DmaTraceOp[] {
  return hasAllocatorProbes(events) ? dmaOpsFromProbes(events) : dmaOpsFromTracepoints(events);
}

/** The domain that allocated most IOVAs: the device a workload drives. */
export function busiestDomain(ops: readonly DmaTraceOp[]): string | null {
  const n = new Map<string, number>();
  for (const o of ops) if (o.kind === 'map' && o.domain !== null) n.set(o.domain, (n.get(o.domain) ?? 0) + 1);
  let best: string | null = null;
  for (const [d, c] of n) if (best === null || c > n.get(best)!) best = d;
  return best;
}
