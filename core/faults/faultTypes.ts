// What a fault handler is: the context it acts in (the run's simulation, scenario and stack) and its
// signature. Kept apart from the registry so handlers can import these types while the registry
// imports the handlers.
// Must not: import handlers or hold fault logic.

import type { FaultKind, FaultSpec } from '../scenario/faultSchema';
import type { Scenario } from '../scenario/schema';
import type { Simulation } from '../sim/simulation';
import type { Stack } from '../stack/stackBuilder';

export interface FaultContext {
  readonly sim: Simulation;
  readonly scenario: Scenario;
  /** The run's stack (built on first use for ops workloads). */
  stack(): Stack;
}

/**
 * Acts on the stack at the fault's time. `cause` is the timeline event recording the injection: events
 * the fault leads to link to it, so a failure it provokes explains itself.
 */
export type FaultHandler<K extends FaultKind = FaultKind> = (
  ctx: FaultContext,
  fault: Extract<FaultSpec, { kind: K }>,
  cause: number,
) => void;

export type FaultHandlers = { readonly [K in FaultKind]?: FaultHandler<K> };
