// Where each device sits for EEH: its host PE (devices[].hostPe; a device without one gets a PE of its
// own, numbered after the highest explicit number of the scenario, in device order) and its guest PE
// (devices[].guestPe, the guest-visible PHB; default 0: QEMU puts every device on the default PHB unless
// the command line adds spapr-pci-host-bridge devices, so by default one guest PE spans every host PE).
// Several host PEs may form one guest PE (reference 001); one host PE can never be split over two
// guest PEs or two VMs (it is one IOMMU group).
// Must not: build any model object.

import type { DeviceConfig, Scenario, VmConfig } from '../../../scenario/schema';

/** The guest PE of a device that names none: QEMU's default PHB (spapr pci.0, index 0). */
export const DEFAULT_GUEST_PE = 0;

export interface EehHostPePlacement {
  readonly pe: number;
  readonly devices: readonly DeviceConfig[];
}

export interface EehGuestPePlacement {
  readonly pe: number;
  readonly hostPes: readonly number[];
}

export interface EehVmPlacement {
  readonly hostPes: readonly EehHostPePlacement[];
  readonly guestPes: readonly EehGuestPePlacement[];
}

/** Host PE number of every device of the scenario, by device name. */
export function eehHostPeNumbers(scenario: Scenario): Map<string, number> {
  const devices = scenario.vms.flatMap((vm) => vm.devices);
  let next = Math.max(-1, ...devices.map((d) => d.hostPe ?? -1)) + 1;
  const numbers = new Map<string, number>();
  for (const d of devices) numbers.set(d.name, d.hostPe ?? next++);
  return numbers;
}

/** The host PEs and guest PEs of one VM, both in ascending number order. */
export function eehPlacement(scenario: Scenario, vm: VmConfig): EehVmPlacement {
  const numbers = eehHostPeNumbers(scenario);
  const hostDevices = new Map<number, DeviceConfig[]>();
  const guestOf = new Map<number, number>();
  for (const d of vm.devices) {
    const pe = numbers.get(d.name)!;
    const list = hostDevices.get(pe);
    if (list === undefined) hostDevices.set(pe, [d]);
    else list.push(d);
    if (!guestOf.has(pe)) guestOf.set(pe, d.guestPe ?? DEFAULT_GUEST_PE);
  }
  const guestHosts = new Map<number, number[]>();
  for (const [hostPe, guestPe] of guestOf) {
    const list = guestHosts.get(guestPe);
    if (list === undefined) guestHosts.set(guestPe, [hostPe]);
    else list.push(hostPe);
  }
  const byNumber = (a: number, b: number) => a - b;
  return {
    hostPes: [...hostDevices.keys()].sort(byNumber).map((pe) => ({ pe, devices: hostDevices.get(pe)! })),
    guestPes: [...guestHosts.keys()].sort(byNumber).map((pe) => ({ pe, hostPes: guestHosts.get(pe)!.sort(byNumber) })),
  };
}

/** The VM owning host PE `pe`, if any. */
export function eehVmOfHostPe(scenario: Scenario, pe: number): VmConfig | undefined {
  const numbers = eehHostPeNumbers(scenario);
  return scenario.vms.find((vm) => vm.devices.some((d) => numbers.get(d.name) === pe));
}

/**
 * Placements that cannot exist, as `path: message` problems: a host PE (one IOMMU group) whose devices
 * sit in two VMs, or name two different guest PEs.
 */
export function eehPlacementProblems(scenario: Scenario): { path: string; message: string }[] {
  const numbers = eehHostPeNumbers(scenario);
  const owner = new Map<number, { vm: number; guestPe: number; device: string }>();
  const problems: { path: string; message: string }[] = [];
  scenario.vms.forEach((vm, i) =>
    vm.devices.forEach((d, j) => {
      const pe = numbers.get(d.name)!;
      const guestPe = d.guestPe ?? DEFAULT_GUEST_PE;
      const first = owner.get(pe);
      if (first === undefined) {
        owner.set(pe, { vm: i, guestPe, device: d.name });
        return;
      }
      if (first.vm !== i) {
        problems.push({ path: `vms.${i}.devices.${j}.hostPe`, message: `host PE ${pe} already belongs to ${first.device} in another VM` });
      } else if (first.guestPe !== guestPe) {
        problems.push({
          path: `vms.${i}.devices.${j}.guestPe`,
          message: `host PE ${pe} is one IOMMU group: ${d.name} must be in guest PE ${first.guestPe} like ${first.device}`,
        });
      }
    }),
  );
  return problems;
}
