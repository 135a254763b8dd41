// The fault "dma-to-unmapped" (docs/model.md#faults): a device issues a DMA to the address its
// guest last unmapped for it, as a buggy or malicious device (or a driver race) would. What it
// reaches depends on the guest's DMA mode, which is the security price of lazy flushing (reference
// 000/003 and staleIotlbWindowUsP99): the freed buffer while the unmap waits in a flush queue;
// another buffer once the address is handed out again; nothing (an IOMMU fault) once flushed; any
// guest RAM without a vIOMMU. An IOMMU fault on PowerPC freezes the device's PE (EEH), through the
// stack's dmaFaultListener when EEH is wired in.
// Must not: decide the outcome (the device's DMA layer knows its flush state).

import type { DurationNs } from '../sim/simTime';
import type { StaleDmaOutcome } from '../model/guestDma/guestDmaOps';
import type { FaultHandlers } from './faultTypes';

const OUTCOME: Record<StaleDmaOutcome, { readonly metric: string; readonly event: string }> = {
  stale: { metric: 'dma.staleAccesses', event: 'dma.access.stale' },
  remapped: { metric: 'dma.remappedAccesses', event: 'dma.access.remapped' },
  fault: { metric: 'iommu.faults', event: 'iommu.translate.fault' },
  unprotected: { metric: 'dma.unprotectedAccesses', event: 'dma.access.unprotected' },
};

export const DMA_FAULT_HANDLERS: Pick<Required<FaultHandlers>, 'dma-to-unmapped'> = {
  'dma-to-unmapped': (ctx, fault, cause) => {
    const { sim } = ctx;
    const stack = ctx.stack();
    const found = stack.device(fault.device);
    if (found === undefined) throw new Error(`no device ${fault.device} (the scenario should have been rejected)`);
    const { device } = found;
    const lane = sim.timeline.defineLane(`device.${fault.device}`, 'device');
    const probe = device.lifecycle.state === 'offline' && device.lifecycle.removed ? null : device.dma.probeLastUnmap();
    if (probe === null) {
      const kind = sim.timeline.defineKind({ name: 'fault.dmaToUnmapped.skipped', args: [] });
      sim.timeline.record(sim.now, 0 as DurationNs, lane, kind, 0, 0, 0, cause);
      stack.countIncident('dma.toUnmappedWithoutTarget');
      return;
    }
    const effect = OUTCOME[probe.outcome];
    const kind = sim.timeline.defineKind({
      name: effect.event,
      args: [
        { name: 'dmaAddr', format: 'hex' },
        { name: 'sinceUnmapNs', format: 'ns' },
        { name: 'bufferOfEvent', format: 'int' },
      ],
      failure: true,
    });
    sim.timeline.record(sim.now, 0 as DurationNs, lane, kind, probe.dmaAddr, Math.max(0, sim.now - probe.unmappedAtNs), probe.cause, cause);
    stack.countIncident(effect.metric);
    if (probe.outcome === 'fault') stack.dmaFaultListener?.(device, cause);
  },
};
