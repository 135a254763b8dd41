// The VFIO type1 IOMMU backend of one container (drivers/vfio/vfio_iommu_type1.c), v1 or v2:
// the vfio_dma tree bounded by dma_entry_limit, the valid IOVA list, the attached domains, and the
// MAP_DMA / UNMAP_DMA / GET_INFO ioctls and group attach with the kernel's order of checks.
// Every call is all or nothing: a failure leaves mappings, dma_avail, the IOVA list, domains,
// host PTEs and the process's locked memory as they were (statistics counters do move).
// Must not: pin or map pages itself (vfioDma.ts), build IOVA lists (vfioIovaList.ts) or decide an
// attach (vfioDomainAttach.ts); it never throws for a simulated failure.

import { EEXIST, EFAULT, EINVAL, ENOMEM, ENOSPC } from '../base/errno';
import { intelIommuWidthError, type1MemlockWarning } from '../base/logLines';
import type { IommuGeometry } from '../host/hostIommu';
import type { LimitUsage } from '../base/layerInstance';
import type { HostProcess } from '../host/hostProcess';
import { PAGE_SIZE, alignDown } from '../base/pages';
import { isMultipleOfPow2, isPowerOfTwo } from '../base/bits';
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
import { mapSinglePages, VfioDma, type VfioDmaEnv, type VfioDmaTally } from './vfioDma';
import { VfioDmaRun } from './vfioDmaRun';
import { VfioDmaTree, type VfioDmaNode } from './vfioDmaTree';
import { commonPageSizes, planVfioAttach, type VfioAttachedDomain } from './vfioDomainAttach';
import { VfioIovaList } from './vfioIovaList';
import type { CostTable } from '../../sim/costTable';
import { FaultInjector } from '../../sim/faultInjector';
import { addMetric, maxMetric, type MetricMap } from '../../sim/metricSink';

const MAP_FLAGS = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE | VFIO_DMA_MAP_FLAG_VADDR;
const UNMAP_FLAGS = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR;
/** 2^64: u64 values are below it; a double equal to it can only come from rounding 2^64-1024..2^64-1. */
const U64_LIMIT = 2 ** 64;
/** vfio_fops_unl_ioctl answers every ioctl with -EINVAL while no IOMMU driver is set. */
const SETUP_WHY = 'VFIO_SET_IOMMU failed, the container has no IOMMU driver';

function hex(n: number): string {
  return '0x' + n.toString(16);
}

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
  /** MAP_DMA checks the IOVA list (Linux >= 5.4); false: the IOMMU driver's width check refuses instead. Default true. */
  readonly iovaRangeCheck?: boolean;
}

export class VfioType1Container implements VfioContainerApi {
  readonly laneName: string;
  lastUnmappedBytes = 0;
  lastCostNs = 0;
  /** Why the last MAP_DMA / UNMAP_DMA / attach was refused (the check that failed), or null. */
  lastWhy: string | null = null;
  /** What the kernel printed (dmesg) during the last MAP_DMA, or null. */
  lastKernelLog: string | null = null;
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

  /** VFIO_IOMMU_MAP_DMA (vfio_iommu_type1_map_dma + vfio_dma_do_map). */
  mapDma(iova: number, vaddr: number, size: number, flags: number): number {
    this.mapIoctls++;
    this.lastCostNs = this.deps.costs.vfioMapIoctlNs;
    this.lastWhy = null;
    this.lastKernelLog = null;
    const err = this.doMap(iova, vaddr, size, flags);
    if (err !== 0) {
      this.mapFailures++;
      if (err === ENOSPC) this.enospc++;
    }
    return err;
  }

