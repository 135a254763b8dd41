// Builds the simulated system of one validated scenario and runs it in steps, so a host can report
// progress and cancel between steps. The result (metrics, ops, claims, counters, timeline hash) is
// a pure function of the scenario: same scenario and seed, same result and same timeline hash.
// A run refused at RLIMIT_MEMLOCK or dma_entry_limit is then simulated once more without those
// limits, with no timeline, to measure what it needed (limitsProbe.ts); that twin steps after it.
// Must not: measure wall time or store anything (hosts do).

import type { RunResult } from '../contract/runResult';
import type { Scenario } from '../scenario/schema';
import { resolveCostTable, type CostKey, type CostTable } from '../sim/costTable';
import { Simulation } from '../sim/simulation';
import { type SimTimeNs, msToNs, durationNs } from '../sim/simTime';
import { TimelineRecorder, type TimelineColumns } from '../sim/timelineRecorder';
import { evaluateClaims } from './claims';
import type { MetricMap } from '../sim/metricSink';
import { createWorkload } from '../workload/workloads';
import { FaultScheduler } from '../faults/faultScheduler';

import type { Stack } from '../stack/stackBuilder';
import type { WorkloadOnStack } from '../workload/workloads';
import { collectLimitsMetrics, limitFreeScenario, limitsAtStart, limitWasHit, type LimitsStart } from './limitsProbe';

/**
 * Cost tables by the scenario's overrides object (scenario.costs): resolved once per scenario and
 * shared, frozen, by its runs (and its limit-free twin, which keeps the object), not rebuilt by every
 * run (a short ops script's run spent a tenth of its setup there).
 */
const COST_TABLES = new WeakMap<object, CostTable>();

/** resolveCostTable(scenario.costs), from the cache (scenarioRun.costTable.test.ts compares them). */
export function costTableOf(scenario: Scenario): CostTable {
  const overrides = scenario.costs as Partial<Record<CostKey, number>>;
  let table = COST_TABLES.get(overrides);
  if (table === undefined) {
    table = Object.freeze(resolveCostTable(overrides));
    COST_TABLES.set(overrides, table);
  }
  return table;
}

/** Counters are sampled this many times over the run (at least every simulated millisecond). */
const COUNTER_SAMPLES = 1000;
const MAX_COUNTER_SAMPLES = 100_000;

export class ScenarioRun {
  readonly durationNs: SimTimeNs;
  private readonly sim: Simulation;
  private readonly workload: WorkloadOnStack;
  private faults: FaultScheduler | null = null;
  private done = false;
  /** Timeline events and drops recorded before this run started (earlier variants of a plan share the recorder). */
  private readonly timelineStart: number;
  private readonly droppedStart: number;
  /** What the host held when the workload started. */
  private readonly limitsStart: LimitsStart;
  /** The limit-free twin measuring what a run refused at a limit needed; null until (unless) needed. */
  private twin: ScenarioRun | null = null;
  private readonly limitFree: boolean;
  private readonly prepare: ((stack: Stack) => void) | undefined;

