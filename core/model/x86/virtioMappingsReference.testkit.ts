// virtio-iommu's mapping-tree walks and page-size arithmetic as they were first written, kept as the
// oracles of the fast versions the model uses. The walks, one lookup per step, for those that stop
// early (virtioIommuGuest.ts viommuDelMappings, qemuVirtioIommu.ts virtioIommuTakeRange): Linux's viommu_del_mappings
// (drivers/iommu/virtio-iommu.c) takes a snapshot of the overlapping mappings and drops them in
// order until one starts below the range; QEMU's virtio_iommu_unmap (hw/virtio/virtio-iommu.c)
// looks the lowest overlapping mapping up again after each removal until none is left. iommu_pgsize
// and dma_aligned_pow2_mask on doubles (bits.ts), for the integer-word fast paths below 2^31 bytes.
// Must not: be used by the model (tests only).

import { lowestSetBit, roundDownPowerOfTwo } from '../base/bits';
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

/** iommu_pgsize for a bitmap of every power of two >= 4 KiB (pgsize * count), on doubles. */
export function pgsizeRunBytesReference(iova: number, paddr: number, size: number): number {
  let pgsize = roundDownPowerOfTwo(size);
  const align = Math.min(iova === 0 ? Infinity : lowestSetBit(iova), paddr === 0 ? Infinity : lowestSetBit(paddr));
  if (align < pgsize) pgsize = align;
  const next = pgsize * 2;
  let bytes = size;
  if (next <= 2 ** 63 && iova % next === paddr % next) {
    const offset = next - (iova % next);
    if (offset + next <= size) bytes = offset;
  }
  return Math.floor(bytes / pgsize) * pgsize;
}

/** dma_aligned_pow2_mask(start, end, 64) + 1, on doubles. */
export function alignedPow2ChunkReference(start: number, end: number): number {
  const fit = roundDownPowerOfTwo(end - start + 1);
  if (start === 0) return fit;
  const align = lowestSetBit(start);
  return align < fit ? align : fit;
}
