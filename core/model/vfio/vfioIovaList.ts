// A type1 container's valid IOVA list (vfio_iommu->iova_list): the attached domains' apertures
// intersected, minus every attached group's reserved regions. MAP_DMA must fit inside one range,
// GET_INFO reports the ranges in VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE.
// Ranges are held with exclusive ends (`endExcl`) so that bounds near 2^64 stay exact in a double:
// an inclusive end written as k*4096-1 rounds to k*4096 above 2^53, which is the exclusive end.
// Must not: know about mappings (conflict checks with existing vfio_dma live in vfioDomainAttach.ts).

import type { ReservedRegion } from '../host/hostIommu';

export interface VfioIovaSpan {
  readonly start: number;
  /** Exclusive end (first address past the range). */
  readonly endExcl: number;
}

/** Exclusive end of an inclusive `last`, exact for the k*4096-1 bounds every real region has. */
export function exclusiveEnd(last: number): number {
  return last + 1;
}

export class VfioIovaList {
  private constructor(private readonly spans: VfioIovaSpan[]) {}

  /** A container before its first group: no restriction yet (vfio_iommu_type1_open). */
  static empty(): VfioIovaList {
    return new VfioIovaList([]);
  }

  get isEmpty(): boolean {
    return this.spans.length === 0;
  }

  get ranges(): readonly VfioIovaSpan[] {
    return this.spans;
  }

  /** First address of the lowest range (the list must not be empty). */
  get lowest(): number {
    return this.spans[0]!.start;
  }

  /** Exclusive end of the highest range (the list must not be empty). */
  get highestEndExcl(): number {
    return this.spans[this.spans.length - 1]!.endExcl;
  }

  /**
   * vfio_iommu_iova_dma_valid: [start, endExcl) lies inside one range. The kernel also accepts
   * anything when the list is empty (an mdev-only container); a container here always has a
   * domain, and an attach that would empty the list fails, so the list is never empty.
   */
  containsRange(start: number, endExcl: number): boolean {
    for (const s of this.spans) {
      if (start >= s.start && endExcl <= s.endExcl) return true;
    }
    return this.spans.length === 0;
  }

  /**
   * vfio_iommu_aper_resize on a copy: the ranges clipped to a new aperture [start, endExcl); an
   * empty list (no group yet) becomes the aperture itself.
   */
  resized(start: number, endExcl: number): VfioIovaList {
    if (this.spans.length === 0) return new VfioIovaList([{ start, endExcl }]);
    const out: VfioIovaSpan[] = [];
    for (const s of this.spans) {
      const lo = Math.max(s.start, start);
      const hi = Math.min(s.endExcl, endExcl);
      if (lo < hi) out.push({ start: lo, endExcl: hi });
    }
    return new VfioIovaList(out);
  }

  /**
   * vfio_iommu_resv_exclude on a copy: every reserved region cut out of the ranges. None of our
   * region kinds is IOMMU_RESV_DIRECT_RELAXABLE, so all are excluded.
   */
  excluding(reserved: readonly ReservedRegion[]): VfioIovaList {
    let spans = this.spans;
    for (const r of reserved) {
      const rStart = r.start;
      const rEnd = exclusiveEnd(r.last);
      const next: VfioIovaSpan[] = [];
      for (const s of spans) {
        if (rEnd <= s.start || rStart >= s.endExcl) {
          next.push(s);
          continue;
        }
        if (rStart > s.start) next.push({ start: s.start, endExcl: rStart });
        if (rEnd < s.endExcl) next.push({ start: rEnd, endExcl: s.endExcl });
      }
      spans = next;
    }
    return new VfioIovaList(spans === this.spans ? [...spans] : spans);
  }
}
