// virtio-mem: QEMU's virtio-mem device hot-plugs plugBytes of guest memory at atMs and, if asked,
// unplugs it all at unplugAtMs. The guest driver sends one request at a time and waits for the
// answer; a request covers one Linux memory block (128 MiB on x86-64) or one device block when
// blocks are larger (virtio-mem's SBM/BBM), and each request is a trap into QEMU on vCPU 0.
// Without a vIOMMU, QEMU's RamDiscardListener shadows each plugged range into the VM's RAM
// container one block at a time (Q hw/vfio/listener.c vfio_ram_discard_notify_populate: one
// VFIO map per block, so 1 GiB at 2 MiB = 512 maps, reference 002); a failed map rolls the request
// back with one unmap over it and the guest gets VIRTIO_MEM_RESP_BUSY (virtio_mem_set_block_state),
// after which this workload stops plugging. An unplug request is one VFIO unmap over its range
// (vfio_ram_discard_notify_discard: "Unmap with a single call"). With a vIOMMU nothing is mapped at
// plug time: the guest maps through its IOMMU when it uses the memory.
// Must not: model VFIO (the container does) or QEMU's trap handling (QemuVm does).

import type { Simulation, SimComponent } from '../sim/simulation';
import { NO_CAUSE } from '../sim/timelineRecorder';
import { recordLogLine } from '../model/base/logLines';
import { type DurationNs, type SimTimeNs, msToNs } from '../sim/simTime';
import type { VirtioMemWorkload } from '../scenario/workloadSchemas';
import { DmaCall } from '../model/base/dmaCall';
import type { QemuVm, TrapHandler } from '../model/qemu/qemuVm';
import type { VcpuSet } from '../model/guestDma/vcpuSet';
import type { VfioContainerApi } from '../model/vfio/vfioContainerApi';
import type { MetricMap } from '../sim/metricSink';
import { guestRamRegions, type Stack } from '../stack/stackBuilder';
import type { WorkloadFactory } from './runnableWorkload';

const PLUG = 0;
const UNPLUG = 1;
const GiB = 2 ** 30;
/** Linux memory block size on x86-64 (memory_block_size_bytes, 128 MiB sections). */
export const LINUX_MEMORY_BLOCK_BYTES = 128 * 1024 * 1024;

export interface VirtioMemTarget {
  readonly qemu: QemuVm;
  /** The VM's RAM container (no vIOMMU); null with a vIOMMU: nothing is mapped at plug time. */
  readonly ramContainer: VfioContainerApi | null;
  readonly vcpus: VcpuSet;
  /** Guest-physical start of the device's memory region. */
  readonly regionGpa: number;
  /** The container's DMA_AVAIL when QEMU connected it (type1: dma_entry_limit; 0 when it reports none). */
  readonly dmaMaxMappings: number;
  /** KVM_CAP_NR_MEMSLOTS (kvm_get_max_memslots). */
  readonly maxMemslots: number;
}

/** KVM_USER_MEM_SLOTS by host architecture, what KVM_CAP_NR_MEMSLOTS reports (L arch/<arch>/include/asm/kvm_host.h). */
export const KVM_MAX_MEMSLOTS: Readonly<Record<string, number>> = { x86_64: 32764, s390x: 32, ppc64le: 512 };

export class VirtioMemWorkloadRunner implements SimComponent {
  private readonly handler: number;
  private readonly call = new DmaCall(0);
  private readonly lane: number;
  private readonly kindPlug: number;
  private readonly kindPlugFailed: number;
  private readonly kindUnplug: number;
  private readonly plugTrap: number;
  private readonly unplugTrap: number;
  private readonly requestBytes: number;
  private readonly requests: number;
  private readonly plugHandler: TrapHandler;
  private readonly unplugHandler: TrapHandler;
  private readonly atNs: number;
  /** Requests plugged so far (always a prefix of the region). */
  pluggedRequests = 0;
  blocksPlugged = 0;
  blocksUnplugged = 0;
  vfioMaps = 0;
  vfioUnmaps = 0;
  plugFailures = 0;
  private plugging = false;
  private unplugWaiting = false;
  private plugEndNs = -1;
  private unplugStartNs = -1;
  private unplugEndNs = -1;
  private requestFailed = false;
  /** errno name of the VFIO map that failed the last plug request. */
  private failedErrno = 'EBUSY';