  /**
   * `count` MAP_DMA calls of one page each, back to back: call j maps iova + j * PAGE_SIZE from
   * vaddr + j * PAGE_SIZE (what QEMU's shadowing issues for consecutive 4 KiB translations). Maps
   * the longest leading stretch that the checks let through as one would one by one, and returns
   * how many it mapped; `lastCostNs` is then the cost of each of those calls (all equal). The caller
   * issues call `mapped` through mapDma() (it fails, or the stretch could not be taken whole) and
   * continues after it. Returns 0 whenever a one-by-one answer could differ (a FLAG_VADDR call, an
   * IOVA list or user address hole in the stretch, a domain with pages below 4 KiB, an armed fault
   * site in reach): the caller then maps call by call.
   */
  mapDmaRun(iova: number, vaddr: number, count: number, flags: number): number {
    if (this.setupErrno !== 0 || count <= 0) return 0;
    if (flags >>> 0 !== flags || (flags & ~MAP_FLAGS) !== 0 || (flags & VFIO_DMA_MAP_FLAG_VADDR) !== 0) return 0;
    const prot = flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
    if (prot === 0 || this.pgsizes[0] !== PAGE_SIZE || !this.aligned(iova) || !this.aligned(vaddr)) return 0;
    const bytes = count * PAGE_SIZE;
    if (iova + bytes > U64_LIMIT || vaddr + bytes > U64_LIMIT) return 0;
    for (const d of this.domains) if (d.iommu.minPageSize < PAGE_SIZE) return 0;
    if (!this.iovaList.containsRange(iova, iova + bytes) || !this.deps.process.isMapped(vaddr, bytes)) return 0;
    // Device memory (a VM_PFNMAP range) is not charged: the call-by-call path knows it (vfioDma.ts).
    if (this.deps.process.pfnmapBytes(vaddr, bytes) > 0) return 0;
    let n = Math.min(count, this.dmas.dmaAvail, this.deps.process.lockablePages());
    const hit = this.dmas.map.firstOverlap(iova, iova + bytes - PAGE_SIZE);
    if (hit !== undefined) n = Math.min(n, Math.max(0, Math.ceil((hit.start - iova) / PAGE_SIZE)));
    // Fault sites of one call: the vfio_dma allocation, its pin batch, one iommu_map per domain.
    const sites = 2 + this.domains.length;
    n = Math.min(n, Math.floor(this.deps.faults.sitesBeforeFailure() / sites));
    if (n <= 0) return 0;
    this.deps.faults.pass(n * sites);
    this.mapIoctls += n;
    this.pinBatches += n;
    this.hostIommuMaps += n * this.domains.length;
    if (!this.deps.process.tryLock(n)) throw new Error('locked-memory budget changed while mapping a run');
    const perCall = mapSinglePages(this.dmaEnv, this.domains, n);
    this.dmas.insertRun(new VfioDmaRun(iova, n, vaddr, prot, this.domains[0]!.seq, this.domains.length));
    if (this.dmas.size > this.entriesPeak) this.entriesPeak = this.dmas.size;
    this.notePtesPeak();
    this.lastCostNs = this.deps.costs.vfioMapIoctlNs;
    this.lastCostNs += perCall;
    return n;
  }

  /**
   * `count` UNMAP_DMA calls of one page each with no flags, back to back: call j unmaps
   * [iova + j * PAGE_SIZE, +PAGE_SIZE) (what QEMU's shadowing issues for consecutive 4 KiB
   * translations it drops). Takes the leading calls that each remove one entry of the run holding
   * `iova` (every check passes for an entry of a run, under v1 and v2 alike, and an unmap has no
   * fault site), and returns how many; `lastCostNs` is then the cost of each (all equal) and
   * `lastUnmappedBytes` PAGE_SIZE. Returns 0 when `iova` is not in a run: the caller issues that
   * call through unmapDma() and continues after it.
   */
  unmapDmaRun(iova: number, count: number): number {
    if (this.setupErrno !== 0 || count <= 0 || this.pgsizes[0] !== PAGE_SIZE || !this.aligned(iova)) return 0;
    // vfio_find_dma_first_node(iova, PAGE_SIZE): the mapping holding iova, if any (over one page it
    // is vfio_find_dma's answer), looked up so that the unlink below can reuse the descent.
    const run = this.dmas.map.firstOverlap(iova, iova);
    if (!(run instanceof VfioDmaRun)) return 0;
    const from = run.entryAt(iova);
    const n = Math.min(count, run.entries - from);
    this.unmapIoctls += n;
    const perEntry = this.dmas.removeRunEntriesEach(run, from, from + n, this.dmaEnv, this.domains, true);
    // Each call: the ioctl, then its one entry's unmap and unpin tallied from 0 (as unmapDma adds it).
    this.lastCostNs = this.deps.costs.vfioUnmapIoctlNs;
    this.lastCostNs += 0 + perEntry;
    this.lastUnmappedBytes = PAGE_SIZE;
    return n;
  }