  constructor(
    readonly scenario: Scenario,
    options: {
      readonly timeline?: TimelineRecorder;
      readonly variant?: string;
      /** Called with the stack before anything runs (benches pre-populate host state through it). */
      readonly prepare?: (stack: Stack) => void;
      /** This run is the limit-free twin of another (it makes no twin of its own). */
      readonly limitFree?: boolean;
    } = {},
  ) {
    this.limitFree = options.limitFree === true;
    this.prepare = options.prepare;
    this.durationNs = msToNs(scenario.durationMs) as number as SimTimeNs;
    this.sim = new Simulation({
      seed: scenario.seed,
      costs: costTableOf(scenario),
      ...(options.timeline === undefined ? {} : { timeline: options.timeline }),
      ...(options.variant === undefined || options.variant === '' ? {} : { counterPrefix: `${options.variant}:` }),
    });
    // A variant hashes its own events: its segment starts before anything of it is recorded.
    this.sim.timeline.beginSegment();
    this.timelineStart = this.sim.timeline.size;
    this.droppedStart = this.sim.timeline.dropped;
    const workload = createWorkload(this.sim, scenario, this.durationNs);
    this.workload = workload;
    options.prepare?.(workload.stack());
    if (scenario.faults.length > 0) {
      this.faults = new FaultScheduler(this.sim, scenario.faults, { sim: this.sim, scenario, stack: () => workload.stack() });
      this.faults.start();
    }
    // At least every simulated millisecond, but never more than MAX_COUNTER_SAMPLES over a long run.
    const interval = Math.max(
      1,
      Math.min(1_000_000, Math.floor(this.durationNs / COUNTER_SAMPLES)),
      Math.ceil(this.durationNs / MAX_COUNTER_SAMPLES),
    );
    // Samples at 0, every interval up to the end, and the final one in result(); steps never go past
    // durationNs, so a quiet span is sampled by one event up to it. A limit-free twin only answers
    // what the limits needed: nobody reads its counters (and a read changes nothing but the
    // reader's own memory, so leaving them out changes none of its other events).
    if (!this.limitFree) this.sim.counters.start(durationNs(interval), Math.floor(this.durationNs / interval) + 2, this.durationNs);
    // QEMU's setup (guest RAM mapped at boot, containers opened) is done; the workload's first IO is not.
    this.limitsStart = limitsAtStart(workload.env());
    this.workload.start();
  }

  get simulatedNs(): number {
    return this.sim.now;
  }

  get eventsProcessed(): number {
    return this.sim.eventsProcessed;
  }

  get isDone(): boolean {
    return this.done && (this.twin === null || this.twin.isDone);
  }

  /** Runs at most `maxEvents` events; returns true once the run (and its limit-free twin, if it needs one) is over. */
  step(maxEvents: number): boolean {
    if (!this.done) {
      this.done = this.sim.step(this.durationNs, maxEvents);
      // Between steps no event handler runs: the only place a timeline chunk may be cut.
      this.sim.timeline.endStep();
      if (this.done && !this.limitFree && limitWasHit(this.workload.env())) {
        this.twin = new ScenarioRun(limitFreeScenario(this.scenario), {
          timeline: new TimelineRecorder(0),
          limitFree: true,
          ...(this.prepare === undefined ? {} : { prepare: this.prepare }),
        });
      }
      return this.isDone;
    }
    this.twin?.step(maxEvents);
    return this.isDone;
  }

  /** Runs to the end in one go (tests, CLI without progress). */
  runToEnd(): RunResult {
    while (!this.step(1_000_000));
    return this.result();
  }

  result(): RunResult {
    if (!this.isDone) throw new Error('ScenarioRun.result() before the run is over');
    this.sim.counters.sampleNow();
    const metrics: MetricMap = {};
    this.workload.collectMetrics(metrics);
    if (this.faults !== null) metrics['faults.injected'] = this.faults.fired;
    metrics['sim.events'] = this.sim.eventsProcessed;
    metrics['sim.timelineEvents'] = this.sim.timeline.size - this.timelineStart;
    metrics['sim.timelineDropped'] = this.sim.timeline.dropped - this.droppedStart;
    metrics['sim.simulatedMs'] = this.sim.now / 1e6;
    const env = this.workload.env();
    const needed = this.twin === null ? { env, start: this.limitsStart } : this.twin.limitsSource();
    collectLimitsMetrics(metrics, needed, env, this.scenario, this.twin !== null);
    return {
      metrics,
      ops: this.workload.opResults(),
      claims: evaluateClaims(this.scenario.claims, metrics, this.workload.opResults()),

      counters: this.sim.counters.result(),
      timelineHash: this.sim.timeline.currentSegmentHash(),
      simulatedNs: this.sim.now,
    };
  }

  /** The host and its start state, for the run whose limits answer this run gives. */
  private limitsSource(): { env: ReturnType<WorkloadOnStack['env']>; start: LimitsStart } {
    return { env: this.workload.env(), start: this.limitsStart };
  }

  timeline(): TimelineColumns {
    return this.sim.timeline.columns();
  }
}
