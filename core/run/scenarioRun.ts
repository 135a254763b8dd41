// Builds the simulated system of one validated scenario and runs it in steps, so a host can report
// progress and cancel between steps. The result (metrics, ops, claims, counters, timeline hash) is
// a pure function of the scenario: same scenario and seed, same result and same timeline hash.
// Must not: measure wall time or store anything (hosts do).

import type { OpResult, RunResult } from '../contract/runResult';
import type { Scenario } from '../scenario/schema';
import { resolveCostTable, type CostKey } from '../sim/costTable';
import { Simulation } from '../sim/simulation';
import { type SimTimeNs, msToNs, durationNs } from '../sim/simTime';
import type { TimelineColumns, TimelineRecorder } from '../sim/timelineRecorder';

import { buildStack, type Stack } from './stackBuilder';
import { VIOMMU_FACTORIES } from './viommuRegistry';

import { FioWorkloadRunner } from '../workload/fioWorkload';
import { OpsWorkloadRunner } from '../workload/opsWorkload';
import { evaluateClaims } from './claims';
import type { MetricMap } from './metricSink';

/** Counters are sampled this many times over the run (at least every simulated millisecond). */
const COUNTER_SAMPLES = 1000;

/** What ScenarioRun needs from a workload. */
interface RunnableWorkload {
  start(): void;
  collectMetrics(into: MetricMap): void;
  opResults(): readonly OpResult[];
}

/** fio against one device of the stack. */
class FioOnStack implements RunnableWorkload {
  private readonly fio: FioWorkloadRunner;

  constructor(
    sim: Simulation,
    scenario: Scenario,
    private readonly stack: Stack,
    private readonly endNs: SimTimeNs,
  ) {
    const workload = scenario.workload;
    if (workload.kind !== 'fio') throw new Error('FioOnStack needs a fio workload');
    const found = workload.device === undefined ? undefined : stack.device(workload.device);
    const vm = found?.vm ?? stack.vms[0]!;
    const device = found?.device ?? vm.devices[0]!;
    this.fio = new FioWorkloadRunner(
      sim,
      workload,
      { device: device.model, dma: device.dma, dev: device.dev, vcpus: vm.vcpus, bufferGpa: FIO_BUFFER_GPA },
      endNs,
    );
  }

  start(): void {
    this.fio.start();
  }

  collectMetrics(into: MetricMap): void {
    this.fio.collectMetrics(into, durationNs(this.endNs));
    this.stack.collectMetrics(into, this.endNs);
  }

  opResults(): readonly OpResult[] {
    return [];
  }
}

/** fio buffers start at 4 GiB of guest-physical memory (inside RAM for the default 8 GiB guest). */
const FIO_BUFFER_GPA = 0x1_0000_0000;

export class ScenarioRun {
  readonly durationNs: SimTimeNs;
  private readonly sim: Simulation;
  private readonly workload: RunnableWorkload;
  private done = false;

  constructor(
    readonly scenario: Scenario,
    options: { readonly timeline?: TimelineRecorder; readonly variant?: string } = {},
  ) {
    this.durationNs = msToNs(scenario.durationMs) as number as SimTimeNs;
    this.sim = new Simulation({
      seed: scenario.seed,
      costs: resolveCostTable(scenario.costs as Partial<Record<CostKey, number>>),
      ...(options.timeline === undefined ? {} : { timeline: options.timeline }),
      ...(options.variant === undefined || options.variant === '' ? {} : { counterPrefix: `${options.variant}:` }),
    });
    this.workload =
      scenario.workload.kind === 'ops'
        ? new OpsWorkloadRunner(this.sim, scenario.workload, scenario)
        : new FioOnStack(this.sim, scenario, buildStack(this.sim, scenario, VIOMMU_FACTORIES), this.durationNs);
    const interval = Math.max(1, Math.min(1_000_000, Math.floor(this.durationNs / COUNTER_SAMPLES)));
    this.sim.counters.start(durationNs(interval));
    this.workload.start();
  }

  get simulatedNs(): number {
    return this.sim.now;
  }

  get eventsProcessed(): number {
    return this.sim.eventsProcessed;
  }

  get isDone(): boolean {
    return this.done;
  }

  /** Runs at most `maxEvents` events; returns true once the run is over. */
  step(maxEvents: number): boolean {
    if (!this.done) this.done = this.sim.step(this.durationNs, maxEvents);
    return this.done;
  }

  /** Runs to the end in one go (tests, CLI without progress). */
  runToEnd(): RunResult {
    while (!this.step(1_000_000));
    return this.result();
  }

  result(): RunResult {
    if (!this.done) throw new Error('ScenarioRun.result() before the run is over');
    this.sim.counters.sampleNow();
    const metrics: MetricMap = {};
    this.workload.collectMetrics(metrics);
    metrics['sim.events'] = this.sim.eventsProcessed;
    metrics['sim.timelineEvents'] = this.sim.timeline.size;
    metrics['sim.timelineDropped'] = this.sim.timeline.dropped;
    metrics['sim.simulatedMs'] = this.sim.now / 1e6;
    return {
      metrics,
      ops: this.workload.opResults(),
      claims: evaluateClaims(this.scenario.claims, metrics, this.workload.opResults()),

      counters: this.sim.counters.result(),
      timelineHash: this.sim.timeline.hash(),
      simulatedNs: this.sim.now,
    };
  }

  timeline(): TimelineColumns {
    return this.sim.timeline.columns();
  }
}
