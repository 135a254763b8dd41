// The mapping-tree walks of virtio-iommu as they were first written, one lookup per step, kept as
// the oracle of the walks that stop early (virtioIommuGuest.ts viommuDelMappings,
// qemuVirtioIommu.ts virtioIommuTakeRange): Linux's viommu_del_mappings
// (drivers/iommu/virtio-iommu.c) takes a snapshot of the overlapping mappings and drops them in
// order until one starts below the range; QEMU's virtio_iommu_unmap (hw/virtio/virtio-iommu.c)
// looks the lowest overlapping mapping up again after each removal until none is left.
// Must not: be used by the model (tests only).

import type { IntervalMap } from '../base/intervalMap';
import { VIRTIO_IOMMU_S_OK, VIRTIO_IOMMU_S_RANGE, type VirtioMapping } from './qemuVirtioIommu';

/** viommu_del_mappings: bytes removed, and how many mappings. */
export function viommuDelMappingsReference(
  mappings: IntervalMap<VirtioMapping>,
  iova: number,
  last: number,
): { unmapped: number; dropped: number } {
  let unmapped = 0;
  let dropped = 0;
  for (const m of mappings.overlapping(iova, last)) {
    if (m.start < iova) break;
    unmapped += m.last - m.start + 1;
    dropped++;
    mappings.delete(m);
  }
  return { unmapped, dropped };
}

/** virtio_iommu_unmap's walk: the status, the mappings taken appended to `out` in order. */
export function virtioIommuTakeRangeReference(
  mappings: IntervalMap<VirtioMapping>,
  start: number,
  end: number,
  out: VirtioMapping[],
): number {
  for (let m = mappings.firstOverlap(start, end); m !== undefined; m = mappings.firstOverlap(start, end)) {
    if (m.start < start || m.last > end) return VIRTIO_IOMMU_S_RANGE;
    out.push(m);
    mappings.delete(m);
  }
  return VIRTIO_IOMMU_S_OK;
}
