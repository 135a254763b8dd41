// dma-iommu for one IOMMU domain (drivers/iommu/dma-iommu.c): the guest DMA API's map/unmap on a
// vIOMMU. Owns the domain's IOVA allocator (IovaDomain + IovaRcache) and, in a lazy mode, its
// flush queue; per device it keeps the "SAC" workaround state. Map: allocate an IOVA
// (iommu_dma_alloc_iova), iommu_map through the guest IOMMU driver, which may trap into QEMU; a
// failed map frees the IOVA at once and returns DMA_MAPPING_ERROR. Unmap: clear the PTEs, then
// strict: sync the IOTLB and free the IOVA; lazy: queue the IOVA until a flush covers it.
// Must not: model the vIOMMU (the GuestIommuDriver does) or decide costs of traps.

import { LatencyHistogram } from '../../sim/latencyHistogram';
import type { CostTable } from '../../sim/costTable';
import type { Scheduler } from '../../sim/scheduler';
import { bitsPer, remPow2 } from '../base/bits';
import { PAGE_SIZE } from '../base/pages';
import { ENOMEM } from '../base/errno';
import { type DmaCall } from '../base/dmaCall';
import { FlushQueue } from './flushQueue';
import type { GuestIommuDriver } from './guestIommuDriver';
import { IovaDomain } from './iovaDomain';
import { IovaRcache, RCACHE_MAX_PAGES } from './iovaRcache';
import type { GuestDmaOps, LastUnmapProbe, StaleDmaOutcome } from './guestDmaOps';
import { dmaBitMask, type DmaDevice } from './dmaDevice';

export { DmaDevice } from './dmaDevice';
import { addMetric, maxMetric, type MetricMap } from '../../sim/metricSink';
import type { DurationNs, SimTimeNs } from '../../sim/simTime';
import { NO_CAUSE, type TimelineRecorder } from '../../sim/timelineRecorder';

/** iova_shift: the domain's IOVA granule is the 4 KiB page. */
const GRANULE = PAGE_SIZE;
/** 1 / GRANULE: bytes * this is bytes / GRANULE exactly (a power of two), with no division on the hot path. */
const PER_GRANULE = 1 / GRANULE;

export type FlushMode = 'strict' | 'lazy' | 'lazy-single';

export interface IommuDmaOptions {
  readonly mode: FlushMode;
  readonly cpus: number;
  readonly perCpuSize: number;
  readonly perCpuTimeoutNs: number;
  readonly singleSize: number;
  readonly singleTimeoutNs: number;
  /** iommu.forcedac: skip the first try below 4 GiB. */
  readonly forcedac: boolean;
  /** IOVA_MAG_SIZE of the guest kernel (127 since Linux 6.0, 128 before); 127 when omitted. */
  readonly iovaMagazineSize?: number;
  /** Why Linux picked `mode` (core/stack/dmaModeChoice.ts), recorded with the mode in effect. */
  readonly modeWhy?: string;
  /** Linux overrode a lazy mode the configuration asked for, or its default (caching mode). */
  readonly modeForced?: boolean;
  /**
   * Where the domain explains itself: the flush-queue timer arming and an IOVA space that has no
   * room (the cause of the failed map). Without it nothing is recorded (unit tests of one layer).
   */
  readonly timeline?: { readonly recorder: TimelineRecorder; readonly laneName: string };
}

export interface VcpuTime {
  /** The vCPU is busy from `fromNs` to `toNs` on work the DMA layer did asynchronously (a timer flush). */
  occupy(cpu: number, fromNs: number, toNs: number): void;
}

/**
 * iommu_dma_alloc_iova: `if (iova_len < (1 << (IOVA_RANGE_CACHE_MAX_SIZE - 1))) iova_len =
 * roundup_pow_of_two(iova_len);` (sizes below 32 pages, the rcache classes). Below 32 pages
 * roundup_pow_of_two is 1 << fls(n - 1), one count-leading-zeros.
 */
export function cacheRound(pages: number): number {
  if (pages >= RCACHE_MAX_PAGES) return pages;
  return pages <= 1 ? 1 : 1 << (32 - Math.clz32(pages - 1));
}

