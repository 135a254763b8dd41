// The QEMU process of one VM as the DMA path crosses it: a trap from a vCPU (VM exit, QEMU's
// handling under the big QEMU lock, re-entry), guest RAM at a host virtual address, and QEMU's
// VFIO listener shadowing guest mappings into a host container (hw/vfio/listener.c:
// vfio_iommu_map_notify: one VFIO map/unmap ioctl per notified range; a failure is only logged,
// the guest never sees it). Under nested virtualization every exit costs nestedExitFactor exits.
// The big QEMU lock goes to whichever trap comes first in simulated time (a mutex is not FIFO).
// A device BAR (a ram_device region QEMU mmapped from vfio-pci) is mapped by the same listener, but
// its failure is only a warning: QEMU carries on without peer-to-peer DMA to that BAR.
// Must not: know any vIOMMU's table format (the front-ends walk their own tables).

import type { CostTable } from '../../sim/costTable';
import { SerialResource } from '../../sim/serialResource';
import { GapFillingLock } from '../../sim/gapFillingLock';
import type { TimelineRecorder } from '../../sim/timelineRecorder';
import type { DurationNs, SimTimeNs } from '../../sim/simTime';
import { linuxErrnoName } from '../base/errno';
import {
  qemuBackendMapFailed,
  qemuDmaMapError,
  qemuRamDeviceMapFailed,
  recordLogLine,
  type QemuMapBackend,
  type QemuMapRelease,
} from '../base/logLines';
import { PAGE_SIZE } from '../base/pages';
import type { DmaCall } from '../base/dmaCall';
import type { VfioContainerApi } from '../vfio/vfioContainerApi';
import { VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE, VFIO_DMA_UNMAP_FLAG_ALL } from '../vfio/vfioContainerApi';

/** Host virtual address of guest RAM in QEMU (1 GiB aligned, so hugepages line up with GPAs). */
export const GUEST_RAM_HVA_BASE = 0x7f00_0000_0000;

/** How this QEMU words a failed map: which backend maps, and the release (logLines.ts qemuBackendMapFailed). */
export interface QemuMapReports extends QemuMapRelease {
  readonly backend: QemuMapBackend;
  /** "vfio_container_dma_map(...)" from QEMU 9.0, "vfio_dma_map(...)" before (qemuDmaMapError). */
  readonly atLeast9: boolean;
}

/** QEMU 10's wording, the legacy container: what a QemuVm reports when it is not told its release. */
const LATEST_REPORTS: QemuMapReports = { backend: 'legacy', atLeast52: true, atLeast9: true, atLeast10: true };

/** Told which calls of a vfioMapRun failed (QEMU only logs them; its own cache keeps the entry). */
export interface VfioMapRunListener {
  /** `index` counts from the run's first page. */
  vfioMapFailed(index: number): void;
}

/** A guest lock a vCPU holds across a whole trap: acquire(t, holdNs) returns when the hold ends. */
export type TrapGuestLock = SerialResource | GapFillingLock;

/** QEMU's handling of one trap: serve() does the work against QEMU's state and returns its cost. */
export interface TrapHandler {
  serve(a: number, b: number): number;
}

export interface QemuVmOptions {
  readonly name: string;
  /** Exits cost nestedExitFactor x vmExitNs (L2 -> L0 -> L1). */
  readonly nested: boolean;
  /**
   * The run's clock. With it the big lock goes to whichever trap comes first in simulated time
   * (GapFillingLock); without it (unit tests of one layer) traps queue in call order.
   */
  readonly clock?: { readonly now: number };
  /** How its failed maps are worded (default: QEMU 10, the legacy container). */
  readonly reports?: QemuMapReports;
}

