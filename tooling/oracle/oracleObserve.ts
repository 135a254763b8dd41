// What a real kernel showed in one oracle run, reduced to the quantities the lab is compared on:
// the DMA mode it chose, the DMA maps of the workload (count per IO, sizes, IOVAs), the flushes and
// invalidations per IO as the guest issued them (tracepoints and kprobes) and as QEMU received them
// (its -trace log), virtio-iommu requests, s390 RPCITs and sPAPR TCE hypercalls. Only the dd
// window counts: from the "dd begin" trace marker to "dd end" in the guest; in QEMU's log from the
// first read of the dd's size to the end.
// Must not: run the lab (oracleLab.ts does) or judge agreement (oracleCompare.ts does).

import {
  dmaApiFields,
  iommuMapFields,
  iommuUnmapFields,
  markerText,
  parseFtraceText,
  qiSubmitFields,
  type FtraceEvent,
} from '../../core/trace/ftraceText';
import { parseQemuTraceLog } from '../../core/trace/qemuTraceLog';
import { busiestDomain, dmaTraceOps, type DmaTraceMap, type DmaTraceOp } from '../../core/trace/dmaTraceOps';
import type { OracleCapture } from './oracleQemu';
import { DD_BLOCK_BYTES, ddCount } from './oracleMatrix';

/** An iommu_map (iova, paddr, size) or iommu_unmap (iova, size) call, in trace order. */
export type IommuCall = readonly ['map', number, number, number] | readonly ['unmap', number, number];

export interface KernelObservation {
  readonly release: string;
  readonly qemuVersion: string;
  /** dmesg "DMA domain TLB invalidation policy: <x> mode". */
  readonly policy: string | null;
  /** dmesg "IOMMU batching disallowed due to virtualization" (intel-iommu caching mode). */
  readonly batchingDisallowed: boolean;
  /** sysfs iommu_groups/N/type of the device's group (DMA = strict, DMA-FQ = lazy). */
  readonly groupType: string | null;
  readonly maxHwSectorsKb: number | null;
  readonly ios: number;
  /** The workload's DMA maps (the device's domain, inside the dd window), in order. */
  readonly maps: readonly DmaTraceMap[];
  readonly unmaps: number;
  /** iommu:map calls in the window (one per physically contiguous run). */
  readonly iommuMapCalls: number;
  /** dma:* events of the device in the window (Linux >= 6.10), by event name. */
  readonly dmaApi: Readonly<Record<string, number>>;
  readonly fqTimeouts: number;
  /** Guest-side invalidations: qi_submit by kind, cache_tag_flush_* by name, kprobe counts (rpcit, viommu_*). */
  readonly guest: Readonly<Record<string, number>>;
  /** QEMU-side events in its window, by kind (vtd-iotlb-page, viommu-map, tce-put...) plus byte sums. */
  readonly qemu: Readonly<Record<string, number>>;
  /** s390 debugfs statistics, after - before. */
  readonly s390Stats: Readonly<Record<string, number>>;
  /** The domain's reserved ranges as the allocator sees them (group reserved_regions and PCI host bridge windows). */
  readonly reserved: readonly { start: number; last: number }[];
  /** Every iommu_map [iova, paddr, size] and iommu_unmap [iova, size] call of the whole trace (virtio-iommu requests follow them). */
  readonly iommuCalls: readonly IommuCall[];
  /** QEMU's events over its whole log, by kind. */
  readonly qemuTotal: Readonly<Record<string, number>>;
  /** All DMA operations of the device's domain over the whole trace (boot included), for the replay. */
  readonly domainOps: readonly DmaTraceOp[];
}

function count(into: Record<string, number>, key: string, by = 1): void {
  into[key] = (into[key] ?? 0) + by;
}