/** iova_rcache_range(): PAGE_SIZE << (IOVA_RANGE_CACHE_MAX_SIZE - 1), asked for on every IO by fio's split. */
const OPT_MAPPING_BYTES = GRANULE * RCACHE_MAX_PAGES;

/** DMA_BIT_MASK(32) */
const DMA32_LIMIT = 0xffff_ffff;

export class IommuDmaDomain implements GuestDmaOps {
  readonly iovad: IovaDomain;
  readonly rcache: IovaRcache;
  readonly fq: FlushQueue | null;
  readonly mode: FlushMode;
  /** Why this mode is in effect (the choice's reason, or the fallback to strict). */
  readonly modeWhy: string;
  /** Linux put this domain in strict mode although lazy was asked for or the default. */
  readonly modeForced: boolean;
  maps = 0;
  unmaps = 0;
  mapFailures = 0;
  /** IOVA allocations that failed even after flushing the rcaches. */
  iovaExhaustions = 0;
  strictSyncs = 0;
  private lastUnmapIova = 0;
  private lastUnmapBytes = 0;
  private lastUnmapAtNs = 0;
  private lastUnmapCause = -1;
  private lastUnmapTicket = -1;
  private lastUnmapReused = false;
  private readonly timeline: IommuDmaOptions['timeline'];
  private lane = -1;
  private armKind = -1;
  private exhaustedKind = -1;
  /** Stale-IOTLB windows, ns (one sample per unmapped IOVA). */
  readonly staleWindowNs = new LatencyHistogram({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000_000,
    numberOfSignificantValueDigits: 3,
  });

  constructor(
    private readonly sim: Scheduler,
    private readonly driver: GuestIommuDriver,
    options: IommuDmaOptions,
    private readonly costs: CostTable,
    vcpus: VcpuTime,
  ) {
    // iommu_dma_init_domain: base_pfn = max(1, aperture_start >> shift), so IOVA 0 is never used.
    this.iovad = new IovaDomain(GRANULE, Math.max(1, Math.floor(driver.apertureStart / GRANULE)));
    // iova_reserve_iommu_regions
    for (const r of driver.reservedRanges) {
      const lo = Math.max(this.iovad.startPfn, Math.floor(r.start / GRANULE));
      const hi = Math.floor(r.last / GRANULE);
      if (hi >= lo) this.iovad.reserve(lo, hi);
    }
    this.rcache = new IovaRcache(this.iovad, options.cpus, options.iovaMagazineSize);
    this.timeline = options.timeline;
    // iommu_dma_init_fq falls back to strict without IOMMU_CAP_DEFERRED_FLUSH.
    const fallback = options.mode !== 'strict' && !driver.deferredFlush;
    this.mode = fallback ? 'strict' : options.mode;
    this.modeWhy = fallback
      ? `the vIOMMU driver lacks IOMMU_CAP_DEFERRED_FLUSH, so iommu_dma_init_fq falls back to strict (${options.mode} was chosen: ${options.modeWhy ?? 'the default'})`
      : (options.modeWhy ?? '');
    this.modeForced = fallback || (options.modeForced ?? false);
    this.recordMode(sim.now);
    if (this.mode === 'strict') this.fq = null;
    else {
      const single = this.mode === 'lazy-single';
      this.fq = new FlushQueue(
        sim,
        single,
        single ? options.singleSize : options.perCpuSize,
        single ? options.singleTimeoutNs : options.perCpuTimeoutNs,
        options.cpus,
        {
          flushIotlbAll: (call) => driver.flushIotlbAll(call),
          freeIova: (cpu, pfn, pages, now) => this.freeIovaFast(cpu, pfn, pages, now),
          occupyCpu: (cpu, from, to) => vcpus.occupy(cpu, from, to),
          staleWindow: (ns) => this.staleWindowNs.recordValue(Math.max(1, ns)),
          timerArmed: (call) => this.recordTimerArmed(call),
        },
      );
    }
  }

