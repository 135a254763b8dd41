// Connects a PowerPC VM's EEH layer to its devices on the stack: a host PE that stops DMA pauses the
// devices in it (no IO starts; IOs on them wait and are issued again after recovery); they run
// again when the guest's recovery of their PE ends with the drivers resumed (eeh_handle_normal_event:
// the drivers keep their queues stopped from error_detected to resume), or, when no recovery runs,
// as soon as their PE does DMA again; a guest PE whose recovery failed permanently fails them for good
// (the guest removes the devices, their IOs end with EIO). An IOMMU fault of a device's DMA (dma-to-unmapped) freezes
// its PE, as the PHB does on an IOMMU translation error.
// Must not: decide EEH states (the EEH layer does) or run IOs (workloads do).

import type { EehSystem } from '../model/ppc/eeh/eehSystem';
import type { HostPe } from '../model/ppc/eeh/hostPe';
import type { Simulation } from '../sim/simulation';
import type { SimTimeNs } from '../sim/simTime';
import type { DeviceLifecycle } from '../model/device/deviceLifecycle';

// The stack as this file uses it (structural, so the stack builder can import this file).
interface WiredDevice {
  readonly config: { readonly name: string };
  readonly lifecycle: DeviceLifecycle;
}
interface WiredVm {
  readonly devices: readonly WiredDevice[];
}
interface WiredStack<D extends WiredDevice> {
  dmaFaultListener: ((device: D, cause: number) => void) | null;
}

function followPe(vm: WiredVm, eeh: EehSystem, pe: HostPe, tNs: number, sim: Simulation): void {
  const gpe = eeh.guestPeOfHostPe(pe);
  const recovering = gpe.recovering;
  for (const name of pe.devices) {
    const life = vm.devices.find((d) => d.config.name === name)?.lifecycle;
    if (life === undefined) continue;
    // The guest gave up on the PE (recover_failed) and removed its devices; the host PE stays frozen.
    if (gpe.removed) {
      if (!life.removed) life.fail();
    } else if (!pe.dmaEnabled) {
      life.pause();
    } else if (!recovering && life.state === 'offline' && !life.removed) {
      life.bringOnlineAt(Math.max(tNs, sim.now) as SimTimeNs);
    }
  }
}

export function wireEeh<D extends WiredDevice>(sim: Simulation, stack: WiredStack<D>, vm: WiredVm, eeh: EehSystem): void {
  eeh.onHostPeState((pe, t) => followPe(vm, eeh, pe, t, sim));
  eeh.recovery.onFinished((gpe, _outcome, t) => {
    for (const pe of gpe.hostPes) followPe(vm, eeh, pe, t, sim);
  });
  const previous = stack.dmaFaultListener;
  stack.dmaFaultListener = (device: D, cause: number) => {
    const pe = eeh.hostPeOfDevice(device.config.name);
    if (pe === undefined) {
      previous?.(device, cause);
      return;
    }
    eeh.freeze(pe.number, sim.now, cause);
  };
}
