// The EEH faults (docs/model.md#faults): 'eeh-freeze' {pe} freezes a host PE at the fault's time
// (an error event with a new serial, caused by the injection); 'eeh-recovery-step-fails' {pe, step}
// makes that step fail the next time it reaches the host PE. Both act on the owning VM's EEH layer,
// found in the run's environment under `eeh:<vm>` (created on first use with the run's simulation
// and the VM's QEMU).
// Must not: contain EEH logic (eehSystem.ts and the files it assembles do).

import type { FaultHandlers } from './faultTypes';
import type { FaultSpec } from '../scenario/faultSchema';
import type { Scenario } from '../scenario/schema';
import { eehPlacementProblems, eehVmOfHostPe } from '../model/ppc/eeh/eehPlacement';
import { eehSystemFor } from '../model/ppc/eeh/eehSystem';

export const EEH_FAULT_HANDLERS: Pick<Required<FaultHandlers>, 'eeh-freeze' | 'eeh-recovery-step-fails'> = {
  'eeh-freeze': (ctx, fault, cause) => {
    const vm = eehVmOfHostPe(ctx.scenario, fault.pe);
    if (vm === undefined) throw new Error(`no host PE ${fault.pe} (the scenario should have been rejected)`);
    const stack = ctx.stack();
    const qemu = stack.vms.find((v) => v.config.name === vm.name)?.qemu ?? null;
    eehSystemFor(stack.env, vm, ctx.sim, qemu).freeze(fault.pe, ctx.sim.now, cause);
  },
  'eeh-recovery-step-fails': (ctx, fault) => {
    const vm = eehVmOfHostPe(ctx.scenario, fault.pe);
    if (vm === undefined) throw new Error(`no host PE ${fault.pe} (the scenario should have been rejected)`);
    const stack = ctx.stack();
    const qemu = stack.vms.find((v) => v.config.name === vm.name)?.qemu ?? null;
    const eeh = eehSystemFor(stack.env, vm, ctx.sim, qemu);
    eeh.advanceTo(ctx.sim.now);
    eeh.armStepFailure(fault.pe, fault.step);
  },
};

/**
 * Why an EEH fault cannot apply to the scenario (for faultScenarioProblem): the host PE it names
 * belongs to no device. Placement problems of the devices themselves come from eehPlacementProblems.
 */
export function eehFaultProblem(scenario: Scenario, fault: FaultSpec): { field: string; message: string } | null {
  if (fault.kind !== 'eeh-freeze' && fault.kind !== 'eeh-recovery-step-fails') return null;
  if (eehVmOfHostPe(scenario, fault.pe) === undefined) return { field: 'pe', message: `no device sits in host PE ${fault.pe}` };
  return null;
}

export { eehPlacementProblems };