  /** alloc_iova_fast: rcache, else the tree, else (if allowed) flush every rcache and retry once. */
  private allocIovaFast(cpu: number, pages: number, limitPfn: number, flushRcache: boolean, nowNs: number, call: DmaCall): number {
    const cached = this.rcache.get(cpu, pages, limitPfn + 1, nowNs);
    if (cached !== 0) {
      call.t += this.costs.guestIovaRcacheNs;
      return cached;
    }
    const steps = this.iovad.searchSteps;
    call.t += this.costs.guestIovaAllocNs;
    let pfn = this.iovad.alloc(pages, limitPfn);
    if (pfn === 0 && flushRcache) {
      this.rcache.flushAll();
      call.t += this.costs.guestIovaAllocNs;
      pfn = this.iovad.alloc(pages, limitPfn);
    }
    // Nodes the search visited beyond the first: the walk holds iova_rbtree_lock on this CPU.
    call.t += Math.max(0, this.iovad.searchSteps - steps - 1) * this.costs.guestIovaSearchStepNs;
    return pfn;
  }

  /** iommu_dma_alloc_iova: returns the IOVA (bytes) or 0. */
  private allocIova(call: DmaCall, dev: DmaDevice, bytes: number, maskBits: number): number {
    const pages = cacheRound(Math.ceil(bytes * PER_GRANULE));
    const dmaLimit = Math.min(dmaBitMask(maskBits), this.driver.apertureLast);
    const dma32 = DMA32_LIMIT;
    if (dmaLimit > dma32 && dev.pci32bitWorkaround) {
      const pfn = this.allocIovaFast(call.cpu, pages, Math.floor(dma32 * PER_GRANULE), false, call.t, call);
      if (pfn !== 0) return pfn * GRANULE;
      dev.pci32bitWorkaround = false;
      dev.dacBits = bitsPer(dmaLimit);
      dev.log.push(`${dev.name}: Using ${dev.dacBits}-bit DMA addresses`);
    }
    const pfn = this.allocIovaFast(call.cpu, pages, Math.floor(dmaLimit * PER_GRANULE), true, call.t, call);
    if (pfn === 0) this.iovaExhaustions++;
    return pfn * GRANULE;
  }

  /** The DMA mode in effect and why, at the domain's creation (boot, reset or hot-plug). */
  private recordMode(t: number): void {
    const tl = this.timeline;
    if (tl === undefined) return;
    const kind = tl.recorder.defineKind({
      name: 'dma.mode',
      args: [
        { name: 'mode', format: 'str' },
        { name: 'why', format: 'str' },
        { name: 'forced', format: 'int' },
      ],
    });
    const r = tl.recorder;
    r.record(
      t as SimTimeNs,
      0,
      this.laneOf(r, tl.laneName),
      kind,
      r.internString(this.mode),
      r.internString(this.modeWhy),
      this.modeForced ? 1 : 0,
    );
  }

  /** The timeline lane of this domain, defined on first use (so a domain that records nothing adds no lane). */
  private laneOf(rec: TimelineRecorder, laneName: string): number {
    if (this.lane < 0) this.lane = rec.defineLane(laneName, 'guest');
    return this.lane;
  }

  private recordTimerArmed(call: DmaCall): number {
    const t = this.timeline;
    if (t === undefined) return NO_CAUSE;
    if (this.armKind < 0) {
      this.armKind = t.recorder.defineKind({
        name: 'dma.fqTimerArmed',
        args: [
          { name: 'cpu', format: 'int' },
          { name: 'timeout', format: 'ns' },
        ],
      });
    }
    return t.recorder.record(
      call.t as SimTimeNs,
      0,
      this.laneOf(t.recorder, t.laneName),
      this.armKind,
      call.cpu,
      this.fq?.timeout ?? 0,
      0,
      call.cause,
    );
  }

  /**
   * No IOVA of `pages` pages was left below the device's limit, even after the rcaches went back to
   * the tree: the event says how much of the space is allocated and how much of that only waits in
   * the flush queue (caused by the timer arming that holds them), and becomes the failed map's cause.
   */
  private recordExhausted(call: DmaCall, pages: number): void {
    const t = this.timeline;
    if (t === undefined) return;
    if (this.exhaustedKind < 0) {
      this.exhaustedKind = t.recorder.defineKind({
        name: 'dma.iovaSpaceExhausted',
        args: [
          { name: 'pagesRequested', format: 'int' },
          { name: 'pagesAllocated', format: 'int' },
          { name: 'pagesInFlushQueue', format: 'int' },
        ],
      });
    }
    const queued = this.fq?.queuedPages ?? 0;
    const cause = queued > 0 && this.fq !== null && this.fq.armEvent >= 0 ? this.fq.armEvent : call.cause;
    const ev = t.recorder.record(
      call.t as SimTimeNs,
      0 as DurationNs,
      this.laneOf(t.recorder, t.laneName),
      this.exhaustedKind,
      pages,
      this.iovad.allocatedPages(),
      queued,
      cause,
    );
    if (ev >= 0) call.cause = ev;
  }

