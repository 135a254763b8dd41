// How scheduled faults (SPEC 7) reach the simulated system: each kind has a handler that acts on the
// run's stack at the fault's time; a kind without one is refused when the scenario is validated,
// with the layer that will bring it.
// Must not: contain fault logic (each layer's *Faults.ts does).

import type { FaultKind, FaultSpec } from '../scenario/faultSchema';
import type { Scenario } from '../scenario/schema';
import type { Simulation } from '../sim/simulation';
import type { Stack } from './stackBuilder';

export interface FaultContext {
  readonly sim: Simulation;
  readonly scenario: Scenario;
  /** The run's stack (built on first use for ops workloads). */
  stack(): Stack;
}

export type FaultHandler<K extends FaultKind = FaultKind> = (ctx: FaultContext, fault: Extract<FaultSpec, { kind: K }>) => void;

export type FaultHandlers = { readonly [K in FaultKind]?: FaultHandler<K> };

const PLANNED: Record<FaultKind, string> = {
  'eeh-freeze': 'EEH (issue 5)',
  'eeh-recovery-step-fails': 'EEH (issue 5)',
  'window-change': 'the sPAPR DMA windows (issue 5)',
  'dma-to-unmapped': 'device DMA faults (issue 4)',
  'rpcit-out-of-resource': 'the s390 fault hooks (issue 4)',
  'memlock-shrink': 'the host fault hooks (issue 4)',
  'device-hotplug': 'device hotplug (issue 4)',
  'device-unplug': 'device hotplug (issue 4)',
  'guest-reset': 'guest reset (issue 4)',
};

/** Every built fault handler, by kind. */
export const FAULT_HANDLERS: FaultHandlers = {};

export function faultProblem(kind: FaultKind): string | null {
  return FAULT_HANDLERS[kind] === undefined ? `fault "${kind}" needs ${PLANNED[kind]}, which is not built yet` : null;
}

export function runFault(ctx: FaultContext, fault: FaultSpec): void {
  const handler = FAULT_HANDLERS[fault.kind] as FaultHandler | undefined;
  if (handler === undefined) throw new Error(`fault ${fault.kind} has no handler (the scenario should have been rejected)`);
  handler(ctx, fault);
}