export class QemuVm {
  private readonly bql: SerialResource | GapFillingLock;
  private readonly lane: number;
  private readonly trapKind: number;
  private readonly vfioFailKind: number;
  /** Defined on the first refusal, so runs without one keep their timeline definitions. */
  private whyKind: number | undefined;
  private readonly exitNs: number;
  /** The VM's name (its QEMU log lane is log.qemu.<name>). */
  readonly name: string;
  exits = 0;
  trapBusyNs = 0;
  vfioMapCalls = 0;
  vfioUnmapCalls = 0;
  vfioMapFailures = 0;
  /** errno name -> failures, from the VFIO listener (logged, not reported to the guest). */
  readonly vfioErrors = new Map<string, number>();
  /** Timeline event of the last VFIO failure, for cause chains. */
  lastVfioFailure = -1;
  /** QEMU's text for the last failed map ("vfio_container_dma_map(...) = -12 (Cannot allocate memory)"), or null. */
  lastVfioFailureText: string | null = null;
  /**
   * What QEMU does with a failed map's error, by caller: 'report' at run time (vfio_iommu_map_notify
   * error_reports each one), 'collect' while the listener replays guest RAM at container setup
   * (vfio_listener_region_add error_setg's it; QEMU prints the first when setup fails), 'silent' in
   * virtio-mem's vfio_ram_discard_notify_populate (it rolls back and returns the error, printing nothing).
   */
  mapErrors: 'report' | 'collect' | 'silent' = 'report';
  /** The first map error during setup: the one QEMU keeps (bcontainer->error is set once) and prints. */
  setupFailureText: string | null = null;
  /** Device BAR (ram_device) maps that failed: warned about, not fatal. */
  barMapFailures = 0;
  /** Bytes of device BARs mapped into containers. */
  barBytesMapped = 0;
  /** errno of the last failed BAR map (positive, as the kernel returned it negated), 0 when none failed. */
  barMapErrno = 0;

  private readonly reports: QemuMapReports;

  constructor(
    private readonly costs: CostTable,
    private readonly timeline: TimelineRecorder,
    options: QemuVmOptions,
  ) {
    this.name = options.name;
    this.reports = options.reports ?? LATEST_REPORTS;
    this.bql = options.clock === undefined ? new SerialResource(`${options.name}.bql`) : new GapFillingLock(options.clock);
    this.exitNs = options.nested ? costs.vmExitNs * costs.nestedExitFactor : costs.vmExitNs;
    this.lane = timeline.defineLane(`qemu.${options.name}`, 'qemu');
    this.trapKind = timeline.defineKind({
      name: 'qemu.trap',
      args: [
        { name: 'what', format: 'str' },
        { name: 'vfioMaps', format: 'int' },
        { name: 'vfioUnmaps', format: 'int' },
      ],
    });
    this.vfioFailKind = timeline.defineKind({
      name: 'vfio.map.failed',
      args: [
        { name: 'errno', format: 'errno' },
        { name: 'iova', format: 'hex' },
        { name: 'entries', format: 'int' },
      ],
      failure: true,
    });
  }

  /**
   * A trap from the vCPU running `call`: exit, wait for and hold the big QEMU lock while
   * `handler.serve(a, b)` runs, re-enter. Advances call.t and records the trap (its cause is the
   * call's current cause; the call's cause becomes the trap). With `guestLock` the vCPU holds a
   * guest spinlock across the whole trap, exit and re-entry included (virtio-iommu's request_lock,
   * taken in viommu_sync_req around __viommu_sync_req's kick and wait): it first waits for that lock,
   * so traps under it are serialized end to end, not only for the part QEMU spends under its lock.
   */
  trap(call: DmaCall, what: number, handler: TrapHandler, a: number, b: number, guestLock?: TrapGuestLock): void {
    const mapsBefore = this.vfioMapCalls;
    const unmapsBefore = this.vfioUnmapCalls;
    const workNs = this.costs.qemuInvalidationNs + handler.serve(a, b);
    const holdNs = this.exitNs + workNs;
    if (guestLock !== undefined) call.t = (guestLock.acquire(call.t as SimTimeNs, holdNs) as number) - holdNs;
    const arrive = call.t + this.exitNs / 2;
    const done = this.bql.acquire(arrive as SimTimeNs, workNs) as number;
    // Waiting for the big lock (another of this VM's traps outside the guest lock) holds the guest
    // lock longer: the extra stretch is asked for right after the reserved one.
    if (guestLock !== undefined && done > arrive + workNs) {
      guestLock.acquire((call.t + holdNs) as SimTimeNs, done - (arrive + workNs));
    }
    this.exits++;
    this.trapBusyNs += workNs;
    const start = done - workNs;
    call.cause = this.timeline.record(
      start as SimTimeNs,
      workNs as DurationNs,
      this.lane,
      this.trapKind,
      what,
      this.vfioMapCalls - mapsBefore,
      this.vfioUnmapCalls - unmapsBefore,
      call.cause,
    );
    call.t = done + this.exitNs / 2;
  }

