// Reads a QEMU -trace log (the "log" backend written with -D FILE, optionally prefixed
// "pid@seconds.micros:" by -msg timestamp=on) into records, decoding the events the lab compares
// with: intel-iommu queued-invalidation descriptors (hw/i386/trace-events vtd_inv_desc_*),
// virtio-iommu requests (hw/virtio/trace-events virtio_iommu_map / virtio_iommu_unmap), sPAPR TCE
// hypercalls (hw/ppc/trace-events spapr_iommu_*) and the block requests that mark IOs
// (hw/nvme pci_nvme_read / pci_nvme_write, hw/block virtio_blk_handle_read / _write).
// Must not: read files or decide what counts per IO (the comparison does).

export type QemuEventKind =
  | 'vtd-iotlb-page'
  | 'vtd-iotlb-domain'
  | 'vtd-iotlb-global'
  | 'vtd-other'
  | 'viommu-map'
  | 'viommu-unmap'
  | 'tce-put'
  | 'tce-indirect'
  | 'tce-stuff'
  | 'io'
  | 'other';

export interface QemuTraceEvent {
  readonly name: string;
  readonly kind: QemuEventKind;
  /** Host time when the log carries timestamps (-msg timestamp=on), else null. */
  readonly hostNs: number | null;
  /** Decoded numbers: addr / mask (vtd pages), start / end (virtio-iommu), ioba / npages (TCE), lba / count (IO). */
  readonly args: Readonly<Record<string, number>>;
  readonly line: number;
}

const PREFIX = /^(?:(\d+)@(\d+)\.(\d+):)?([a-z0-9_]+)(?: (.*))?$/;

function num(s: string): number {
  return s.startsWith('0x') ? parseInt(s.slice(2), 16) : Number(s);
}

/** "key=value" and "key value" pairs of a trace message, numbers only. */
function numbers(msg: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of msg.matchAll(/([a-z_]+)[= ](0x[0-9a-f]+|\d+)\b/g)) out[m[1]!] = num(m[2]!);
  return out;
}

function kindOf(name: string): QemuEventKind {
  switch (name) {
    case 'vtd_inv_desc_iotlb_pages':
      return 'vtd-iotlb-page';
    case 'vtd_inv_desc_iotlb_domain':
      return 'vtd-iotlb-domain';
    case 'vtd_inv_desc_iotlb_global':
      return 'vtd-iotlb-global';
    case 'virtio_iommu_map':
      return 'viommu-map';
    case 'virtio_iommu_unmap':
      return 'viommu-unmap';
    case 'spapr_iommu_put':
    case 'spapr_iommu_pci_put':
      return 'tce-put';
    case 'spapr_iommu_indirect':
    case 'spapr_iommu_pci_indirect':
      return 'tce-indirect';
    case 'spapr_iommu_stuff':
    case 'spapr_iommu_pci_stuff':
      return 'tce-stuff';
    case 'pci_nvme_read':
    case 'pci_nvme_write':
    case 'virtio_blk_handle_read':
    case 'virtio_blk_handle_write':
      return 'io';
    default:
      return name.startsWith('vtd_inv_desc') ? 'vtd-other' : 'other';
  }
}

export function parseQemuTraceLine(text: string, line = 0): QemuTraceEvent | null {
  const m = PREFIX.exec(text);
  if (m === null) return null;
  const name = m[4]!;
  const msg = m[5] ?? '';
  const hostNs = m[2] === undefined ? null : Number(m[2]) * 1e9 + Number(m[3]!.padEnd(6, '0').slice(0, 6)) * 1e3;
  const raw = numbers(msg);
  const args: Record<string, number> = { ...raw };
  // virtio_iommu_map / _unmap print virt_start and virt_end (inclusive).
  if (raw['virt_start'] !== undefined) args['start'] = raw['virt_start'];
  if (raw['virt_end'] !== undefined) args['end'] = raw['virt_end'];
  // virtio_blk_handle_read: sector / nsectors of 512 bytes; pci_nvme_read: lba / count (bytes).
  if (raw['nsectors'] !== undefined) args['count'] = raw['nsectors'] * 512;
  return { name, kind: kindOf(name), hostNs, args, line };
}

/** Every trace line of a QEMU log (lines that are not trace events, e.g. warnings, are skipped). */
export function parseQemuTraceLog(text: string): QemuTraceEvent[] {
  const out: QemuTraceEvent[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.length === 0) continue;
    const ev = parseQemuTraceLine(raw, i + 1);
    if (ev !== null && (ev.kind !== 'other' || /^[a-z0-9_]+ /.test(raw))) out.push(ev);
  }
  return out;
}
