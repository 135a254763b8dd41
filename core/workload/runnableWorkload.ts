// What a run needs from a workload, and how each workload kind is built from the scenario and the
// stack (the whole DMA path the stack builder made). ScenarioRun looks kinds up in WORKLOADS.
// Must not: know the DMA path's internals; workloads use GuestDmaOps, DeviceModel and VcpuSet.

import type { OpResult } from '../contract/runResult';
import type { Scenario } from '../scenario/schema';
import type { Simulation } from '../sim/simulation';
import type { SimTimeNs } from '../sim/simTime';
import type { MetricMap } from '../run/metricSink';
import type { Stack } from '../run/stackBuilder';

export interface RunnableWorkload {
  start(): void;
  /** Metrics of the workload itself (the run adds the stack's). */
  collectMetrics(into: MetricMap): void;
  /** Step results (ops scripts, probe sequences); empty for throughput workloads. */
  opResults(): readonly OpResult[];
}

export type WorkloadFactory = (sim: Simulation, scenario: Scenario, stack: Stack, endNs: SimTimeNs) => RunnableWorkload;

/** The device a workload targets: the named one, else the first device of the first VM. */
export function targetDevice(
  stack: Stack,
  name: string | undefined,
): { vm: Stack['vms'][number]; device: Stack['vms'][number]['devices'][number] } {
  const found = name === undefined ? undefined : stack.device(name);
  const vm = found?.vm ?? stack.vms[0]!;
  return { vm, device: found?.device ?? vm.devices[0]! };
}
