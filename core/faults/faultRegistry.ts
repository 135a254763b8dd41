// How scheduled faults reach the simulated system: each kind has a handler that acts on the run's
// stack at the fault's time, and a check that the fault fits the scenario (architecture, device,
// VM), run when the scenario is validated.
// Must not: contain fault logic (each layer's *Faults.ts does).

import type { FaultKind, FaultSpec } from '../scenario/faultSchema';
import type { Scenario } from '../scenario/schema';
import type { FaultContext, FaultHandler, FaultHandlers } from './faultTypes';
import { DEVICE_FAULT_HANDLERS } from './deviceFaults';
import { DMA_FAULT_HANDLERS } from './dmaFaults';
import { HOST_FAULT_HANDLERS } from './hostFaults';
import { EEH_FAULT_HANDLERS, eehFaultProblem } from './eehFaults';
import { handleWindowChangeFault } from './windowChangeFaults';

export type { FaultContext, FaultHandler, FaultHandlers } from './faultTypes';

/** The handler of every fault kind (the type requires one per kind the schema offers). */
export const FAULT_HANDLERS: Required<FaultHandlers> = {
  ...DEVICE_FAULT_HANDLERS,
  ...DMA_FAULT_HANDLERS,
  ...HOST_FAULT_HANDLERS,
  ...EEH_FAULT_HANDLERS,
  'window-change': (ctx, fault, cause) => handleWindowChangeFault(ctx, fault, cause),
};

/** The architecture a fault kind needs, when it is not meaningful everywhere. */
const FAULT_ARCH: Partial<Record<FaultKind, Scenario['host']['arch']>> = {
  'eeh-freeze': 'ppc64le',
  'eeh-recovery-step-fails': 'ppc64le',
  'window-change': 'ppc64le',
  'rpcit-out-of-resource': 's390x',
};

/** Why this fault cannot apply to this scenario (wrong architecture, unknown device or VM), or null. */
export function faultScenarioProblem(scenario: Scenario, fault: FaultSpec): { field: string; message: string } | null {
  const arch = FAULT_ARCH[fault.kind];
  if (arch !== undefined && scenario.host.arch !== arch) {
    return { field: 'kind', message: `fault "${fault.kind}" needs host.arch ${arch}, not ${scenario.host.arch}` };
  }
  const devices = scenario.vms.flatMap((vm) => vm.devices.map((d) => d.name));
  if ('device' in fault && fault.device !== undefined && !devices.includes(fault.device)) {
    return { field: 'device', message: `no device named "${fault.device}"` };
  }
  const eeh = eehFaultProblem(scenario, fault);
  if (eeh !== null) return eeh;
  if (fault.kind === 'rpcit-out-of-resource') {
    const zpci = scenario.vms.filter((vm) => vm.viommu.model === 's390-zpci');
    const target = fault.device === undefined ? zpci.length > 0 : zpci.some((vm) => vm.devices.some((d) => d.name === fault.device));
    if (!target) return { field: fault.device === undefined ? 'kind' : 'device', message: 'needs a device behind the s390-zpci vIOMMU' };
  }
  if (fault.kind === 'guest-reset' && fault.vm !== undefined && !scenario.vms.some((vm) => vm.name === fault.vm)) {
    return { field: 'vm', message: `no VM named "${fault.vm}"` };
  }
  return null;
}

export function runFault(ctx: FaultContext, fault: FaultSpec, cause: number): void {
  const handler = FAULT_HANDLERS[fault.kind] as FaultHandler;
  handler(ctx, fault, cause);
}