  /** Interns a trap description once (e.g. "rpcit", "iotlb-psi"); pass the number to trap(). */
  trapName(name: string): number {
    return this.timeline.internString(name);
  }

  /** vfio_container_dma_map for guest RAM at `gpa`; returns the ioctl's cost in ns (errors are logged). */
  vfioMap(container: VfioContainerApi, iova: number, gpa: number, size: number, readonly: boolean, tNs: number, cause: number): number {
    this.vfioMapCalls++;
    const flags = VFIO_DMA_MAP_FLAG_READ | (readonly ? 0 : VFIO_DMA_MAP_FLAG_WRITE);
    const err = container.mapDma(iova, GUEST_RAM_HVA_BASE + gpa, size, flags);
    if (err !== 0) {
      this.recordMapFailure(container, err, iova, tNs, cause);
      this.lastVfioFailureText = qemuDmaMapError(iova, size, GUEST_RAM_HVA_BASE + gpa, err, this.reports.atLeast9);
      // The backend prints its own line at once, whoever called (even a virtio-mem populate that rolls back silently).
      const backend = this.printBackendLine(err, tNs);
      if (this.mapErrors === 'collect') this.setupFailureText ??= this.lastVfioFailureText;
      else if (this.mapErrors === 'report') recordLogLine(this.timeline, { qemu: this.name }, tNs, this.lastVfioFailureText, backend);
    }
    return container.lastCostNs;
  }

