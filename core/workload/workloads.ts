// Every workload kind (docs/model.md#workloads), by name: the ops script runs against the host
// layers (and builds the guest stack only when a step calls the guest DMA API); every other kind
// runs on the stack the stack builder made, and the run reports the stack's metrics with the
// workload's.
// Must not: contain workload logic.

import type { Scenario } from '../scenario/schema';
import type { Simulation } from '../sim/simulation';
import type { SimTimeNs } from '../sim/simTime';
import { buildStack, type Stack } from '../stack/stackBuilder';
import type { HostEnvironment } from '../model/host/hostEnvironment';

import { VIOMMU_FACTORIES } from '../stack/viommuRegistry';
import { defineStackCounters } from '../stack/stackCounters';
import { createFioWorkload } from './fioWorkload';
import { createNetWorkload } from './netWorkload';
import { createDpdkWorkload } from './dpdkWorkload';
import { createGpuWorkload } from './gpuWorkload';
import { createVirtioMemWorkload } from './virtioMemWorkload';
import { createProbeWorkload } from './probeWorkload';
import { createDmaTraceWorkload } from './dmaTraceWorkload';
import { OpsWorkloadRunner } from './opsWorkload';
import type { RunnableWorkload, WorkloadFactory } from './runnableWorkload';

type StackKind = Exclude<Scenario['workload']['kind'], 'ops'>;

export const WORKLOADS: Record<StackKind, WorkloadFactory> = {
  fio: createFioWorkload,
  net: createNetWorkload,
  dpdk: createDpdkWorkload,
  gpu: createGpuWorkload,
  'virtio-mem': createVirtioMemWorkload,
  probe: createProbeWorkload,
  'dma-trace': createDmaTraceWorkload,
};

/** A workload with access to the stack it runs on (faults act on it; ops scripts build it on demand). */
export interface WorkloadOnStack extends RunnableWorkload {
  stack(): Stack;
  /** The host the run's layers live in (without building an ops script's guest stack). */
  env(): HostEnvironment;
}

export function createWorkload(sim: Simulation, scenario: Scenario, endNs: SimTimeNs): WorkloadOnStack {
  const kind = scenario.workload.kind;
  if (kind === 'ops') {
    const ops = new OpsWorkloadRunner(sim, scenario.workload, scenario);
    return {
      start: () => ops.start(endNs),
      collectMetrics: (into) => ops.collectMetrics(into),
      opResults: () => ops.opResults(),
      stack: () => ops.guestStack(),
      env: () => ops.env,
    };
  }
  const stack = buildStack(sim, scenario, VIOMMU_FACTORIES);
  defineStackCounters(sim, stack, scenario.host.vfio.dmaEntryLimit);
  const workload = WORKLOADS[kind](sim, scenario, stack, endNs);
  return {
    start: () => workload.start(),
    collectMetrics: (into) => {
      workload.collectMetrics(into);
      stack.collectMetrics(into, endNs);
    },
    opResults: () => workload.opResults(),
    stack: () => stack,
    env: () => stack.env,
  };
}