  /** free_iova_fast: to the rcache, else back to the tree. */
  private freeIovaFast(cpu: number, pfn: number, pages: number, nowNs: number): void {
    if (!this.rcache.insert(cpu, pfn, pages, nowNs)) this.iovad.free(pfn);
  }

  private mapWith(call: DmaCall, dev: DmaDevice, gpa: number, bytes: number, write: boolean, maskBits: number): void {
    call.t += this.costs.guestDmaMapNs;
    // iommu_dma_map_page maps whole IOVA granules: iova_align(size + offset in page).
    const offset = remPow2(gpa, GRANULE);
    const span = Math.ceil((bytes + offset) * PER_GRANULE) * GRANULE;
    const iova = this.allocIova(call, dev, span, maskBits);
    if (iova === 0) {
      call.errno = ENOMEM;
      this.mapFailures++;
      this.recordExhausted(call, span / GRANULE);
      return;
    }
    this.driver.map(call, iova, gpa - offset, span, write);
    if (call.errno !== 0) {
      // __iommu_dma_map: the IOVA goes straight back (no gather, so never queued).
      this.freeIovaFast(call.cpu, iova / GRANULE, span / GRANULE, call.t);
      this.mapFailures++;
      return;
    }
    call.dmaAddr = iova + offset;
    this.maps++;
    // The last unmapped IOVA handed out again (only possible once its flush freed it).
    if (iova < this.lastUnmapIova + this.lastUnmapBytes && this.lastUnmapIova < iova + span) this.lastUnmapReused = true;
  }

  /** dma_map_page / dma_map_single for a physically contiguous buffer of `bytes` (page multiple). */
  map(call: DmaCall, dev: DmaDevice, gpa: number, bytes: number, write: boolean): void {
    this.mapWith(call, dev, gpa, bytes, write, dev.dmaMaskBits);
  }

  /**
   * iommu_dma_map_sg for page-aligned elements: one IOVA range for all of them (iommu_dma_alloc_iova),
   * iommu_map_sg into it (the driver's mapSg: one iotlb_sync_map; without one, iommu_map per element),
   * a failure frees the IOVA and fails the call.
   */
  mapSg(call: DmaCall, dev: DmaDevice, gpas: ArrayLike<number>, count: number, elementBytes: number, write: boolean): void {
    call.t += this.costs.guestDmaMapNs;
    const span = count * elementBytes;
    const iova = this.allocIova(call, dev, span, dev.dmaMaskBits);
    if (iova === 0) {
      call.errno = ENOMEM;
      this.mapFailures++;
      this.recordExhausted(call, span / GRANULE);
      return;
    }
    const driver = this.driver;
    if (driver.mapSg !== undefined) driver.mapSg(call, iova, gpas, count, elementBytes, write);
    else {
      for (let i = 0; i < count && call.errno === 0; i++) {
        driver.map(call, iova + i * elementBytes, gpas[i]!, elementBytes, write);
        if (call.errno !== 0 && i > 0) {
          const errno = call.errno;
          driver.unmap(call, iova, i * elementBytes);
          driver.iotlbSync(call, iova, i * elementBytes);
          call.errno = errno;
        }
      }
    }
    if (call.errno !== 0) {
      this.freeIovaFast(call.cpu, iova / GRANULE, span / GRANULE, call.t);
      this.mapFailures++;
      return;
    }
    call.dmaAddr = iova;
    this.maps++;
    if (iova < this.lastUnmapIova + this.lastUnmapBytes && this.lastUnmapIova < iova + span) this.lastUnmapReused = true;
  }

  /** dma_alloc_coherent: the same path with the coherent DMA mask. */
  allocCoherent(call: DmaCall, dev: DmaDevice, gpa: number, bytes: number): void {
    this.mapWith(call, dev, gpa, bytes, true, dev.coherentMaskBits);
  }