  /**
   * vfio_listener_region_add for a ram_device section: `device`'s BAR, mmapped at `vaddr`, mapped at
   * IOVA `iova` (its guest physical address) for peer-to-peer DMA. A failure is printed (the
   * backend's line first, then the listener's) and QEMU carries on; returns the ioctl's cost in ns.
   */
  vfioMapRamDevice(
    container: VfioContainerApi,
    device: string,
    iova: number,
    vaddr: number,
    size: number,
    tNs: number,
    cause: number,
  ): number {
    this.vfioMapCalls++;
    const err = container.mapDma(iova, vaddr, size, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
    if (err === 0) {
      this.barBytesMapped += size;
      return container.lastCostNs;
    }
    this.barMapFailures++;
    this.barMapErrno = err;
    this.recordMapFailure(container, err, iova, tNs, cause);
    this.lastVfioFailureText = qemuDmaMapError(iova, size, vaddr, err, this.reports.atLeast9);
    let printed = this.printBackendLine(err, tNs);
    for (const line of qemuRamDeviceMapFailed(device, iova, size, vaddr, err, this.reports.atLeast10, this.reports.atLeast9))
      printed = recordLogLine(this.timeline, { qemu: this.name }, tNs, line, printed);
    return container.lastCostNs;
  }

  /** The backend's own line for a failed map (qemuBackendMapFailed), caused by the failure; returns what the next line hangs on. */
  private printBackendLine(err: number, tNs: number): number {
    const line = qemuBackendMapFailed(err, this.reports.backend, this.reports);
    return line === null ? this.lastVfioFailure : recordLogLine(this.timeline, { qemu: this.name }, tNs, line, this.lastVfioFailure);
  }

  /** A refused map on the timeline: the kernel's line, the check that refused it, the failure (lastVfioFailure). */
  private recordMapFailure(container: VfioContainerApi, err: number, iova: number, tNs: number, cause: number): void {
    this.vfioMapFailures++;
    const name = linuxErrnoName(err) ?? 'E?';
    this.vfioErrors.set(name, (this.vfioErrors.get(name) ?? 0) + 1);
    // The kernel's own line first (dmesg), then the failure QEMU sees, then what QEMU prints.
    const kernelLog = container.lastKernelLog ?? null;
    let below = kernelLog === null ? cause : recordLogLine(this.timeline, 'kernel', tNs, kernelLog, cause);
    // The check that refused it (the limit reached), as the failure's cause.
    const why = container.lastWhy ?? null;
    if (why !== null) {
      this.whyKind ??= this.timeline.defineKind({ name: 'vfio.map.refused', args: [{ name: 'why', format: 'str' }] });
      below = this.timeline.record(tNs as SimTimeNs, 0, this.lane, this.whyKind, this.timeline.internString(why), 0, 0, below);
    }
    this.lastVfioFailure = this.timeline.record(
      tNs as SimTimeNs,
      0,
      this.lane,
      this.vfioFailKind,
      this.timeline.internString(name),
      iova,
      container.entries,
      below,
    );
  }

  /**
   * `count` vfio_container_dma_map calls of one page each, back to back: page j maps IOVA
   * iova + j * 4 KiB to guest RAM at gpa + j * 4 KiB (QEMU's shadowing of consecutive translations).
   * Each call's cost is added to `workNs` in call order and the total returned; the container maps
   * leading stretches that cannot fail in one go (mapDmaRun), and every call that may fail goes
   * through vfioMap, which logs a failure and tells `listener`.
   */
  vfioMapRun(
    container: VfioContainerApi,
    iova: number,
    gpa: number,
    count: number,
    readonly: boolean,
    tNs: number,
    cause: number,
    workNs: number,
    listener: VfioMapRunListener,
  ): number {
    const flags = VFIO_DMA_MAP_FLAG_READ | (readonly ? 0 : VFIO_DMA_MAP_FLAG_WRITE);
    let total = workNs;
    let j = 0;
    while (j < count) {
      const n = container.mapDmaRun(iova + j * PAGE_SIZE, GUEST_RAM_HVA_BASE + gpa + j * PAGE_SIZE, count - j, flags);
      if (n > 0) {
        const perCall = container.lastCostNs;
        for (let k = 0; k < n; k++) total += perCall;
        this.vfioMapCalls += n;
        j += n;
        if (j === count) break;
      }
      const failuresBefore = this.vfioMapFailures;
      total += this.vfioMap(container, iova + j * PAGE_SIZE, gpa + j * PAGE_SIZE, PAGE_SIZE, readonly, tNs, cause);
      if (this.vfioMapFailures !== failuresBefore) listener.vfioMapFailed(j);
      j++;
    }
    return total;
  }

  /**
   * `count` vfio_container_dma_unmap calls of one page each, back to back from `iova` (QEMU's
   * shadowing dropping consecutive 4 KiB translations). Each call's cost is added to `workNs` in
   * call order and the total returned; the container takes stretches of run entries in one go
   * (unmapDmaRun), anything else goes call by call through vfioUnmap.
   */
  vfioUnmapRun(container: VfioContainerApi, iova: number, count: number, workNs: number): number {
    let total = workNs;
    let j = 0;
    while (j < count) {
      const n = container.unmapDmaRun(iova + j * PAGE_SIZE, count - j);
      if (n > 0) {
        const perCall = container.lastCostNs;
        for (let k = 0; k < n; k++) total += perCall;
        this.vfioUnmapCalls += n;
        j += n;
        continue;
      }
      total += this.vfioUnmap(container, iova + j * PAGE_SIZE, PAGE_SIZE);
      j++;
    }
    return total;
  }

  /** vfio_container_dma_unmap; returns the ioctl's cost in ns. */
  vfioUnmap(container: VfioContainerApi, iova: number, size: number): number {
    this.vfioUnmapCalls++;
    container.unmapDma(iova, size, 0);
    return container.lastCostNs;
  }

  /**
   * Everything in the container goes (an address space dropped at reset or device removal): the
   * listener's region_del of a whole address space asks the container backend's dma_unmap with
   * unmap_all, one VFIO_IOMMU_UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_ALL (VFIO_UNMAP_ALL extension).
   * Returns the ioctl's cost.
   */
  vfioUnmapAll(container: VfioContainerApi): number {
    this.vfioUnmapCalls++;
    container.unmapDma(0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
    return container.lastCostNs;
  }
}
