// probe: every device's driver probe, at time 0 on vCPU 0 of its VM, against its guest DMA API,
// starting from the PCI defaults (32-bit streaming and coherent masks). The DMA part of each probe:
// - nvme (nvme_pci_enable, nvme_pci_configure_admin_queue): dma_set_mask_and_coherent, the admin
//   completion and submission queues (two 4 KiB coherent allocations), then one 4 KiB streaming
//   map/unmap (the identify command's buffer);
// - mlx5_core: the command page (alloc_cmd_page in mlx5_mdev_init -> mlx5_cmd_init) is a 4 KiB
//   coherent allocation; set_dma_caps (mlx5_pci_init) sets the masks. Drivers with the ordering bug
//   of reference 003 (setsMaskBeforeCoherentAlloc false) allocate first, with the 32-bit coherent
//   mask, which fails where no IOVA lies below 4 GiB (s390): probe error -12;
// - other kinds: set the masks, one 4 KiB coherent allocation.
// A failed step ends the probe: what it allocated is freed again (the driver's error path) and the
// probe returns the step's error (-ENOMEM for an allocation, -EIO for a refused mask), logged as
// really_probe does ("<driver>: probe of <dev> failed with error -12"). Each step is an OpResult;
// a final "probe.<dev>.dmesg" result carries the device's kernel messages.
// Must not: decide how an allocation is served (the DMA layer does).

import type { OpResult } from '../contract/runResult';
import type { Simulation } from '../sim/simulation';
import type { DurationNs, SimTimeNs } from '../sim/simTime';
import type { DeviceConfig } from '../scenario/schema';
import { DmaCall } from '../model/base/dmaCall';
import { EIO, ENOMEM, linuxErrnoName } from '../model/base/errno';
import type { GuestDmaOps } from '../model/guestDma/guestDmaOps';
import type { DmaDevice } from '../model/guestDma/iommuDma';
import type { VcpuSet } from '../model/guestDma/vcpuSet';
import { maxMetric, type MetricMap } from '../sim/metricSink';
import { guestRamRegions } from '../stack/stackBuilder';
import { dmaMaskSupported } from '../ops/dmaOps';
import type { WorkloadFactory } from './runnableWorkload';
import { PAGE_SIZE } from '../model/base/pages';

/** PCI default DMA masks before the driver sets its own (pci_setup_device: DMA_BIT_MASK(32)). */
const PCI_DEFAULT_MASK_BITS = 32;

/** The guest driver bound to each device kind (the names dmesg shows). */
export const PROBE_DRIVER: Record<DeviceConfig['kind'], string> = {
  nvme: 'nvme',
  'mlx5-vf': 'mlx5_core',
  ism: 'ism',
  gpu: 'gpu',
  'virtio-net-vdpa': 'virtio-pci',
  generic: 'generic',
};

export interface ProbeTarget {
  readonly config: Pick<DeviceConfig, 'name' | 'kind' | 'dmaMaskBits' | 'coherentDmaMaskBits' | 'setsMaskBeforeCoherentAlloc'>;
  readonly dev: DmaDevice;
  readonly dma: GuestDmaOps;
  readonly vcpus: VcpuSet;
  /** dma_supported for this device's DMA layer. */
  readonly maskSupported: (bits: number) => boolean;
  /** Guest-physical address of the pages the probe allocates. */
  readonly bufferGpa: number;
}

interface ProbeStep {
  readonly what: 'allocCoherent' | 'map';
  readonly dmaAddr: number;
}

export class ProbeWorkloadRunner {
  private readonly results: OpResult[] = [];
  private readonly call = new DmaCall(0);
  private readonly kindDma: number;
  private readonly kindDmaFailed: number;
  private readonly kindProbeFailed: number;
  devices = 0;
  failures = 0;
  /** The failed DMA API call that failed the probe (the probe failure's cause). */
  private lastFailedCall = -1;
  /** Widest "Using N-bit DMA addresses" N seen (0 when none was logged). */
  addressBits = 0;