/** "name value" lines of the s390 zPCI statistics file (arch/s390/pci/pci_debug.c), summed over functions. */
function s390Stats(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const m = /^([A-Za-z][A-Za-z ]+?):?\s+(\d+)$/.exec(line.trim());
    if (m !== null) count(out, m[1]!, Number(m[2]));
  }
  return out;
}

/** PCI host bridge windows (/proc/iomem "PCI Bus" ranges below 2^64) and the group's reserved regions. */
function reservedRanges(sections: Readonly<Record<string, string>>, group: string | null): { start: number; last: number }[] {
  const out: { start: number; last: number }[] = [];
  for (const line of (sections['iomem'] ?? '').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) : PCI Bus/.exec(line);
    if (m !== null) out.push({ start: parseInt(m[1]!, 16), last: parseInt(m[2]!, 16) });
  }
  for (const line of (sections['reserved'] ?? '').split('\n')) {
    const m = /^(\S+) 0x([0-9a-f]+) 0x([0-9a-f]+) (\S+)/.exec(line);
    if (m !== null && (group === null || m[1] === group)) out.push({ start: parseInt(m[2]!, 16), last: parseInt(m[3]!, 16) });
  }
  return out;
}

/** The device's PCI address and its IOMMU group (the block device's driver: nvme or virtio-pci). */
function deviceGroup(
  sections: Readonly<Record<string, string>>,
  device: string,
): { bdf: string | null; group: string | null; type: string | null } {
  const driver = device === 'nvme' ? 'nvme' : 'virtio-pci';
  const vendorDevice = device === 'nvme' ? /0x1b36 0x0010/ : /0x1af4 0x10(42|01)/;
  let bdf: string | null = null;
  for (const line of (sections['devices'] ?? '').split('\n')) {
    const [addr, , , drv] = line.split(' ');
    if (addr !== undefined && vendorDevice.test(line) && (drv === driver || bdf === null)) bdf = addr;
  }
  for (const line of (sections['groups'] ?? '').split('\n')) {
    const [group, type, ...devs] = line.trim().split(/\s+/);
    if (bdf !== null && devs.includes(bdf)) return { bdf, group: group ?? null, type: type ?? null };
  }
  return { bdf, group: null, type: null };
}

export function observeKernel(cap: OracleCapture): KernelObservation {
  const s = cap.sections;
  const events = parseFtraceText(s['trace'] ?? '');
  const dmesg = s['dmesg'] ?? '';
  const { bdf, group, type } = deviceGroup(s, cap.config.device);
  const begin = events.find((e) => markerText(e) === 'pcilab: dd begin')?.line ?? 0;
  const end = events.find((e) => markerText(e) === 'pcilab: dd end')?.line ?? Number.MAX_SAFE_INTEGER;
  const inWindow = (e: { line: number }) => e.line > begin && e.line < end;
  const ops = dmaTraceOps(events);
  const domain = busiestDomain(ops.filter(inWindow));
  const ofDomain = (o: DmaTraceOp) =>
    domain === null ||
    (o.kind === 'map' && o.domain === domain) ||
    (o.kind === 'unmap' && (o.map === null ? false : o.map.domain === domain)) ||
    o.kind === 'fq-timeout' ||
    (o.kind === 'free' && o.domain === domain);
  const domainOps = ops.filter(ofDomain);
  const windowOps = domainOps.filter(inWindow);
  const guest: Record<string, number> = {};
  const dmaApi: Record<string, number> = {};
  let iommuMapCalls = 0;
  for (const e of events.filter(inWindow)) guestEvent(e, guest, dmaApi, bdf, () => iommuMapCalls++);
  const before = s390Stats(s['stats_before']);
  const after = s390Stats(s['stats_after']);
  const stats: Record<string, number> = {};
  for (const k of Object.keys(after)) stats[k] = after[k]! - (before[k] ?? 0);
  const ddLine = /(\d+)\+(\d+) records in/.exec(s['dd'] ?? '');
  const maxHw = /max_hw_sectors_kb (\d+)/.exec(s['queue'] ?? '');
  const iommuCalls: IommuCall[] = [];
  for (const e of events) {
    const m = iommuMapFields(e);
    if (m !== null) iommuCalls.push(['map', m.iova, m.paddr, m.sizeBytes]);
    const u = iommuUnmapFields(e);
    if (u !== null) iommuCalls.push(['unmap', u.iova, u.sizeBytes]);
  }
  const qemuTotal: Record<string, number> = {};
  for (const ev of parseQemuTraceLog(cap.qemuLog)) count(qemuTotal, ev.kind);
  return {
    release: cap.kernelRelease,
    qemuVersion: cap.qemuVersion,
    policy: /DMA domain TLB invalidation policy: (\w+) mode/.exec(dmesg)?.[1] ?? null,
    batchingDisallowed: dmesg.includes('IOMMU batching disallowed due to virtualization'),
    groupType: type,
    maxHwSectorsKb: maxHw === null ? null : Number(maxHw[1]),
    ios: ddLine === null ? ddCount(cap.config.device) : Number(ddLine[1]) + Number(ddLine[2]),
    maps: windowOps.filter((o): o is DmaTraceMap => o.kind === 'map'),
    unmaps: windowOps.filter((o) => o.kind === 'unmap').length,
    iommuMapCalls,
    dmaApi,
    fqTimeouts: windowOps.filter((o) => o.kind === 'fq-timeout').length,
    guest,
    qemu: qemuWindow(cap.qemuLog),
    s390Stats: stats,
    reserved: reservedRanges(s, group),
    iommuCalls,
    qemuTotal,
    domainOps,
  };
}

