// Test oracle: the type1 container (vfioType1.ts) as it was before mappings made by one shadow pass could be kept as runs of
// entries (vfioDmaRun.ts). Every vfio_dma is its own object and tree node, exactly as the kernel
// keeps them. vfioType1.runs.modelBased.test.ts drives random sequences through this and through
// the production container and requires the same answers, counters, costs and snapshots.
// Must not: change; it is the reference the fast path is held to.

import { EEXIST, EINVAL, ENOMEM, ENOSPC } from '../base/errno';
import type { IommuGeometry } from '../host/hostIommu';
import type { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE, alignDown } from '../base/pages';
import { isPowerOfTwo } from '../base/bits';
import {
  VFIO_DMA_MAP_FLAG_READ,
  VFIO_DMA_MAP_FLAG_VADDR,
  VFIO_DMA_MAP_FLAG_WRITE,
  VFIO_DMA_UNMAP_FLAG_ALL,
  VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
  VFIO_DMA_UNMAP_FLAG_VADDR,
  VFIO_IOMMU_INFO_CAPS,
  VFIO_IOMMU_INFO_PGSIZES,
  type VfioContainerApi,
  type VfioIommuInfo,
} from './vfioContainerApi';
import type { VfioDmaEnv, VfioDmaTally } from './vfioDma';
import { VfioDmaReference as VfioDma } from './vfioDmaReference.testkit';
import { VfioDmaTreeReference as VfioDmaTree } from './vfioDmaTreeReference.testkit';
import { commonPageSizes, planVfioAttach, type VfioAttachedDomain } from './vfioDomainAttach';
import { VfioIovaList } from './vfioIovaList';
import type { CostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { addMetric, maxMetric, type MetricMap } from '../../sim/metricSink';

const MAP_FLAGS = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE | VFIO_DMA_MAP_FLAG_VADDR;
const UNMAP_FLAGS = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR;
/** 2^64: u64 values are below it; a double equal to it can only come from rounding 2^64-1024..2^64-1. */
const U64_LIMIT = 2 ** 64;

export interface VfioType1Deps {
  readonly process: HostProcess;
  readonly costs: CostTable;
  readonly faults: FaultInjector;
  /** vfio_iommu_type1.dma_entry_limit, copied to dma_avail at open. */
  readonly dmaEntryLimit: number;
  readonly disableHugepages: boolean;
  /** IOMMU geometry of the first device and of devices attached with attachDevice(). */
  readonly geometry: IommuGeometry;
  readonly irqRemapping: boolean;
  readonly allowUnsafeInterrupts: boolean;
  /** The device whose group QEMU attaches before VFIO_SET_IOMMU (default "device0"). */
  readonly initialDevice?: string;
}

export class VfioType1Reference implements VfioContainerApi {
  readonly laneName: string;
  lastUnmappedBytes = 0;
  lastCostNs = 0;
  /**
   * Result of attaching the first group at VFIO_SET_IOMMU. Nonzero (EPERM without interrupt
   * remapping, EINVAL for an empty IOVA list) leaves the container without an IOMMU driver, and
   * vfio_fops_unl_ioctl then answers every other ioctl with -EINVAL.
   */
  readonly setupErrno: number;

  private readonly dmas: VfioDmaTree;
  private iovaList = VfioIovaList.empty();
  private domains: VfioAttachedDomain[] = [];
  /** Ascending page sizes of iommu->pgsize_bitmap (PAGE_MASK until a domain exists). */
  private pgsizes: number[] = [PAGE_SIZE];
  private nextDomainSeq = 1;
  private readonly dmaEnv: VfioDmaEnv;
  private readonly tally: VfioDmaTally = { costNs: 0, pinBatches: 0, hostIommuMaps: 0, ptesMapped: 0 };

  // Statistics: reported as metrics, not part of the state a failed call must preserve.
  private mapIoctls = 0;
  private unmapIoctls = 0;
  private enospc = 0;
  private mapFailures = 0;
  private pinBatches = 0;
  private hostIommuMaps = 0;
  private entriesPeak = 0;
  private hostPtesPeak = 0;

  constructor(
    readonly name: string,
    readonly version: 1 | 2,
    private readonly deps: VfioType1Deps,
  ) {
    this.laneName = `vfio.${name}`;
    this.dmas = new VfioDmaTree(deps.dmaEntryLimit);
    this.dmaEnv = { process: deps.process, faults: deps.faults, costs: deps.costs, disableHugepages: deps.disableHugepages };
    // Setup happens before the script runs, so it is outside fail-nth sweeps: no fault sites.
    const setupEnv = { ...this.dmaEnv, faults: new FaultInjector() };
    this.setupErrno = this.attach(deps.initialDevice ?? 'device0', deps.geometry, deps.irqRemapping, setupEnv);
    this.lastCostNs = 0;
  }

  get entries(): number {
    return this.dmas.size;
  }

  translates(iova: number, size: number): boolean {
    const first = alignDown(iova, PAGE_SIZE);
    const lastPage = alignDown(iova + size - 1, PAGE_SIZE);
    return size > 0 && this.dmas.map.covers(first, lastPage, PAGE_SIZE);
  }

  /** Whether a device's group is attached to this container (a group joins one container only). */
  hasDevice(device: string): boolean {
    return this.domains.some((d) => d.devices.includes(device));
  }

  /** The reference has no run fast path: callers map call by call. */
  mapDmaRun(): number {
    return 0;
  }

  /** Nor for unmaps: callers unmap call by call. */
  unmapDmaRun(): number {
    return 0;
  }

  /** VFIO_IOMMU_MAP_DMA (vfio_iommu_type1_map_dma + vfio_dma_do_map). */
  mapDma(iova: number, vaddr: number, size: number, flags: number): number {
    this.mapIoctls++;
    this.lastCostNs = this.deps.costs.vfioMapIoctlNs;
    const err = this.doMap(iova, vaddr, size, flags);
    if (err !== 0) {
      this.mapFailures++;
      if (err === ENOSPC) this.enospc++;
    }
    return err;
  }

  /** VFIO_IOMMU_UNMAP_DMA (vfio_iommu_type1_unmap_dma + vfio_dma_do_unmap). */
  unmapDma(iova: number, size: number, flags: number): number {
    this.unmapIoctls++;
    this.lastCostNs = this.deps.costs.vfioUnmapIoctlNs;
    this.lastUnmappedBytes = 0;
    if (this.setupErrno !== 0) return EINVAL;
    if (flags >>> 0 !== flags || (flags & ~UNMAP_FLAGS) !== 0) return EINVAL;
    const dirty = (flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) !== 0;
    const all = (flags & VFIO_DMA_UNMAP_FLAG_ALL) !== 0;
    const invalidateVaddr = (flags & VFIO_DMA_UNMAP_FLAG_VADDR) !== 0;
    if (dirty && (all || invalidateVaddr)) return EINVAL;
    if (!this.aligned(iova)) return EINVAL;
    let endExcl: number;
    if (all) {
      if (iova !== 0 || size !== 0) return EINVAL; // FLAG_ALL means size = U64_MAX from 0
      endExcl = U64_LIMIT;
    } else {
      if (size === 0 || !this.aligned(size) || iova + size > U64_LIMIT) return EINVAL;
      endExcl = iova + size;
    }
    // GET_DIRTY_BITMAP needs dirty page tracking, which is never started here.
    if (dirty) return EINVAL;
    const lastPage = endExcl - PAGE_SIZE;
    if (this.version === 2 && !all) {
      // v2: the range may not bisect a mapping at either end.
      const head = this.dmas.map.containing(iova);
      if (head !== undefined && head.start !== iova) return EINVAL;
      const tail = this.dmas.map.containing(lastPage);
      if (tail !== undefined && tail.endExcl !== endExcl) return EINVAL;
    }
    // vfio_find_dma_first_node: the lowest mapping overlapping the range.
    const first = this.dmas.map.firstOverlap(iova, lastPage);
    if (invalidateVaddr) {
      const marked = this.dmas.invalidateVaddrs(this.version, first, iova, endExcl);
      if (marked < 0) return EINVAL;
      this.lastUnmappedBytes = marked;
      return 0;
    }
    this.resetTally();
    const removed = this.dmas.removeRange(this.version, first, iova, endExcl, this.dmaEnv, this.domains, this.tally);
    this.lastCostNs += this.tally.costNs;
    this.lastUnmappedBytes = removed;
    return 0;
  }

  /** VFIO_IOMMU_GET_INFO with its capability chain (vfio_iommu_type1_get_info). */
  getInfo(): VfioIommuInfo {
    this.lastCostNs = this.deps.costs.vfioMapIoctlNs;
    let pgsizeBitmap = 0;
    for (const s of this.pgsizes) pgsizeBitmap += s;
    return {
      // CAP_MIGRATION and DMA_AVAIL are always added, so CAPS is always set.
      flags: VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS,
      iovaPgsizes: pgsizeBitmap,
      dmaAvail: this.dmas.dmaAvail,
      // vfio_iommu_iova_build_caps: inclusive ends; above 2^53 `end` rounds to the exclusive end.
      iovaRanges: this.iovaList.ranges.map((r) => ({ start: r.start, end: r.endExcl - 1 })),
    };
  }

  /** VFIO_GROUP_SET_CONTAINER of one more device with the container's default geometry. */
  attachDevice(device: string): number {
    return this.attachDeviceWithGeometry(device, this.deps.geometry);
  }

  /** Attach with an explicit geometry (a device behind another IOMMU, or a test's conflict). */
  attachDeviceWithGeometry(device: string, geometry: IommuGeometry, irqRemapping = this.deps.irqRemapping): number {
    if (this.setupErrno !== 0) {
      this.lastCostNs = this.deps.costs.vfioMapIoctlNs;
      return EINVAL;
    }
    return this.attach(device, geometry, irqRemapping, this.dmaEnv);
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'vfio.mapIoctls', this.mapIoctls);
    addMetric(into, 'vfio.unmapIoctls', this.unmapIoctls);
    addMetric(into, 'vfio.enospc', this.enospc);
    addMetric(into, 'vfio.mapFailures', this.mapFailures);
    addMetric(into, 'vfio.pinBatches', this.pinBatches);
    addMetric(into, 'vfio.hostIommuMaps', this.hostIommuMaps);
    maxMetric(into, 'vfio.entriesPeak', this.entriesPeak);
    maxMetric(into, 'vfio.hostPtesPeak', this.hostPtesPeak);
  }

  snapshot(): unknown {
    return {
      version: this.version,
      setupErrno: this.setupErrno,
      dmaEntryLimit: this.deps.dmaEntryLimit,
      dmaAvail: this.dmas.dmaAvail,
      lockedPages: this.dmas.lockedPages,
      vaddrInvalidCount: this.dmas.vaddrInvalidCount,
      processLockedPages: this.deps.process.lockedPages,
      pgsizes: [...this.pgsizes],
      iovaList: this.iovaList.ranges.map((r) => ({ start: r.start, endExcl: r.endExcl })),
      domains: this.domains.map((d) => ({
        seq: d.seq,
        devices: [...d.devices],
        pageSizes: [...d.geometry.pageSizes],
        livePtes: d.iommu.livePtes,
      })),
      mappings: this.dmas.snapshot(),
    };
  }

  checkInvariants(): string[] {
    return this.dmas.checkInvariants(this.iovaList, this.domains, this.dmaEnv);
  }

  private doMap(iova: number, vaddr: number, size: number, flags: number): number {
    if (this.setupErrno !== 0) return EINVAL;
    if (flags >>> 0 !== flags || (flags & ~MAP_FLAGS) !== 0) return EINVAL;
    const prot = flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
    const setVaddr = (flags & VFIO_DMA_MAP_FLAG_VADDR) !== 0;
    // Exactly one of: a permission (a new mapping) or FLAG_VADDR (a new vaddr for one).
    if ((prot !== 0) === setVaddr) return EINVAL;
    if (size === 0 || !this.aligned(size) || !this.aligned(iova) || !this.aligned(vaddr)) return EINVAL;
    if (iova + size > U64_LIMIT || vaddr + size > U64_LIMIT) return EINVAL; // iova/vaddr + size - 1 wraps
    const endExcl = iova + size;
    const hit = this.dmas.map.firstOverlap(iova, endExcl - PAGE_SIZE);
    if (setVaddr) return this.dmas.updateVaddr(hit, iova, size, vaddr);
    if (hit !== undefined) return EEXIST;
    if (this.dmas.dmaAvail === 0) return ENOSPC;
    if (!this.iovaList.containsRange(iova, endExcl)) return EINVAL;
    if (this.deps.faults.fail('alloc')) return ENOMEM; // kzalloc of the vfio_dma
    // The newest domain heads the list and has the highest seq: all present ones map it now.
    const dma = new VfioDma(iova, size, vaddr, prot, this.domains[0]!.seq);
    this.resetTally();
    const err = dma.pinAndMap(this.dmaEnv, this.domains, this.tally);
    this.absorbTally();
    if (err !== 0) return err;
    this.dmas.insert(dma);
    if (this.dmas.size > this.entriesPeak) this.entriesPeak = this.dmas.size;
    this.notePtesPeak();
    return 0;
  }

  private attach(device: string, geometry: IommuGeometry, irqRemapping: boolean, env: VfioDmaEnv): number {
    assertGeometry(geometry);
    this.lastCostNs = this.deps.costs.vfioMapIoctlNs;
    this.resetTally();
    const plan = planVfioAttach(
      {
        dmas: this.dmas.map,
        iovaList: this.iovaList,
        domains: this.domains,
        vaddrInvalidCount: this.dmas.vaddrInvalidCount,
        nextDomainSeq: this.nextDomainSeq,
        hasDevice: (d) => this.hasDevice(d),
      },
      { device, geometry, irqRemapping, allowUnsafeInterrupts: this.deps.allowUnsafeInterrupts },
      env,
      this.tally,
    );
    this.absorbTally();
    if (!('iovaList' in plan)) return plan.errno;
    this.iovaList = plan.iovaList;
    if (plan.join !== null) {
      plan.join.devices.push(device);
      return 0;
    }
    const created = plan.created!;
    created.devices.push(device);
    let i = 0;
    for (const dma of this.dmas.map.values()) dma.ptes += plan.replayPtes[i++]!;
    this.domains = [created, ...this.domains];
    this.nextDomainSeq++;
    this.pgsizes = commonPageSizes(this.domains.map((d) => d.geometry.pageSizes));
    this.notePtesPeak();
    return 0;
  }

  /** Aligned to the smallest supported page; 2^64 is never aligned (it is a rounded u64). */
  private aligned(x: number): boolean {
    return x % this.pgsizes[0]! === 0 && x < U64_LIMIT;
  }

  private resetTally(): void {
    this.tally.costNs = 0;
    this.tally.pinBatches = 0;
    this.tally.hostIommuMaps = 0;
    this.tally.ptesMapped = 0;
  }

  private absorbTally(): void {
    this.lastCostNs += this.tally.costNs;
    this.pinBatches += this.tally.pinBatches;
    this.hostIommuMaps += this.tally.hostIommuMaps;
  }

  private notePtesPeak(): void {
    let live = 0;
    for (const d of this.domains) live += d.iommu.livePtes;
    if (live > this.hostPtesPeak) this.hostPtesPeak = live;
  }
}

/** Page sizes must be powers of two (a pgsize_bitmap); anything else is a configuration bug. */
function assertGeometry(g: IommuGeometry): void {
  for (const s of g.pageSizes) {
    if (!isPowerOfTwo(s)) {
      throw new RangeError(`IOMMU page size ${s} is not a power of two`);
    }
  }
  if (g.apertureLast < g.apertureStart) throw new RangeError(`IOMMU aperture [${g.apertureStart}, ${g.apertureLast}] is empty`);
}
