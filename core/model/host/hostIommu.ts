// The host IOMMU under the DMA backends: one domain's geometry (aperture, supported page sizes,
// reserved regions) and the cost of changing it: a map writes one PTE per page of the largest size
// that fits the IOVA and physical alignment (superpages for hugepage-backed guests), an unmap
// clears PTEs, and invalidations are batched by the caller (type1 syncs at most 512 regions at once).
// Must not: know about containers or guests; it only maps runs of contiguous memory.

import type { CostTable } from '../../sim/costTable';
import { lowestSetBit } from '../base/bits';

export interface ReservedRegion {
  readonly start: number;
  /** Inclusive. */
  readonly last: number;
  /** msi: the interrupt window; rmrr: a device's firmware-reserved range; reserved: anything else. */
  readonly kind: 'msi' | 'rmrr' | 'reserved';
}

export interface IommuGeometry {
  readonly apertureStart: number;
  /** Inclusive. */
  readonly apertureLast: number;
  /** Supported page sizes in bytes, ascending (the pgsize_bitmap). */
  readonly pageSizes: readonly number[];
  readonly reserved: readonly ReservedRegion[];
}

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/**
 * Default host IOMMU per architecture: x86 VT-d with 48-bit address width, 4K/2M/1G pages and the
 * MSI window 0xfee00000-0xfeefffff reserved (intel-iommu.c); s390 s390-iommu with 4 KiB pages
 * only over 2^42 and nothing below the 4 GiB DMA start (s390-iommu.c ZPCI_TABLE_SIZE_RT);
 * ppc64le (used only for type1/iommufd experiments there) a 48-bit space with 4K/64K/2M/1G pages.
 */
export function defaultIommuGeometry(arch: 'x86_64' | 's390x' | 'ppc64le'): IommuGeometry {
  switch (arch) {
    case 'x86_64':
      return {
        apertureStart: 0,
        apertureLast: 2 ** 48 - 1,
        pageSizes: [4 * KiB, 2 * MiB, GiB],
        reserved: [{ start: 0xfee00000, last: 0xfeefffff, kind: 'msi' }],
      };
    case 's390x':
      return {
        apertureStart: 0,
        apertureLast: 2 ** 42 - 1,
        pageSizes: [4 * KiB],
        reserved: [{ start: 0, last: 0xffffffff, kind: 'reserved' }],
      };
    case 'ppc64le':
      return { apertureStart: 0, apertureLast: 2 ** 48 - 1, pageSizes: [4 * KiB, 64 * KiB, 2 * MiB, GiB], reserved: [] };
    default: {
      const never: never = arch;
      throw new Error(`unknown arch ${String(never)}`);
    }
  }
}

export class HostIommuDomain {
  private ptes = 0;
  private ptesPeak = 0;
  mapCalls = 0;
  unmapCalls = 0;
  iotlbSyncs = 0;

  constructor(
    readonly geometry: IommuGeometry,
    private readonly costs: CostTable,
  ) {}

  get minPageSize(): number {
    return this.geometry.pageSizes[0]!;
  }

  get livePtes(): number {
    return this.ptes;
  }

  get peakPtes(): number {
    return this.ptesPeak;
  }