  constructor(
    private readonly sim: Simulation,
    private readonly config: VirtioMemWorkload,
    private readonly target: VirtioMemTarget,
  ) {
    this.handler = sim.register(this);
    const tl = sim.timeline;
    this.lane = tl.defineLane(`virtio-mem.${target.vcpus.vmName}`, 'qemu');
    const bytes = { name: 'bytes', format: 'bytes' } as const;
    const gpa = { name: 'gpa', format: 'hex' } as const;
    const vfio = { name: 'vfioCalls', format: 'int' } as const;
    this.kindPlug = tl.defineKind({ name: 'virtio-mem.plug', args: [bytes, gpa, vfio] });
    this.kindPlugFailed = tl.defineKind({
      name: 'virtio-mem.plug.failed',
      args: [bytes, gpa, { name: 'errno', format: 'errno' }],
      failure: true,
    });
    this.kindUnplug = tl.defineKind({ name: 'virtio-mem.unplug', args: [bytes, gpa, vfio] });
    this.plugTrap = target.qemu.trapName('virtio-mem plug');
    this.unplugTrap = target.qemu.trapName('virtio-mem unplug');
    this.requestBytes = Math.max(config.blockSizeBytes, LINUX_MEMORY_BLOCK_BYTES);
    this.requests = Math.ceil(config.plugBytes / this.requestBytes);
    this.plugHandler = { serve: (k) => this.servePlug(k) };
    this.unplugHandler = { serve: (k) => this.serveUnplug(k) };
    this.atNs = msToNs(config.atMs);
    sim.counters.define('virtioMem.pluggedBytes', 'bytes', () => (this.blocksPlugged - this.blocksUnplugged) * config.blockSizeBytes);
  }

  start(): void {
    this.warnAtRegistration();
    this.sim.scheduleAt(this.atNs as SimTimeNs, this.handler, PLUG, 0);
    if (this.config.unplugAtMs !== null)
      this.sim.scheduleAt(msToNs(this.config.unplugAtMs) as number as SimTimeNs, this.handler, UNPLUG, -1);
  }

  /**
   * Q hw/vfio/listener.c vfio_register_ram_discard_listener: with the device's region registered,
   * QEMU compares the blocks it could map plus the memslots that could also take a mapping each
   * (vrdl_mappings + max_memslots - vrdl_count) with the container's DMA_AVAIL and warns
   * (warn_report, the text as QEMU 6.1 to 10.0 print it, "devies" included). The region is the
   * plugged size here (one virtio-mem device, vrdl_count 1).
   */
  private warnAtRegistration(): void {
    const { ramContainer, dmaMaxMappings, maxMemslots, qemu } = this.target;
    if (ramContainer === null || dmaMaxMappings === 0) return;
    const vrdlMappings = Math.ceil(this.config.plugBytes / this.config.blockSizeBytes);
    if (vrdlMappings + maxMemslots - 1 <= dmaMaxMappings) return;
    recordLogLine(
      this.sim.timeline,
      { qemu: qemu.name },
      this.sim.now,
      `warning: vfio_register_ram_discard_listener: possibly running out of DMA mappings. E.g., try increasing the 'block-size' of virtio-mem devies. Maximum possible DMA mappings: ${dmaMaxMappings}, Maximum possible memslots: ${maxMemslots}`,
      NO_CAUSE,
    );
  }

