// The iommu_domains attached to one IOAS (iopt->domains) and the devices behind them, and how an
// area's pinned pages are written into every domain: one iommu_map per physically contiguous run
// (batch_to_domain), or one per PAGE_SIZE when huge pages are disabled (batch_iommu_map_small).
// A device whose IOMMU geometry matches an attached domain joins it, as
// iommufd_device_auto_get_domain reuses a compatible hw_pagetable of the IOAS before allocating.
// Must not: pin, account or check IOVAs; the IOAS does that and calls fill/unfill.

import type { CostTable } from '../../sim/costTable';
import type { FaultInjector } from '../../sim/faultInjector';
import { ENOMEM, OK } from '../base/errno';
import { HostIommuDomain, type IommuGeometry } from '../host/hostIommu';
import type { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE } from '../base/pages';
import { areaUptr, type IommufdArea } from './iommufdPages';

/** Shared empty PTE list of areas not mapped in any domain (never mutated). */
export const NO_PTES: number[] = [];

export interface IommufdDomainEntry {
  readonly domain: HostIommuDomain;
  readonly devices: string[];
}

function sameGeometry(a: IommuGeometry, b: IommuGeometry): boolean {
  return (
    a.apertureStart === b.apertureStart &&
    a.apertureLast === b.apertureLast &&
    a.pageSizes.length === b.pageSizes.length &&
    a.pageSizes.every((s, i) => s === b.pageSizes[i]) &&
    a.reserved.length === b.reserved.length &&
    a.reserved.every((r, i) => r.start === b.reserved[i]!.start && r.last === b.reserved[i]!.last && r.kind === b.reserved[i]!.kind)
  );
}

export class IommufdDomains {
  readonly list: IommufdDomainEntry[] = [];
  /** Simulated time spent by fill/unfill since the caller last reset it, ns. */
  costNs = 0;

  constructor(
    private readonly process: HostProcess,
    private readonly faults: FaultInjector,
    private readonly costs: CostTable,
  ) {}

  get count(): number {
    return this.list.length;
  }

  /** Index of an attached domain with this geometry, or -1. */
  findCompatible(geometry: IommuGeometry): number {
    return this.list.findIndex((d) => sameGeometry(d.domain.geometry, geometry));
  }

  /** The domain a device is attached through, or -1. */
  indexOfDevice(device: string): number {
    return this.list.findIndex((d) => d.devices.includes(device));
  }

  /** Adds a (filled) domain; returns its index. */
  push(domain: HostIommuDomain, device: string): number {
    this.list.push({ domain, devices: [device] });
    return this.list.length - 1;
  }

  newDomain(geometry: IommuGeometry): HostIommuDomain {
    return new HostIommuDomain(geometry, this.costs);
  }

  /** PTEs written by the last successful mapArea. */
  lastPtes = 0;

  /**
   * Writes the area into `domain`: one mapRun per contiguous run; the PTE count goes to
   * lastPtes. A failed iommu_map (fault site 'iommu-map') leaves the domain unchanged.
   */
  mapArea(domain: HostIommuDomain, area: IommufdArea, smallPages: boolean): number {
    if (this.faults.fail('iommu-map')) return ENOMEM;
    const chunkBytes = smallPages ? PAGE_SIZE : this.process.chunkBytes;
    const length = area.end - area.start;
    const uptr = areaUptr(area);
    let ptes = 0;
    let done = 0;
    while (done < length) {
      const vaddr = uptr + done;
      const run = smallPages
        ? Math.min(PAGE_SIZE - (vaddr % PAGE_SIZE), length - done)
        : this.process.contiguousBytes(vaddr, length - done);
      const r = domain.mapRun(area.start + done, vaddr % chunkBytes, chunkBytes, run);
      ptes += r.ptes;
      this.costNs += r.costNs;
      done += run;
    }
    this.lastPtes = ptes;
    return OK;
  }

  /** PTEs a range would take in domain `index` with PAGE_SIZE runs (used to split an area's count). */
  smallPagePtes(index: number, iova: number, uptr: number, length: number): number {
    const domain = this.list[index]!.domain;
    let ptes = 0;
    for (let done = 0; done < length;) {
      const vaddr = uptr + done;
      const run = Math.min(PAGE_SIZE - (vaddr % PAGE_SIZE), length - done);
      ptes += domain.ptesFor(iova + done, vaddr % PAGE_SIZE, PAGE_SIZE, run);
      done += run;
    }
    return ptes;
  }

  /** Unmaps the area from `domain` and syncs its IOTLB (iopt_area_unmap_domain_range). */
  unmapArea(domain: HostIommuDomain, index: number, area: IommufdArea): void {
    this.costNs += domain.unmapPtes(area.ptes[index]!) + domain.iotlbSync();
  }

  /** iopt_area_fill_domains: maps the area into every domain, undoing all of it on failure. */
  fill(area: IommufdArea, smallPages: boolean): number {
    const ptes = this.list.length === 1 ? [0] : new Array<number>(this.list.length).fill(0);
    for (let i = 0; i < this.list.length; i++) {
      const rc = this.mapArea(this.list[i]!.domain, area, smallPages);
      if (rc !== OK) {
        for (let j = 0; j < i; j++) this.costNs += this.list[j]!.domain.unmapPtes(ptes[j]!) + this.list[j]!.domain.iotlbSync();
        return rc;
      }
      ptes[i] = this.lastPtes;
    }
    area.ptes = ptes;
    return OK;
  }

  /** iopt_area_unfill_domains: removes the area from every domain. */
  unfill(area: IommufdArea): void {
    for (let i = 0; i < this.list.length; i++) this.unmapArea(this.list[i]!.domain, i, area);
    area.ptes = NO_PTES;
  }

  /** Smallest page of the domains' common use: max over domains of their smallest page (1 without domains). */
  minPageAlignment(): number {
    let a = 1;
    for (const d of this.list) if (d.domain.minPageSize > a) a = d.domain.minPageSize;
    return a;
  }
}