  /** iommu_dma_opt_mapping_size: iova_rcache_range(), PAGE_SIZE << (IOVA_RANGE_CACHE_MAX_SIZE - 1) = 128 KiB. */
  optMappingBytes(): number {
    return OPT_MAPPING_BYTES;
  }

  /** dma_unmap_page (__iommu_dma_unmap). */
  unmap(call: DmaCall, dmaAddrWithOffset: number, bytes: number): void {
    call.t += this.costs.guestDmaMapNs;
    const offset = remPow2(dmaAddrWithOffset, GRANULE);
    const dmaAddr = dmaAddrWithOffset - offset;
    const pages = Math.ceil((bytes + offset) * PER_GRANULE);
    bytes = pages * GRANULE;
    this.driver.unmap(call, dmaAddr, bytes);

    this.unmaps++;
    this.lastUnmapIova = dmaAddr;
    this.lastUnmapBytes = bytes;
    this.lastUnmapCause = call.cause;
    this.lastUnmapReused = false;
    if (this.fq === null) {
      const clearedAt = call.t;
      this.driver.iotlbSync(call, dmaAddr, bytes);
      this.strictSyncs++;
      this.staleWindowNs.recordValue(Math.max(1, call.t - clearedAt));
      this.lastUnmapTicket = -1;
      this.freeIovaFast(call.cpu, dmaAddr * PER_GRANULE, pages, call.t);
    } else {
      this.lastUnmapTicket = this.fq.queue(call, dmaAddr * PER_GRANULE, pages);
    }
    this.lastUnmapAtNs = call.t;
  }

  /** Strict: the IOTLB sync ran inside the unmap, so only a reuse can make the address reachable again. */
  probeLastUnmap(): LastUnmapProbe | null {
    if (this.unmaps === 0) return null;
    let outcome: StaleDmaOutcome;
    if (this.lastUnmapReused) outcome = 'remapped';
    else if (this.fq !== null && this.lastUnmapTicket >= 0 && !this.fq.covered(this.lastUnmapTicket)) outcome = 'stale';
    else outcome = 'fault';
    return {
      dmaAddr: this.lastUnmapIova,
      bytes: this.lastUnmapBytes,
      unmappedAtNs: this.lastUnmapAtNs,
      cause: this.lastUnmapCause,
      outcome,
    };
  }

  retire(): void {
    this.fq?.retire();
  }

  /** The mode's flush-queue depth now (0 in strict mode). */
  fqDepth(): number {
    return this.fq?.depth() ?? 0;
  }

  get label(): string {
    return `iommu-dma (${this.mode})`;
  }

  collectMetrics(into: MetricMap): void {
    addMetric(into, 'dma.maps', this.maps);
    addMetric(into, 'dma.domainsStrict', this.mode === 'strict' ? 1 : 0);
    addMetric(into, 'dma.domainsLazy', this.mode === 'lazy' ? 1 : 0);
    addMetric(into, 'dma.domainsLazySingle', this.mode === 'lazy-single' ? 1 : 0);
    addMetric(into, 'dma.domainsForcedStrict', this.modeForced ? 1 : 0);
    addMetric(into, 'dma.unmaps', this.unmaps);
    addMetric(into, 'dma.mapFailures', this.mapFailures);
    addMetric(into, 'iova.exhaustions', this.iovaExhaustions);
    addMetric(into, 'iotlb.flushes.global', this.fq?.flushes ?? 0);
    addMetric(into, 'fq.fullFlushes', this.fq?.fullFlushes ?? 0);
    addMetric(into, 'fq.timerFlushes', this.fq?.timerFlushes ?? 0);
    maxMetric(into, 'fq.peakDepth', this.fq?.peakDepth ?? 0);
    addMetric(into, 'iotlb.flushes.range', this.strictSyncs);
    maxMetric(into, 'iova.allocatedPagesPeak', this.iovad.allocatedPagesPeak);
    if (this.staleWindowNs.totalCount > 0) maxMetric(into, 'staleIotlbWindowUsP99', this.staleWindowNs.getValueAtPercentile(99) / 1000);
  }

  get now(): number {
    return this.sim.now;
  }
}