  /** Guest-physical range of request k. */
  private requestGpa(k: number): number {
    return this.target.regionGpa + k * this.requestBytes;
  }

  private requestSize(k: number): number {
    return Math.min(this.requestBytes, this.config.plugBytes - k * this.requestBytes);
  }

  handleEvent(kind: number, k: number): void {
    if (kind === PLUG) this.plug(k);
    else if (k < 0 && this.plugging) this.unplugWaiting = true;
    else this.unplug(k < 0 ? this.pluggedRequests - 1 : k);
  }

  private plug(k: number): void {
    const { qemu, vcpus } = this.target;
    this.plugging = true;
    const call = this.call.begin(vcpus.startAt(0, this.sim.now));
    const start = call.t;
    const mapsBefore = this.vfioMaps;
    this.requestFailed = false;
    qemu.trap(call, this.plugTrap, this.plugHandler, k, 0);
    const tl = this.sim.timeline;
    const bytes = this.requestSize(k);
    if (this.requestFailed) {
      const errno = tl.internString(this.failedErrno);
      tl.record(
        start as SimTimeNs,
        (call.t - start) as DurationNs,
        this.lane,
        this.kindPlugFailed,
        bytes,
        this.requestGpa(k),
        errno,
        qemu.lastVfioFailure,
      );
      this.plugFailures++;
      this.finishPlugging(call.t);
      return;
    }
    tl.record(
      start as SimTimeNs,
      (call.t - start) as DurationNs,
      this.lane,
      this.kindPlug,
      bytes,
      this.requestGpa(k),
      this.vfioMaps - mapsBefore,
      call.cause,
    );
    this.pluggedRequests++;
    this.blocksPlugged += bytes / this.config.blockSizeBytes;
    this.plugEndNs = call.t;
    if (k + 1 < this.requests) this.sim.scheduleAt(Math.ceil(call.t) as SimTimeNs, this.handler, PLUG, k + 1);
    else this.finishPlugging(call.t);
  }

  private finishPlugging(t: number): void {
    this.plugging = false;
    if (this.unplugWaiting) {
      this.unplugWaiting = false;
      this.sim.scheduleAt(Math.ceil(t) as SimTimeNs, this.handler, UNPLUG, this.pluggedRequests - 1);
    }
  }

  /** Unplugs request k, highest first (Linux unplugs from the top), down to the first. */
  private unplug(k: number): void {
    if (k < 0) return;
    const { qemu, vcpus } = this.target;
    const call = this.call.begin(vcpus.startAt(0, this.sim.now));
    const start = call.t;
    if (this.unplugStartNs < 0) this.unplugStartNs = start;
    const unmapsBefore = this.vfioUnmaps;
    qemu.trap(call, this.unplugTrap, this.unplugHandler, k, 0);
    const bytes = this.requestSize(k);
    this.sim.timeline.record(
      start as SimTimeNs,
      (call.t - start) as DurationNs,
      this.lane,
      this.kindUnplug,
      bytes,
      this.requestGpa(k),
      this.vfioUnmaps - unmapsBefore,
      call.cause,
    );
    this.pluggedRequests--;
    this.blocksUnplugged += bytes / this.config.blockSizeBytes;
    this.unplugEndNs = call.t;
    if (k > 0) this.sim.scheduleAt(Math.ceil(call.t) as SimTimeNs, this.handler, UNPLUG, k - 1);
  }