  /**
   * PTEs needed to map `bytes` at `iova` from one physically contiguous run that starts `physOffset`
   * bytes into a naturally aligned backing chunk of `chunkBytes`: at each step the largest supported
   * page that both addresses are aligned to and that fits (iommu_pgsize in drivers/iommu/iommu.c).
   * Pages of one size follow each other until the bytes left no longer fit one or a larger page
   * becomes possible (at an address aligned to it, where IOVA and memory agree modulo it), so the
   * count is taken a stretch of equal pages at a time.
   */
  ptesFor(iova: number, physOffset: number, chunkBytes: number, bytes: number): number {
    const sizes = this.geometry.pageSizes;
    let count = 0;
    let offset = 0;
    while (offset < bytes) {
      const cur = iova + offset;
      const iovaAlign = cur === 0 ? Infinity : lowestSetBit(cur);
      const inChunk = (physOffset + offset) % chunkBytes;
      const physAlign = inChunk === 0 ? chunkBytes : lowestSetBit(inChunk);
      const align = Math.min(iovaAlign, physAlign);
      const rem = bytes - offset;
      let pg = 0;
      for (let i = sizes.length - 1; i >= 0; i--) {
        const s = sizes[i]!;
        if (s <= align && s <= rem) {
          pg = s;
          break;
        }
      }
      if (pg === 0) {
        // Nothing fits: one smallest page (past the end).
        offset += sizes[0]!;
        count++;
        continue;
      }
      let n = Math.floor(rem / pg);
      for (let i = sizes.length - 1; i >= 0; i--) {
        const big = sizes[i]!;
        if (big <= pg) break;
        if (big > chunkBytes || iova % big !== physOffset % big) continue;
        const boundary = Math.ceil(cur / big) * big;
        if (rem - (boundary - cur) >= big) n = Math.min(n, (boundary - cur) / pg);
      }
      offset += n * pg;
      count += n;
    }
    return count;
  }

  /** iommu_map of one physically contiguous run; returns the simulated cost in ns. */
  mapRun(iova: number, physOffset: number, chunkBytes: number, bytes: number): { ptes: number; costNs: number } {
    const ptes = this.ptesFor(iova, physOffset, chunkBytes, bytes);

    this.ptes += ptes;
    if (this.ptes > this.ptesPeak) this.ptesPeak = this.ptes;
    this.mapCalls++;
    return { ptes, costNs: this.costs.hostIommuMapNs + ptes * this.costs.hostPteWriteNs };
  }

  /**
   * `times` iommu_map calls of `ptes` PTEs each (runs of the same layout, mapped one after the
   * other); returns the cost of one call, as mapRun would.
   */
  mapRuns(times: number, ptes: number): number {
    this.ptes += times * ptes;
    if (this.ptes > this.ptesPeak) this.ptesPeak = this.ptes;
    this.mapCalls += times;
    return this.costs.hostIommuMapNs + ptes * this.costs.hostPteWriteNs;
  }

  /**
   * `times` iommu_map calls of one PTE each (a run of single-page mappings, each its own call);
   * returns the cost of one call, as mapRun would.
   */
  mapSinglePages(times: number): number {
    this.ptes += times;
    if (this.ptes > this.ptesPeak) this.ptesPeak = this.ptes;
    this.mapCalls += times;
    return this.costs.hostIommuMapNs + this.costs.hostPteWriteNs;
  }

  /** `times` iommu_unmap calls of one PTE each; returns the cost of one call, as unmapPtes(1) would. */
  unmapSinglePages(times: number): number {
    if (times > this.ptes) throw new Error(`unmapping ${times} PTEs but only ${this.ptes} are mapped`);
    this.ptes -= times;
    this.unmapCalls += times;
    return this.costs.hostIommuMapNs + this.costs.hostPteWriteNs;
  }

  /** `times` IOTLB syncs; returns the cost of one. */
  syncRepeated(times: number): number {
    this.iotlbSyncs += times;
    return this.costs.hostIotlbInvalidationNs;
  }

  /** iommu_unmap of PTEs previously mapped (the caller remembers how many); returns the cost in ns. */
  unmapPtes(ptes: number): number {
    if (ptes > this.ptes) throw new Error(`unmapping ${ptes} PTEs but only ${this.ptes} are mapped`);
    this.ptes -= ptes;
    this.unmapCalls++;
    return this.costs.hostIommuMapNs + ptes * this.costs.hostPteWriteNs;
  }

  /** One IOTLB sync (iommu_iotlb_sync) covering a gathered batch of unmapped regions. */
  iotlbSync(): number {
    this.iotlbSyncs++;
    return this.costs.hostIotlbInvalidationNs;
  }
}