  constructor(
    private readonly sim: Simulation,
    private readonly targets: readonly ProbeTarget[],
  ) {
    const tl = sim.timeline;
    const what = { name: 'call', format: 'str' } as const;
    this.kindDma = tl.defineKind({
      name: 'probe.dma',
      args: [what, { name: 'bytes', format: 'bytes' }, { name: 'dmaAddr', format: 'hex' }],
    });
    this.kindDmaFailed = tl.defineKind({
      name: 'probe.dma.failed',
      args: [what, { name: 'bytes', format: 'bytes' }, { name: 'errno', format: 'errno' }],
      failure: true,
    });
    this.kindProbeFailed = tl.defineKind({
      name: 'probe.device.failed',
      args: [
        { name: 'device', format: 'str' },
        { name: 'error', format: 'int' },
      ],
      failure: true,
    });
  }

  /** Probes every device in order; all at time 0, so devices of one VM queue on its vCPU 0. */
  start(): void {
    for (const target of this.targets) this.probe(target);
  }

  private push(op: string, errno: number, ret: unknown): void {
    this.results.push({ op, ok: errno === 0, errno: linuxErrnoName(errno), ret: errno === 0 ? ret : null });
  }

  /** The driver's mask setting: dma_set_mask_and_coherent when both widths agree, else one call each. */
  private setMasks(t: ProbeTarget): number {
    const prefix = `probe.${t.config.name}.dma`;
    const streaming = t.config.dmaMaskBits;
    const coherent = t.config.coherentDmaMaskBits ?? streaming;
    if (!t.maskSupported(streaming)) {
      this.push(`${prefix}.setMask`, EIO, null);
      return EIO;
    }
    t.dev.dmaMaskBits = streaming;
    if (coherent === streaming) t.dev.coherentMaskBits = coherent;
    this.push(`${prefix}.setMask`, 0, streaming);
    if (coherent === streaming) return 0;
    const errno = t.maskSupported(coherent) ? 0 : EIO;
    if (errno === 0) t.dev.coherentMaskBits = coherent;
    this.push(`${prefix}.setCoherentMask`, errno, coherent);
    return errno;
  }

  /** One DMA API call on vCPU 0 of the device's VM; returns its errno. */
  private dmaCall(t: ProbeTarget, what: ProbeStep['what'] | 'unmap', gpa: number, dmaAddr: number, done: ProbeStep[]): number {
    const lane = this.sim.timeline.defineLane(`${t.vcpus.vmName}.cpu0`, 'guest');
    const call = this.call.begin(t.vcpus.startAt(0, 0));
    const start = call.t;
    if (what === 'allocCoherent') t.dma.allocCoherent(call, t.dev, gpa, PAGE_SIZE);
    else if (what === 'map') t.dma.map(call, t.dev, gpa, PAGE_SIZE, true);
    else t.dma.unmap(call, dmaAddr, PAGE_SIZE);
    t.vcpus.occupy(0, start, call.t);
    const tl = this.sim.timeline;
    const whatStr = tl.internString(what);
    if (call.errno !== 0) {
      this.lastFailedCall = tl.record(
        start as SimTimeNs,
        (call.t - start) as DurationNs,
        lane,
        this.kindDmaFailed,
        whatStr,
        PAGE_SIZE,
        tl.internString(linuxErrnoName(call.errno)!),
        call.cause,
      );
      this.push(`probe.${t.config.name}.dma.${what}`, call.errno, null);
      return call.errno;
    }
    const addr = what === 'unmap' ? dmaAddr : call.dmaAddr;
    tl.record(start as SimTimeNs, (call.t - start) as DurationNs, lane, this.kindDma, whatStr, PAGE_SIZE, addr, call.cause);
    this.push(`probe.${t.config.name}.dma.${what}`, 0, what === 'unmap' ? null : addr);
    if (what !== 'unmap') done.push({ what, dmaAddr: call.dmaAddr });
    return 0;
  }