  /** QEMU side of a plug request: one VFIO map per block; on failure one unmap over the request. */
  private servePlug(k: number): number {
    const container = this.target.ramContainer;
    if (container === null) return 0;
    const qemu = this.target.qemu;
    const block = this.config.blockSizeBytes;
    const gpa = this.requestGpa(k);
    const size = this.requestSize(k);
    let costNs = 0;
    const errorsBefore = new Map(qemu.vfioErrors);
    // vfio_ram_discard_notify_populate prints nothing on a failed map: it rolls back and returns.
    qemu.mapErrors = 'silent';
    for (let off = 0; off < size; off += block) {
      const failuresBefore = qemu.vfioMapFailures;
      this.vfioMaps++;
      costNs += qemu.vfioMap(container, gpa + off, gpa + off, block, false, this.call.t, this.call.cause);
      if (qemu.vfioMapFailures !== failuresBefore) {
        // vfio_ram_discard_notify_populate: "Rollback" = discard the whole section, one unmap.
        this.vfioUnmaps++;
        costNs += qemu.vfioUnmap(container, gpa, size);
        this.requestFailed = true;
        this.failedErrno = [...qemu.vfioErrors].find(([name, n]) => n !== (errorsBefore.get(name) ?? 0))?.[0] ?? 'EBUSY';
        break;
      }
    }
    qemu.mapErrors = 'report';
    return costNs;
  }

  private serveUnplug(k: number): number {
    const container = this.target.ramContainer;
    if (container === null) return 0;
    this.vfioUnmaps++;
    return this.target.qemu.vfioUnmap(container, this.requestGpa(k), this.requestSize(k));
  }

  collectMetrics(into: MetricMap): void {
    into['virtioMem.plugMs'] = this.plugEndNs < 0 ? 0 : (this.plugEndNs - this.atNs) / 1e6;
    into['virtioMem.unplugMs'] = this.unplugEndNs < 0 ? 0 : (this.unplugEndNs - this.unplugStartNs) / 1e6;
    into['virtioMem.blocksPlugged'] = this.blocksPlugged;
    into['virtioMem.blocksUnplugged'] = this.blocksUnplugged;
    into['virtioMem.vfioMaps'] = this.vfioMaps;
    into['virtioMem.vfioUnmaps'] = this.vfioUnmaps;
    into['virtioMem.plugFailures'] = this.plugFailures;
  }
}

/** QEMU's device-memory region: above the top of guest RAM, aligned to 1 GiB (pc_memory_init) and to the block. */
export function virtioMemRegionGpa(regions: readonly { gpa: number; bytes: number }[], blockSizeBytes: number): number {
  const top = regions[regions.length - 1]!;
  const align = Math.max(GiB, blockSizeBytes);
  return Math.ceil((top.gpa + top.bytes) / align) * align;
}

function vmOf(stack: Stack, name: string | undefined): Stack['vms'][number] {
  const vm = name === undefined ? stack.vms[0] : stack.vms.find((v) => v.config.name === name);
  if (vm === undefined) throw new Error(`no VM ${name ?? '(first)'} (the scenario should have been rejected)`);
  return vm;
}

export const createVirtioMemWorkload: WorkloadFactory = (sim, scenario, stack) => {
  const workload = scenario.workload;
  if (workload.kind !== 'virtio-mem') throw new Error('createVirtioMemWorkload needs a virtio-mem workload');
  const vm = vmOf(stack, workload.vm);
  if (vm.qemu === null) throw new Error('virtio-mem needs QEMU (the scenario should have been rejected)');
  const ramContainer = vm.config.viommu.model === 'none' ? (vm.devices[0]?.container ?? null) : null;
  const runner = new VirtioMemWorkloadRunner(sim, workload, {
    qemu: vm.qemu,
    ramContainer,
    vcpus: vm.vcpus,
    regionGpa: workload.regionGpa ?? virtioMemRegionGpa(guestRamRegions(scenario, vm.config), workload.blockSizeBytes),
    // Only type1 answers VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL (iommufd's compat layer has no entry limit).
    dmaMaxMappings: scenario.host.vfio.backend.startsWith('type1') ? scenario.host.vfio.dmaEntryLimit : 0,
    maxMemslots: KVM_MAX_MEMSLOTS[scenario.host.arch] ?? 512,
  });
  return {
    start: () => runner.start(),
    collectMetrics: (into) => runner.collectMetrics(into),
    opResults: () => [],
  };
};
