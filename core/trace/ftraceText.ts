// Reads the text form of a Linux trace (the tracefs `trace` file, `trace-cmd report`) into records:
// one per event line with its task, CPU, timestamp, event name and fields, decoding the events the
// lab compares with: iommu:map, iommu:unmap, iommu:io_page_fault (include/trace/events/iommu.h),
// dma:* (include/trace/events/dma.h, Linux >= 6.10), intel_iommu:qi_submit and
// intel_iommu:cache_tag_flush_* (drivers/iommu/intel/trace.h) and trace_marker writes.
// Must not: interpret what the events mean for a DMA domain (dmaTraceOps.ts does) or read files.

/** One event line of a trace. */
export interface FtraceEvent {
  readonly task: string;
  readonly pid: number;
  readonly cpu: number;
  /** Seconds since boot as printed (the trace clock), turned into integer nanoseconds. */
  readonly tNs: number;
  /** Event name as printed (`map`, `dma_map_sg`, `qi_submit`, `tracing_mark_write`). */
  readonly event: string;
  /** Everything after "event: ". */
  readonly body: string;
  /** 1-based line number in the input. */
  readonly line: number;
}

// comm-pid, optional "(tgid)", [cpu], optional flags (4 or 5 characters), timestamp, event.
const LINE = /^\s*(.+?)-(\d+)\s+(?:\(\s*[-\d]+\)\s+)?\[(\d+)\]\s+(?:([.\w]{4,5})\s+)?(\d+)\.(\d+):\s+([\w:]+):\s?(.*)$/;

/** Parses one line; null for headers, comments and anything that is not an event line. */
export function parseFtraceLine(text: string, line = 0): FtraceEvent | null {
  if (text.startsWith('#')) return null;
  const m = LINE.exec(text);
  if (m === null) return null;
  const frac = m[6]!;
  // The fraction has 6 (us) or 9 (ns) digits depending on the clock; scale it to ns.
  const fracNs = Number(frac.padEnd(9, '0').slice(0, 9));
  const event = m[7]!.includes(':') ? m[7]!.slice(m[7]!.lastIndexOf(':') + 1) : m[7]!;
  return {
    task: m[1]!.trim(),
    pid: Number(m[2]),
    cpu: Number(m[3]),
    tNs: Number(m[5]) * 1e9 + fracNs,
    event,
    body: m[8]!,
    line,
  };
}

/** Parses every event line of a trace text. */
export function parseFtraceText(text: string): FtraceEvent[] {
  const out: FtraceEvent[] = [];
  let line = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const raw = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    const ev = parseFtraceLine(raw, line);
    if (ev !== null) out.push(ev);
    start = end + 1;
  }
  return out;
}

/** A hex field without or with 0x ("fff40000", "0x00000000fff40000"); BigInt-free below 2^53. */
export function hexValue(s: string): number {
  return parseInt(s.startsWith('0x') || s.startsWith('0X') ? s.slice(2) : s, 16);
}

function field(body: string, name: string): string | undefined {
  const at = body.indexOf(`${name}=`);
  if (at < 0 || (at > 0 && /[\w]/.test(body[at - 1]!))) return undefined;
  const rest = body.slice(at + name.length + 1);
  const end = rest.search(/\s/);
  return end < 0 ? rest : rest.slice(0, end);
}

/** iommu:map "IOMMU: iova=0x... - 0x... paddr=0x... size=N" (trace_map in iommu_map / __iommu_map). */
export interface IommuMapFields {
  readonly iova: number;
  readonly paddr: number;
  readonly sizeBytes: number;
}

export function iommuMapFields(ev: FtraceEvent): IommuMapFields | null {
  if (ev.event !== 'map') return null;
  const iova = field(ev.body, 'iova');
  const paddr = field(ev.body, 'paddr');
  const size = field(ev.body, 'size');
  if (iova === undefined || paddr === undefined || size === undefined) return null;
  return { iova: hexValue(iova), paddr: hexValue(paddr), sizeBytes: Number(size) };
}

/** iommu:unmap "IOMMU: iova=0x... - 0x... size=N unmapped_size=M". */
export interface IommuUnmapFields {
  readonly iova: number;
  readonly sizeBytes: number;
  readonly unmappedBytes: number;
}

