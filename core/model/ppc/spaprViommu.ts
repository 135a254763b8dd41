// The sPAPR TCE vIOMMU front-end for one passed-through device of a pseries guest: the VM's sPAPR
// machine (its guest PHBs, hypercall and RTAS handlers and host side; one per VM, shared through the
// run's environment) and the device's pseries DMA layer, which replaces dma-iommu. At probe the driver
// sets its scenario DMA mask: above 32 bits the guest sets up a DDW (enable_ddw), boot-time work
// reported as ddw.setupMs and a "DDW setup" span. Layers built again for a device (guest reset,
// re-plug) probe lazily on their first call; a reset of every device of a PHB resets the PHB.
// Must not: run workloads or pick dma-iommu modes (the pseries layer is always strict).

import type { MetricMap } from '../../sim/metricSink';
import type { DurationNs, SimTimeNs } from '../../sim/simTime';
import { DmaCall } from '../base/dmaCall';
import type { ViommuContext } from '../viommu/viommuContext';
import type { ViommuFrontEnd } from '../viommu/viommuFrontEnd';
import { PseriesIommu } from './guest/pseriesIommu';
import { SpaprMachine, spaprPlacementOf } from './spaprMachine';

export class SpaprViommu implements ViommuFrontEnd {
  readonly driver = null;

  constructor(
    readonly machine: SpaprMachine,
    readonly dmaOps: PseriesIommu,
  ) {}

  /** The machine's metrics once per run (by its reporter); the device's own come through its DMA layer. */
  collectMetrics(into: MetricMap): void {
    if (this.machine.reporter === this) this.machine.reportMetrics(into);
  }

  checkInvariants(): string[] {
    return this.machine.reporter === this ? this.machine.checkInvariants() : [];
  }
}

/** The environment key of a VM's sPAPR machine. */
export function spaprMachineKey(vmName: string): string {
  return `spaprGuest:${vmName}`;
}

export function createSpaprViommu(ctx: ViommuContext): SpaprViommu {
  const { env, qemu } = ctx;
  if (env === undefined || qemu === null) throw new Error('the sPAPR vIOMMU needs the VM’s QEMU and the run’s host environment');
  let created = false;
  const machine = env.instance(spaprMachineKey(ctx.vm.name), () => {
    created = true;
    return new SpaprMachine({ costs: ctx.costs, timeline: ctx.timeline, scenario: ctx.scenario, vm: ctx.vm, qemu, env, clock: ctx.sim });
  });
  const pe = spaprPlacementOf(ctx.scenario, ctx.device).guestPe;
  const rebuilt = machine.hasLayer(ctx.device.name);
  if (rebuilt) machine.layerRebuilt(pe, ctx.sim.now);
  const layer = new PseriesIommu(ctx.device.name, pe, machine, ctx.sim, ctx.costs);
  machine.addLayer(ctx.device.name);
  const fe = new SpaprViommu(machine, layer);
  if (created || ctx.device.name === ctx.vm.devices[0]?.name) machine.reporter = fe;
  if (!rebuilt) probeAtBoot(ctx, machine, layer);
  return fe;
}

/** The driver's dma_set_mask at probe, before any workload: a DDW setup is timed but queues on nothing. */
function probeAtBoot(ctx: ViommuContext, machine: SpaprMachine, layer: PseriesIommu): void {
  const kernel = machine.kernel;
  const before = kernel.ddwSetupNs;
  const hcallsBefore = kernel.ddwSetupHcalls;
  const call = new DmaCall(0).begin(ctx.sim.now);
  layer.probe(call, ctx.device.dmaMaskBits, true);
  const ns = kernel.ddwSetupNs - before;
  if (ns === 0) return;
  const tl = ctx.timeline;
  const kind = tl.defineKind({
    name: 'ddw.setup',
    args: [
      { name: 'device', format: 'str' },
      { name: 'hypercalls', format: 'int' },
      { name: 'directBytes', format: 'bytes' },
    ],
  });
  tl.record(
    ctx.sim.now as SimTimeNs,
    ns as DurationNs,
    machine.lane,
    kind,
    tl.internString(ctx.device.name),
    kernel.ddwSetupHcalls - hcallsBefore,
    kernel.directMappedBytes,
    call.cause,
  );
}