  /** VFIO_IOMMU_UNMAP_DMA (vfio_iommu_type1_unmap_dma + vfio_dma_do_unmap). */
  unmapDma(iova: number, size: number, flags: number): number {
    this.unmapIoctls++;
    this.lastCostNs = this.deps.costs.vfioUnmapIoctlNs;
    this.lastUnmappedBytes = 0;
    this.lastWhy = null;
    if (this.setupErrno !== 0) return this.refuse(EINVAL, SETUP_WHY);
    if (flags >>> 0 !== flags || (flags & ~UNMAP_FLAGS) !== 0) return this.refuse(EINVAL, 'unknown UNMAP_DMA flags');
    const dirty = (flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) !== 0;
    const all = (flags & VFIO_DMA_UNMAP_FLAG_ALL) !== 0;
    const invalidateVaddr = (flags & VFIO_DMA_UNMAP_FLAG_VADDR) !== 0;
    if (dirty && (all || invalidateVaddr)) return this.refuse(EINVAL, 'GET_DIRTY_BITMAP combined with FLAG_ALL or FLAG_VADDR');
    if (!this.aligned(iova)) return this.refuse(EINVAL, `iova is not aligned to the smallest IOMMU page (${this.pgsizes[0]!} bytes)`);
    let endExcl: number;
    if (all) {
      // FLAG_ALL means size = U64_MAX from 0
      if (iova !== 0 || size !== 0) return this.refuse(EINVAL, 'FLAG_ALL with a nonzero iova or size');
      endExcl = U64_LIMIT;
    } else {
      if (size === 0) return this.refuse(EINVAL, 'size is 0');
      if (!this.aligned(size)) return this.refuse(EINVAL, `size is not a multiple of the smallest IOMMU page (${this.pgsizes[0]!} bytes)`);
      if (iova + size > U64_LIMIT) return this.refuse(EINVAL, 'iova + size - 1 wraps past 2^64');
      endExcl = iova + size;
    }
    // GET_DIRTY_BITMAP needs dirty page tracking, which is never started here.
    if (dirty) return this.refuse(EINVAL, 'GET_DIRTY_BITMAP without dirty page tracking started');
    const lastPage = endExcl - PAGE_SIZE;
    // vfio_find_dma_first_node: the lowest mapping overlapping the range. Looked up first here: it
    // also answers the v2 checks' vfio_find_dma(iova, 1) (it is that mapping when it starts at or
    // below iova, else none holds iova) and, when it reaches lastPage, vfio_find_dma(lastPage, 0).
    let first = this.dmas.map.firstOverlap(iova, lastPage);
    if (this.version === 2 && !all) {
      // v2: the range may not bisect a mapping at either end.
      const head = first !== undefined && first.start <= iova ? first : undefined;
      if (head !== undefined && entryStart(head, iova) !== iova)
        return this.refuse(
          EINVAL,
          `v2: the range starts inside the mapping at ${hex(entryStart(head, iova))} (a v2 unmap may not bisect a mapping)`,
        );
      const tail = first === undefined ? undefined : first.last >= lastPage ? first : this.dmas.map.containing(lastPage);
      if (tail !== undefined && entryEnd(tail, lastPage) !== endExcl)
        return this.refuse(
          EINVAL,
          `v2: the range ends inside the mapping ending at ${hex(entryEnd(tail, lastPage))} (a v2 unmap may not bisect a mapping)`,
        );
    }
    if (invalidateVaddr) {
      this.dmas.splitRuns(iova, lastPage);
      first = this.dmas.map.firstOverlap(iova, lastPage);
      const marked = this.dmas.invalidateVaddrs(this.version, first, iova, endExcl);
      if (marked < 0)
        return this.refuse(EINVAL, 'FLAG_VADDR: a mapping in the range already has its vaddr invalidated, or the range bisects one');
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

  /** Its share of locked_vm (vfio_lock_acct of its own pins) and its vfio_dma entries against dma_entry_limit. */
  limitUsage(): LimitUsage {
    return {
      id: `type1/${this.name}`,
      lockedPages: this.dmas.lockedPages,
      lockedPagesPeak: this.dmas.lockedPagesPeak,
      entries: this.dmas.size,
      entriesPeak: this.entriesPeak,
      entryLimit: this.deps.dmaEntryLimit,
      entryLimitRefusals: this.enospc,
    };
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
    if (this.setupErrno !== 0) return this.refuse(EINVAL, SETUP_WHY);
    if (flags >>> 0 !== flags || (flags & ~MAP_FLAGS) !== 0) return this.refuse(EINVAL, 'unknown MAP_DMA flags');
    const prot = flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
    const setVaddr = (flags & VFIO_DMA_MAP_FLAG_VADDR) !== 0;
    // Exactly one of: a permission (a new mapping) or FLAG_VADDR (a new vaddr for one).
    if ((prot !== 0) === setVaddr)
      return this.refuse(EINVAL, setVaddr ? 'FLAG_VADDR together with READ/WRITE' : 'neither READ/WRITE nor FLAG_VADDR set');
    if (size === 0) return this.refuse(EINVAL, 'size is 0');
    if (!this.aligned(size) || !this.aligned(iova) || !this.aligned(vaddr))
      return this.refuse(EINVAL, `iova, vaddr or size is not aligned to the smallest IOMMU page (${this.pgsizes[0]!} bytes)`);
    if (iova + size > U64_LIMIT || vaddr + size > U64_LIMIT) return this.refuse(EINVAL, 'iova or vaddr + size - 1 wraps past 2^64');
    const endExcl = iova + size;
    if (setVaddr) this.dmas.splitRuns(iova, endExcl - PAGE_SIZE);
    const hit = this.dmas.map.firstOverlap(iova, endExcl - PAGE_SIZE);
    if (setVaddr) {
      const rc = this.dmas.updateVaddr(hit, iova, size, vaddr);
      if (rc !== 0) this.lastWhy = 'FLAG_VADDR: no mapping with an invalidated vaddr at exactly this iova and size';
      return rc;
    }
    if (hit !== undefined)
      return this.refuse(EEXIST, `the range overlaps the mapping at ${hex(entryStart(hit, Math.max(iova, hit.start)))} (vfio_find_dma)`);
    if (this.dmas.dmaAvail === 0)
      return this.refuse(ENOSPC, `dma_avail is 0: the container holds dma_entry_limit (${this.deps.dmaEntryLimit}) mappings`);
    if (this.deps.iovaRangeCheck === false && endExcl - 1 > this.deps.geometry.apertureLast) return this.beyondWidth(iova, endExcl);
    if (!this.iovaList.containsRange(iova, endExcl))
      return this.refuse(EINVAL, 'the range is outside the valid IOVA ranges (vfio_iommu_iova_dma_valid)');
    // kzalloc of the vfio_dma
    if (this.deps.faults.fail('alloc')) return this.refuse(ENOMEM, 'kzalloc of the vfio_dma failed (injected fault)');
    // The newest domain heads the list and has the highest seq: all present ones map it now.
    const dma = new VfioDma(iova, size, vaddr, prot, this.domains[0]!.seq);
    this.resetTally();
    const memlockFailures = this.deps.process.memlockFailures;
    const err = dma.pinAndMap(this.dmaEnv, this.domains, this.tally);
    this.absorbTally();
    if (err !== 0) return this.refuse(err, this.pinWhy(err, memlockFailures));
    this.dmas.insert(dma);
    if (this.dmas.size > this.entriesPeak) this.entriesPeak = this.dmas.size;
    this.notePtesPeak();
    return 0;
  }

  /**
   * Before Linux 5.4 type1 kept no IOVA list: the map reached the IOMMU driver, and intel_iommu_map
   * refused an end beyond the domain's width with -EFAULT, printing pr_err("%s: iommu width (%d) is
   * not sufficient for the mapped address (%llx)", __func__, gaw, iova + size) under "DMAR: ".
   */
  private beyondWidth(iova: number, endExcl: number): number {
    const width = Math.round(Math.log2(this.deps.geometry.apertureLast + 1));
    this.lastKernelLog = intelIommuWidthError(width, endExcl);
    return this.refuse(
      EFAULT,
      `[${hex(iova)}, ${hex(endExcl)}) ends beyond the IOMMU's ${width}-bit width (intel_iommu_map; no IOVA list before Linux 5.4)`,
    );
  }

  private refuse(errno: number, why: string): number {
    this.lastWhy = why;
    return errno;
  }

  /** Why vfio_pin_map_dma failed: the process's memlock accounting tells a limit from an injected fault. */
  private pinWhy(err: number, memlockFailuresBefore: number): string {
    if (err === EFAULT) return 'a page of [vaddr, vaddr + size) is not mapped in the process (pin_user_pages_remote)';
    if (this.deps.process.memlockFailures > memlockFailuresBefore) {
      const limit = this.deps.process.memlockLimitBytes;
      this.lastKernelLog = type1MemlockWarning(limit ?? 0);
      return `RLIMIT_MEMLOCK (${String(limit)} bytes) exceeded: ${this.deps.process.lockedPages * PAGE_SIZE} bytes already locked (vfio_pin_pages_remote)`;
    }
    return 'pinning or iommu_map failed (injected fault)';
  }

  private attach(device: string, geometry: IommuGeometry, irqRemapping: boolean, env: VfioDmaEnv): number {
    assertGeometry(geometry);
    // A replay maps each vfio_dma on its own: runs go back to single entries first.
    this.dmas.splitRuns(0, U64_LIMIT);
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
    for (const dma of this.dmas.map.values()) (dma as VfioDma).ptes += plan.replayPtes[i++]!;
    this.domains = [created, ...this.domains];
    this.nextDomainSeq++;
    this.pgsizes = commonPageSizes(this.domains.map((d) => d.geometry.pageSizes));
    this.notePtesPeak();
    return 0;
  }

  /** Aligned to the smallest supported page; 2^64 is never aligned (it is a rounded u64). */
  private aligned(x: number): boolean {
    return isMultipleOfPow2(x, this.pgsizes[0]!) && x < U64_LIMIT;
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

/** Start of the vfio_dma that holds `addr` within a tree node (a run's entry, or the mapping). */
function entryStart(node: VfioDmaNode, addr: number): number {
  return node instanceof VfioDmaRun ? node.start + node.entryAt(addr) * PAGE_SIZE : node.start;
}

/** Exclusive end of the vfio_dma that holds `addr` within a tree node. */
function entryEnd(node: VfioDmaNode, addr: number): number {
  return node instanceof VfioDmaRun ? node.start + (node.entryAt(addr) + 1) * PAGE_SIZE : node.endExcl;
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
