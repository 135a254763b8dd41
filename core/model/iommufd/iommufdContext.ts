// One open /dev/iommu (struct iommufd_ctx): its IOAS objects by id (and by the lab's names), the
// devices attached through it, and the pin account every IOAS shares, so a page pinned through
// two IOAS (IOAS_COPY) is charged to locked memory once. It is the LayerInstance the iommufd
// ops register; its snapshot, metrics and invariants cover all its IOAS.
// Must not: implement IOAS rules (iommufdIoas.ts and ioPagetable.ts do) or know op names.

import type { CostTable } from '../../sim/costTable';
import type { FaultInjector } from '../../sim/faultInjector';
import type { MetricMap } from '../../sim/metricSink';
import { maxMetric } from '../../sim/metricSink';
import type { LayerInstance, LimitUsage } from '../base/layerInstance';
import { EBUSY, EEXIST, EINVAL, ENOMEM, OK } from '../base/errno';
import type { IommuGeometry } from '../host/hostIommu';
import type { HostProcess } from '../host/hostProcess';
import { IommufdIoas } from './iommufdIoas';
import { IommufdPinAccount, type IommufdPfnmapMode } from './iommufdPages';

export interface IommufdContextConfig {
  readonly process: HostProcess;
  readonly costs: CostTable;
  readonly faults: FaultInjector;
  /** The DMA-window extension of reference 001 (scenario host.iommufd.dmaWindows). */
  readonly dmaWindows: boolean;
  /** Cap on automatic IOVA alignment: HPAGE_SIZE with transparent huge pages (x86 2 MiB), else PAGE_SIZE. */
  readonly maxAutoAlignBytes: number;
  /** What a map of a VM_PFNMAP range does (scenario host.iommufd.pfnmap; default upstream: refused). */
  readonly pfnmap?: IommufdPfnmapMode;
}

/** HPAGE_SIZE of the host architecture (iopt_alloc_iova's cap under CONFIG_TRANSPARENT_HUGEPAGE). */
export function hugePageBytes(arch: 'x86_64' | 's390x' | 'ppc64le'): number {
  // s390 huge pages are 1 MiB segments; x86-64 and ppc64 (radix) PMD pages are 2 MiB.
  return arch === 's390x' ? 1024 * 1024 : 2 * 1024 * 1024;
}

export class IommufdContext implements LayerInstance {
  readonly account: IommufdPinAccount;
  private readonly byId = new Map<number, IommufdIoas>();
  private readonly byName = new Map<string, IommufdIoas>();
  /** Device name -> id of the IOAS it is attached to. */
  private readonly deviceIoas = new Map<string, number>();
  /** Id of the IOAS made by the last successful ioasAlloc. */
  lastIoasId = 0;

  constructor(
    readonly config: IommufdContextConfig,
    readonly laneName = 'iommufd',
  ) {
    this.account = new IommufdPinAccount(config.process, config.faults, config.pfnmap);
  }

  /**
   * IOMMU_IOAS_ALLOC: a new IOAS with the lowest free object id (xa_alloc over ictx->objects,
   * from 1). `name` is the lab's handle for it (-EEXIST if taken); lane iommufd.<name>, or
   * iommufd.#<id> without a name.
   */
  ioasAlloc(name?: string): number {
    if (name !== undefined && this.byName.has(name)) return EEXIST;
    if (this.config.faults.fail('alloc')) return ENOMEM;
    this.lastIoasId = this.ioasInstall(name).id;
    return OK;
  }

  /** Creates an IOAS without a fault site (one the kernel makes implicitly, like the VFIO compat IOAS). */
  ioasInstall(name?: string): IommufdIoas {
    if (name !== undefined && this.byName.has(name)) throw new Error(`IOAS ${name} exists`);
    let id = 1;
    while (this.byId.has(id)) id++;
    const label = name ?? `#${id}`;
    const ioas = new IommufdIoas(id, label, `${this.laneName}.${label}`, {
      process: this.config.process,
      costs: this.config.costs,
      faults: this.config.faults,
      account: this.account,
      dmaWindows: this.config.dmaWindows,
      maxAutoAlignBytes: this.config.maxAutoAlignBytes,
    });
    this.byId.set(id, ioas);
    if (name !== undefined) this.byName.set(name, ioas);
    return ioas;
  }

  /** IOMMU_DESTROY of an IOAS: -EBUSY while a device is attached; its areas are unmapped. */
  ioasDestroy(id: number): number {
    const ioas = this.byId.get(id);
    if (ioas === undefined) return EINVAL;
    if (ioas.domains.count > 0) return EBUSY;
    ioas.iopt.unmapAll();
    this.byId.delete(id);
    if (this.byName.get(ioas.name) === ioas) this.byName.delete(ioas.name);
    return OK;
  }

  ioas(id: number): IommufdIoas | undefined {
    return this.byId.get(id);
  }

  ioasByName(name: string): IommufdIoas | undefined {
    return this.byName.get(name);
  }

  allIoas(): IommufdIoas[] {
    return [...this.byId.values()];
  }

  /** Attaches a device to an IOAS; -EINVAL if it is attached to another page table already. */
  attach(ioas: IommufdIoas, device: string, geometry: IommuGeometry): number {
    if (this.deviceIoas.has(device)) {
      ioas.begin(0);
      return ioas.end(EINVAL);
    }
    const rc = ioas.attachDomain(geometry, device);
    if (rc === OK) this.deviceIoas.set(device, ioas.id);
    return rc;
  }

  /** Its pin account (pages shared by IOAS_COPY count once) and its busiest IOAS's areas; iommufd has no entry limit. */
  limitUsage(): LimitUsage {
    let entries = 0;
    let peak = 0;
    for (const ioas of this.byId.values()) {
      entries = Math.max(entries, ioas.areaCount);
      peak = Math.max(peak, ioas.iopt.areasPeak);
    }
    return {
      id: `iommufd/${this.laneName}`,
      lockedPages: this.account.chargedPages,
      lockedPagesPeak: this.account.chargedPagesPeak,
      entries,
      entriesPeak: peak,
      entryLimit: null,
      entryLimitRefusals: 0,
    };
  }

  collectMetrics(into: MetricMap): void {
    for (const ioas of this.byId.values()) ioas.collectMetrics(into);
    maxMetric(into, 'iommufd.pinnedPagesPeak', this.account.pinnedPagesPeak);
  }

  snapshot(): unknown {
    return {
      ioas: [...this.byId.values()].sort((a, b) => a.id - b.id).map((i) => i.snapshot()),
      pages: [...this.account.pagesObjects()]
        .sort((a, b) => a.id - b.id)
        .map((p) => [p.id, p.uptrBase, p.npages, p.writable, p.users, p.pinnedPages]),
      pinnedPages: this.account.pinnedPages,
      devices: [...this.deviceIoas.entries()].sort(),
    };
  }

  checkInvariants(): string[] {
    const out: string[] = [];
    const users = new Map<number, number>();
    for (const ioas of this.byId.values()) {
      out.push(...ioas.checkInvariants());
      for (const a of ioas.areas()) users.set(a.pages.id, (users.get(a.pages.id) ?? 0) + 1);
    }
    out.push(...this.account.checkInvariants());
    for (const p of this.account.pagesObjects()) {
      const n = users.get(p.id) ?? 0;
      if (n !== p.users) out.push(`pages ${p.id} counts ${p.users} users but ${n} areas use it`);
      users.delete(p.id);
    }
    for (const id of users.keys()) out.push(`areas use pages ${id}, which the account does not track`);
    return out;
  }
}
