// Every workload kind of SPEC 3.5, by name: the ops script runs against the host layers (and builds
// the guest stack only when a step calls the guest DMA API); every other kind runs on the stack the
// stack builder made, and the run reports the stack's metrics with the workload's.
// Must not: contain workload logic.

import type { Scenario } from '../scenario/schema';
import type { Simulation } from '../sim/simulation';
import type { SimTimeNs } from '../sim/simTime';
import { buildStack } from '../run/stackBuilder';
import { VIOMMU_FACTORIES } from '../run/viommuRegistry';
import { createFioWorkload } from './fioWorkload';
import { createNetWorkload } from './netWorkload';
import { createDpdkWorkload } from './dpdkWorkload';
import { createGpuWorkload } from './gpuWorkload';
import { createVirtioMemWorkload } from './virtioMemWorkload';
import { createProbeWorkload } from './probeWorkload';
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
};

export function createWorkload(sim: Simulation, scenario: Scenario, endNs: SimTimeNs): RunnableWorkload {
  const kind = scenario.workload.kind;
  if (kind === 'ops') return new OpsWorkloadRunner(sim, scenario.workload, scenario);
  const stack = buildStack(sim, scenario, VIOMMU_FACTORIES);
  const workload = WORKLOADS[kind](sim, scenario, stack, endNs);
  return {
    start: () => workload.start(),
    collectMetrics: (into) => {
      workload.collectMetrics(into);
      stack.collectMetrics(into, endNs);
    },
    opResults: () => workload.opResults(),
  };
}
