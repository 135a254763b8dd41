// Runs a plan: its variants one after the other (or the base scenario alone), each in its own
// Simulation but all recording into one timeline (lanes prefixed "<variant>/"), then merges their
// metrics ("<variant>:<name>"), ops ("<variant>:<op>") and counters, and checks the plan's claims.
// Each variant has its own clock from 0: their events overlap in time on the one timeline (told apart
// by the lane prefix), and the run's simulated time is its longest variant's, not their sum.
// Same plan and seeds, same result and same timeline hash.
// Must not: measure wall time or store anything (hosts do).

import type { OpResult, RunResult } from '../contract/runResult';
import { TimelineRecorder, type TimelineColumns, type TimelineSink } from '../sim/timelineRecorder';
import { evaluateClaims } from './claims';
import type { MetricMap } from '../sim/metricSink';
import type { RunPlan } from './runPlan';
import { ScenarioRun } from './scenarioRun';

export interface PlanRunOptions {
  /** Where the timeline goes (default: kept in memory, see timelineColumns()). */
  readonly timelineSink?: TimelineSink;
}

export class PlanRun {
  private readonly timeline: TimelineRecorder;
  private readonly parts: { readonly prefix: string; readonly scenario: RunPlan['base'] }[];
  private current: ScenarioRun | null = null;
  private index = 0;
  private readonly results: { prefix: string; result: RunResult }[] = [];
  private finishedNs = 0;
  /** The longest duration of a finished variant: the length of the run's time axis. */
  private longestNs = 0;
  private finishedEvents = 0;

  constructor(
    readonly plan: RunPlan,
    options: PlanRunOptions = {},
  ) {
    this.timeline = new TimelineRecorder(undefined, options.timelineSink);
    this.parts =
      plan.variants.length > 0
        ? plan.variants.map((v) => ({ prefix: v.name, scenario: v.scenario }))
        : [{ prefix: '', scenario: plan.base }];
  }

  get isDone(): boolean {
    return this.index >= this.parts.length;
  }

  /** Simulated time covered so far over all variants (progress: the sum of the variants' clocks), ns. */
  get simulatedNs(): number {
    return this.finishedNs + (this.current?.simulatedNs ?? 0);
  }

  get eventsProcessed(): number {
    return this.finishedEvents + (this.current?.eventsProcessed ?? 0);
  }

  /** Timeline events recorded so far over all variants. */
  get timelineEvents(): number {
    return this.timeline.size;
  }

  /** Runs at most `maxEvents` events; returns true once every variant is over. */
  step(maxEvents: number): boolean {
    if (this.isDone) return true;
    if (this.current === null) {
      const part = this.parts[this.index]!;
      this.timeline.lanePrefix = part.prefix === '' ? '' : `${part.prefix}/`;
      this.current = new ScenarioRun(part.scenario, { timeline: this.timeline, variant: part.prefix });
    }
    if (this.current.step(maxEvents)) {
      const part = this.parts[this.index]!;
      this.results.push({ prefix: part.prefix, result: this.current.result() });
      this.finishedNs += this.current.durationNs;
      this.longestNs = Math.max(this.longestNs, this.current.durationNs);
      this.finishedEvents += this.current.eventsProcessed;
      this.current = null;
      this.index++;
      // The plan is over: the sink gets the last events (a store can then finish the timeline).
      if (this.isDone) this.timeline.flush();
    }
    return this.isDone;
  }

  runToEnd(): RunResult {
    while (!this.step(1_000_000));
    return this.result();
  }

  result(): RunResult {
    if (!this.isDone) throw new Error('PlanRun.result() before the plan is over');
    const metrics: MetricMap = {};
    const ops: OpResult[] = [];
    const opsByVariant: Record<string, readonly OpResult[]> = {};
    for (const { prefix, result } of this.results) {
      const p = prefix === '' ? '' : `${prefix}:`;
      for (const [k, v] of Object.entries(result.metrics)) metrics[p + k] = v;
      for (const o of result.ops) ops.push(p === '' ? o : { ...o, op: p + o.op });
      if (prefix !== '') opsByVariant[prefix] = result.ops;
    }
    return {
      metrics,
      ops,
      claims: evaluateClaims(this.plan.claims, metrics, ops, opsByVariant),

      counters: this.results.flatMap((r) => r.result.counters),
      timelineHash: this.timeline.hash(),
      // Variants run side by side on their own clocks from 0: the run spans the longest of them.
      simulatedNs: this.longestNs,
    };
  }

  /** Every recorded event; only when the timeline is kept in memory (no sink given). */
  timelineColumns(): TimelineColumns {
    return this.timeline.columns();
  }
}