function guestEvent(
  e: FtraceEvent,
  guest: Record<string, number>,
  dmaApi: Record<string, number>,
  bdf: string | null,
  onMap: () => void,
): void {
  if (e.event === 'map') onMap();
  else if (e.event === 'qi_submit') {
    const q = qiSubmitFields(e);
    if (q !== null && q.kind !== 'other') count(guest, `qi.${q.kind}`);
  } else if (e.event.startsWith('cache_tag_flush')) count(guest, e.event);
  else if (['rpcit', 'viommu_flush_all', 'viommu_sync'].includes(e.event)) count(guest, e.event);
  else if (e.event.startsWith('dma_')) {
    const f = dmaApiFields(e);
    if (f === null || (bdf !== null && f.device !== bdf)) return;
    count(dmaApi, e.event);
    if (e.event === 'dma_map_page' && f.dmaAddrs.length > 0) {
      // TCEs the map needs: the 4 KiB pages its bytes touch.
      const pages = Math.ceil(((f.dmaAddrs[0]! % 4096) + (f.sizes[0] ?? 0)) / 4096);
      count(dmaApi, pages <= 1 ? 'dma_map_page.onePage' : 'dma_map_page.multiPage');
    }
  }
}

/** QEMU's events from the first read of the dd's size (the partition scan before it reads less) to the end. */
function qemuWindow(log: string): Record<string, number> {
  const out: Record<string, number> = {};
  let on = false;
  for (const ev of parseQemuTraceLog(log)) {
    if (!on && ev.kind === 'io' && (ev.args['count'] ?? 0) >= DD_BLOCK_BYTES / 2) on = true;
    if (!on) continue;
    count(out, ev.kind);
    if (ev.kind === 'viommu-map' || ev.kind === 'viommu-unmap')
      count(out, `${ev.kind}.bytes`, (ev.args['end'] ?? 0) - (ev.args['start'] ?? 0) + 1);
    if (ev.kind === 'tce-stuff' || ev.kind === 'tce-indirect') count(out, `${ev.kind}.tces`, ev.args['npages'] ?? ev.args['nb'] ?? 0);
    if (ev.kind === 'vtd-iotlb-page') count(out, `vtd-iotlb-page.mask${ev.args['mask'] ?? '?'}`);
  }
  return out;
}
