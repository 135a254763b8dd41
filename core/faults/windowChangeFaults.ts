// The fault "window-change" {pe, pageShift, windowShift} (docs/model.md#window-changes): at its
// time the guest PHB holding host PE `pe` gets its 64-bit DMA window replaced, served as the VM's
// scenario says (vms[].viommu.spapr.windowChange; SpaprWindowChange does the work). The context is
// typed by what it uses (faultRegistry.ts passes the run's FaultContext), so this file imports no
// stack types.
// Must not: change windows itself.

import type { HostEnvironment } from '../model/host/hostEnvironment';
import type { DurationNs, SimTimeNs } from '../sim/simTime';
import type { TimelineRecorder } from '../sim/timelineRecorder';
import { SpaprMachine } from '../model/ppc/spaprMachine';

export interface WindowChangeFaultContext {
  readonly sim: { readonly now: SimTimeNs; readonly timeline: TimelineRecorder };
  stack(): { readonly env: HostEnvironment; countIncident(name: string, by?: number): void };
}

export interface WindowChangeFault {
  readonly pe: number;
  readonly pageShift: number;
  readonly windowShift: number;
}

export function handleWindowChangeFault(ctx: WindowChangeFaultContext, fault: WindowChangeFault, cause: number): void {
  const stack = ctx.stack();
  for (const inst of stack.env.instances()) {
    if (!(inst instanceof SpaprMachine)) continue;
    const phb = inst.phbOfHostPe(fault.pe);
    if (phb === undefined) continue;
    inst.windowChange.change(phb, fault.pageShift, fault.windowShift, ctx.sim.now, cause);
    return;
  }
  const tl = ctx.sim.timeline;
  const kind = tl.defineKind({
    name: 'fault.windowChange.noGuestPhb',
    args: [{ name: 'pe', format: 'int' }],
    failure: true,
  });
  tl.record(ctx.sim.now, 0 as DurationNs, tl.defineLane('faults', 'faults'), kind, fault.pe, 0, 0, cause);
  stack.countIncident('window.changeWithoutPe');
}