  /** The driver-specific sequence; returns 0 or the errno that failed the probe. */
  private sequence(t: ProbeTarget, done: ProbeStep[]): number {
    let page = 0;
    const alloc = () => this.dmaCall(t, 'allocCoherent', t.bufferGpa + PAGE_SIZE * page++, 0, done);
    switch (t.config.kind) {
      case 'nvme': {
        const err = this.setMasks(t) || alloc() || alloc() || this.dmaCall(t, 'map', t.bufferGpa + PAGE_SIZE * page++, 0, done);
        if (err !== 0) return err;
        const mapped = done.pop()!;
        return this.dmaCall(t, 'unmap', 0, mapped.dmaAddr, done);
      }
      case 'mlx5-vf':
        // mlx5_mdev_init -> mlx5_cmd_init -> alloc_cmd_page ran before set_dma_caps until the fix.
        return t.config.setsMaskBeforeCoherentAlloc ? this.setMasks(t) || alloc() : alloc() || this.setMasks(t);
      case 'ism':
      case 'gpu':
      case 'virtio-net-vdpa':
      case 'generic':
        return this.setMasks(t) || alloc();
      default: {
        const never: never = t.config.kind;
        throw new Error(`unknown device kind ${String(never)}`);
      }
    }
  }

  private probe(t: ProbeTarget): void {
    const name = t.config.name;
    const driver = PROBE_DRIVER[t.config.kind];
    t.dev.dmaMaskBits = PCI_DEFAULT_MASK_BITS;
    t.dev.coherentMaskBits = PCI_DEFAULT_MASK_BITS;
    this.devices++;
    const done: ProbeStep[] = [];
    const errno = this.sequence(t, done);
    if (errno === 0) this.push(`probe.${name}`, 0, 0);
    else {
      // The driver's error path frees what the probe had allocated (dma_free_coherent).
      for (const step of done.reverse()) this.dmaCall(t, 'unmap', 0, step.dmaAddr, []);
      if (t.config.kind === 'mlx5-vf' && errno === ENOMEM)
        t.dev.log.push(`${driver} ${name}: mlx5_mdev_init: Failed initializing cmdif SW structs, aborting`);
      t.dev.log.push(`${driver}: probe of ${name} failed with error -${errno}`);
      this.results.push({ op: `probe.${name}`, ok: false, errno: linuxErrnoName(errno), ret: -errno });
      const tl = this.sim.timeline;
      tl.record(
        t.vcpus.startAt(0, 0) as SimTimeNs,
        0,
        tl.defineLane(`${t.vcpus.vmName}.cpu0`, 'guest'),
        this.kindProbeFailed,
        tl.internString(name),
        -errno,
        0,
        this.lastFailedCall,
      );
      this.failures++;
    }
    this.results.push({ op: `probe.${name}.dmesg`, ok: true, errno: null, ret: [...t.dev.log] });
    this.addressBits = Math.max(this.addressBits, t.dev.dacBits);
  }

  opResults(): readonly OpResult[] {
    return this.results;
  }

  collectMetrics(into: MetricMap): void {
    into['probe.devices'] = this.devices;
    into['probe.failures'] = this.failures;
    maxMetric(into, 'dma.addressBits', this.addressBits);
  }
}

export const createProbeWorkload: WorkloadFactory = (sim, scenario, stack) => {
  const targets: ProbeTarget[] = [];
  for (const vm of stack.vms) {
    const ram = guestRamRegions(scenario, vm.config)[0]!;
    vm.devices.forEach((d, i) =>
      targets.push({
        config: d.config,
        dev: d.dev,
        dma: d.dma,
        vcpus: vm.vcpus,
        maskSupported: (bits) => dmaMaskSupported(d.dma, bits, scenario, vm.config),
        // Each device's probe pages: 64 KiB apart, above the first 16 MiB of guest RAM.
        bufferGpa: ram.gpa + 16 * 1024 * 1024 + i * 64 * 1024,
      }),
    );
  }
  const probe = new ProbeWorkloadRunner(sim, targets);
  return {
    start: () => probe.start(),
    collectMetrics: (into) => probe.collectMetrics(into),
    opResults: () => probe.opResults(),
  };
};