export function iommuUnmapFields(ev: FtraceEvent): IommuUnmapFields | null {
  if (ev.event !== 'unmap') return null;
  const iova = field(ev.body, 'iova');
  const size = field(ev.body, 'size');
  const unmapped = field(ev.body, 'unmapped_size');
  if (iova === undefined || size === undefined) return null;
  return { iova: hexValue(iova), sizeBytes: Number(size), unmappedBytes: unmapped === undefined ? Number(size) : Number(unmapped) };
}

/** iommu:io_page_fault "IOMMU:<driver> <device> iova=0x... flags=0x...". */
export function ioPageFaultIova(ev: FtraceEvent): number | null {
  if (ev.event !== 'io_page_fault') return null;
  const iova = field(ev.body, 'iova');
  return iova === undefined ? null : hexValue(iova);
}

/** The dma:* events of a streaming or coherent mapping (Linux >= 6.10). */
export interface DmaApiFields {
  /** Device name ("0000:00:03.0"). */
  readonly device: string;
  /** dma_map_sg: one DMA address and length per DMA segment; map_page / unmap_page / alloc / free: one. */
  readonly dmaAddrs: readonly number[];
  readonly sizes: readonly number[];
  /** Number of physical segments (nents of dma_map_sg, else 1). */
  readonly physSegments: number;
  readonly dir: string;
}

const DMA_EVENTS = new Set([
  'dma_map_page',
  'dma_unmap_page',
  'dma_map_sg',
  'dma_unmap_sg',
  'dma_alloc',
  'dma_free',
  'dma_map_resource',
  'dma_unmap_resource',
]);

function braceList(body: string, name: string): number[] {
  const at = body.indexOf(`${name}={`);
  if (at < 0) return [];
  const end = body.indexOf('}', at);
  const inner = body.slice(at + name.length + 2, end);
  return inner.length === 0 ? [] : inner.split(',').map(hexValue);
}

export function dmaApiFields(ev: FtraceEvent): DmaApiFields | null {
  if (!DMA_EVENTS.has(ev.event)) return null;
  const device = ev.body.slice(0, ev.body.indexOf(' '));
  const dir = field(ev.body, 'dir') ?? '';
  if (ev.event === 'dma_map_sg' || ev.event === 'dma_unmap_sg') {
    const phys = braceList(ev.body, 'phys_addrs');
    return { device, dir, dmaAddrs: braceList(ev.body, 'dma_addrs'), sizes: braceList(ev.body, 'sizes'), physSegments: phys.length };
  }
  const addr = field(ev.body, 'dma_addr');
  const size = field(ev.body, 'size');
  return {
    device,
    dir,
    dmaAddrs: addr === undefined ? [] : [hexValue(addr)],
    sizes: size === undefined ? [] : [Number(size)],
    physSegments: 1,
  };
}

/** intel_iommu:qi_submit "<type> <iommu>: qw0 qw1 qw2 qw3" (drivers/iommu/intel/trace.h). */
export type QiKind = 'iotlb-global' | 'iotlb-domain' | 'iotlb-page' | 'other';

export interface QiSubmitFields {
  readonly type: string;
  readonly kind: QiKind;
  /** IOTLB page-selective invalidations: the address and the address mask (log2 pages). */
  readonly addr: number;
  readonly mask: number;
  readonly domainId: number;
}

export function qiSubmitFields(ev: FtraceEvent): QiSubmitFields | null {
  if (ev.event !== 'qi_submit') return null;
  const m = /^(\S+) [^:]+: (0x[0-9a-f]+) (0x[0-9a-f]+)/.exec(ev.body);
  if (m === null) return null;
  const qw0 = hexValue(m[2]!);
  const qw1 = hexValue(m[3]!);
  let kind: QiKind = 'other';
  // include/linux/intel-iommu.h: QI_IOTLB_TYPE 0x2, QI_IOTLB_GRAN(type) bits 4-5 (1 global, 2 domain, 3 page).
  if ((qw0 & 0xf) === 0x2) kind = (['other', 'iotlb-global', 'iotlb-domain', 'iotlb-page'] as const)[(qw0 >> 4) & 3]!;
  return { type: m[1]!, kind, addr: qw1 - (qw1 % 4096), mask: qw1 % 64, domainId: Math.floor(qw0 / 65536) % 65536 };
}

/** trace_marker text: the tracefs form "tracing_mark_write: <text>", or trace-cmd's "print: <ip or name>: <text>". */
export function markerText(ev: FtraceEvent): string | null {
  if (ev.event === 'tracing_mark_write') return ev.body;
  if (ev.event === 'print') return ev.body.replace(/^\S+: /, '');
  return null;
}
