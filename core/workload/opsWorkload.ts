// The ops workload (docs/model.md#ops-scripts): runs an ops script's steps one after the other,
// each at the simulated time the previous one finished, records each call on its layer instance's
// lane (failures as failure events carrying the errno), and ends the run after the last step.
// Guest-side ops (dma.*) get the guest through env.guest(): the whole stack is built on the first
// such step (for vIOMMU-less VMs that maps guest RAM, as booting the guest would) on this same
// environment, so the guest's containers and the host-side ops share one QEMU process, one
// locked-memory account and one fault injector.

// Must not: interpret any op; OPS definitions do the work and report their cost.

import type { Simulation, SimComponent } from '../sim/simulation';
import { type DurationNs, type SimTimeNs, msToNs } from '../sim/simTime';
import { NO_CAUSE } from '../sim/timelineRecorder';
import { PRIORITY_LATE } from '../sim/scheduler';

import type { OpResult } from '../contract/runResult';
import type { OpsWorkload, Scenario } from '../scenario/schema';
import { OPS } from '../ops/opRegistry';
import { createHostEnvironment } from '../model/host/hostEnvironment';
import type { OpDefinition, OpOutcome, OpsEnvironment, OpsGuest } from '../ops/opTypes';
import { type MetricMap } from '../sim/metricSink';
import { buildStack, type Stack } from '../stack/stackBuilder';
import { VIOMMU_FACTORIES } from '../stack/viommuRegistry';
import { PAGE_SIZE } from '../model/base/pages';
import { recordLogLine } from '../model/base/logLines';

const STEP = 0;
/** At the run's end: whether the script was cut short. */
const END = 1;
/** Failures of one repeated step drawn individually on the timeline, at most. */
const REPEAT_FAILURES_RECORDED = 100;

/**
 * A step's parsed arguments by its raw arguments object: a validated scenario's steps are parsed
 * once, by the first run that reaches them, not once per run (a short ops script's run otherwise
 * spends a sixth of its CPU in zod). Keyed by the object, so a scenario that is dropped takes its
 * entries with it; the op is checked too (one raw object could serve two ops with other defaults).
 * The parsed value is deep-frozen: an op that wrote to its arguments would throw, not leak into the
 * next run.
 */
const PARSED_ARGS = new WeakMap<object, { readonly def: OpDefinition; readonly args: unknown }>();

/** `def.args.parse(rawArgs)`, from the cache when this object was parsed for this op before (opsWorkload.test.ts compares them). */
export function parsedOpArgs(def: OpDefinition, rawArgs: unknown): unknown {
  if (rawArgs === null || typeof rawArgs !== 'object') return def.args.parse(rawArgs);
  const hit = PARSED_ARGS.get(rawArgs);
  if (hit !== undefined && hit.def === def) return hit.args;
  const args = deepFreeze(def.args.parse(rawArgs));
  if (hit === undefined) PARSED_ARGS.set(rawArgs, { def, args });
  return args;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** Runs one step against `env` (also used directly by tests and fail-nth sweeps). */
export function runOpStep(env: OpsEnvironment, op: string, rawArgs: unknown): OpOutcome {
  const def = OPS.get(op);
  if (def === undefined) throw new Error(`op ${op} is not registered (the scenario should have been rejected)`);
  return def.run(env, parsedOpArgs(def, rawArgs));
}

export class OpsWorkloadRunner implements SimComponent {
  readonly env: OpsEnvironment;
  private readonly handler: number;
  private readonly results: OpResult[] = [];
  private readonly okKinds = new Map<string, number>();
  private readonly failKinds = new Map<string, number>();
  private readonly whyKinds = new Map<string, number>();
  /** Timeline lane by the instance's lane name (defined at its first record, as before the map). */
  private readonly lanes = new Map<string, number>();
  private next = 0;
  private failed = 0;
  /** The script ended (last step, or stopOnError): steps left are not cut short by time. */
  private stopped = false;
  private cutShort = false;
  private stack: Stack | null = null;

  /**
   * @param repeatStretches let repeated steps run stretches of calls through OpDefinition.runRepeat
   *   (false: every call through run(), the reference the stretches are tested against)
   */
  constructor(
    private readonly sim: Simulation,
    private readonly workload: OpsWorkload,
    private readonly scenario: Scenario,
    private readonly repeatStretches = true,
  ) {
    this.env = { ...createHostEnvironment(scenario, sim.costs), guest: () => this.guest(), sim };
    this.handler = sim.register(this);
  }

  /** The guest stack, built on the first guest-side step. */
  private guest(): OpsGuest {
    const stack = this.guestStack();
    return { nowNs: this.sim.now, device: (name) => stack.device(name) };
  }

  /** The guest stack on this script's host environment, built on first use. */
  guestStack(): Stack {
    return (this.stack ??= buildStack(this.sim, this.scenario, VIOMMU_FACTORIES, this.env));
  }

  /** @param endNs the run's end (durationMs): steps still waiting then are reported as not run. */
  start(endNs?: SimTimeNs): void {
    this.sim.schedule(0, this.handler, STEP);
    if (endNs !== undefined) this.sim.scheduleAt(endNs, this.handler, END, 0, 0, PRIORITY_LATE);
  }

  handleEvent(kind: number): void {
    if (kind === END) {
      this.noteCutShort();
      return;
    }
    const step = this.workload.steps[this.next]!;
    if (step.atMs !== undefined && this.sim.now < msToNs(step.atMs)) {
      this.sim.scheduleAt(msToNs(step.atMs) as number as SimTimeNs, this.handler, STEP);
      return;
    }
    const outcome = step.repeat === undefined ? runOpStep(this.env, step.op, step.args) : this.runRepeated(step.op, step.args, step.repeat);
    this.results.push({ op: step.op, ok: outcome.ok, errno: outcome.errno, ret: outcome.ret });
    if (step.repeat === undefined) this.record(step.op, outcome);
    this.next++;
    if (!outcome.ok) this.failed++;
    const over = this.next >= this.workload.steps.length || (!outcome.ok && this.workload.stopOnError);
    if (over) {
      this.stopped = true;
      // Faults act after the script: the run then lasts its duration, so they fire and play out.
      if (this.scenario.faults.length === 0) this.sim.stop();
      return;
    }
    this.sim.schedule(outcome.costNs as DurationNs, this.handler, STEP);
  }

  /**
   * A repeated step: `count` calls back to back, numeric arguments advanced by `add` after each.
   * Reports {count, failed, firstErrno, firstFailedAt, lastRet}; ok when no call failed. Each failure
   * is recorded on the timeline (up to REPEAT_FAILURES_RECORDED), successes once as a summary.
   */
  private runRepeated(op: string, rawArgs: unknown, repeat: { count: number; add: Record<string, number> }): OpOutcome {
    const def = OPS.get(op)!;
    const base = parsedOpArgs(def, rawArgs) as Record<string, unknown>;
    const args: Record<string, unknown> = { ...base };
    const keys = Object.keys(repeat.add);
    const deltas = keys.map((k) => repeat.add[k]!);
    const stretches = this.repeatStretches && def.runRepeat !== undefined;
    let costNs = 0;
    let failed = 0;
    let firstErrno: string | null = null;
    let firstFailedAt: number | null = null;
    let lastRet: unknown = null;
    let lane = '';
    const startNs = this.sim.now;
    /** Accounts call `at` of the step, made by run() or reported failed by runRepeat. */
    const take = (o: OpOutcome, at: number): void => {
      lane = o.lane;
      if (!o.ok) {
        failed++;
        if (firstErrno === null) {
          firstErrno = o.errno;
          firstFailedAt = at;
        }
        if (failed <= REPEAT_FAILURES_RECORDED) this.recordAt(op, o, startNs + costNs);
      }
      lastRet = o.ret;
      costNs += o.costNs;
    };
    for (let i = 0; i < repeat.count;) {
      // repeatArg(base, add, key, i): the arguments runRepeat computes for the same repetition.
      for (let j = 0; j < keys.length; j++) args[keys[j]!] = (base[keys[j]!] as number) + i * deltas[j]!;
      if (stretches) {
        const s = def.runRepeat!(this.env, base, repeat.add, i, repeat.count - i, costNs);
        if (s !== null && s.calls > 0) {
          costNs = s.costNs;
          lastRet = s.ret;
          lane = s.lane;
          i += s.calls;
        }
        if (s?.failed !== undefined) {
          take(s.failed, i);
          i++;
          continue;
        }
        if (s !== null && s.calls > 0) continue;
      }
      take(def.run(this.env, args), i);
      i++;
    }
    const outcome: OpOutcome = {
      ok: failed === 0,
      errno: firstErrno,
      ret: { count: repeat.count, failed, firstErrno, firstFailedAt, lastRet },
      costNs,
      lane,
    };
    if (failed === 0) this.recordAt(op, outcome, startNs);
    return outcome;
  }

  /**
   * The run's duration ran out with steps still waiting (a step past it, or calls whose modelled
   * times add up to more): the script was cut short. Recorded as a failure whose cause says which
   * step was next and how many were not run (ops.notRun); the CLI and the run page say so.
   */
  private noteCutShort(): void {
    if (this.stopped || this.next >= this.workload.steps.length) return;
    this.cutShort = true;
    const tl = this.sim.timeline;
    const lane = tl.defineLane('ops.script', 'ops');
    const notRun = this.workload.steps.length - this.next;
    const whyKind = tl.defineKind({ name: 'ops.durationEnded', args: [{ name: 'why', format: 'str' }] });
    const why = `the run's durationMs (${this.scenario.durationMs} ms) ended before step ${this.next} (${this.workload.steps[this.next]!.op}) ran`;
    const cause = tl.record(this.sim.now, 0, lane, whyKind, tl.internString(why));
    const kind = tl.defineKind({
      name: 'ops.cutShort',
      args: [
        { name: 'notRun', format: 'int' },
        { name: 'firstNotRun', format: 'int' },
      ],
      failure: true,
    });
    tl.record(this.sim.now, 0, lane, kind, notRun, this.next, 0, cause);
  }

  private record(op: string, outcome: OpOutcome): void {
    this.recordAt(op, outcome, this.sim.now);
  }

  private recordAt(op: string, outcome: OpOutcome, atNs: number): void {
    const tl = this.sim.timeline;
    const lane = this.laneOf(outcome.lane);
    const kinds = outcome.ok ? this.okKinds : this.failKinds;
    let kind = kinds.get(op);
    if (kind === undefined) {
      kind = tl.defineKind({
        // ops.<call>: the script's own record of the call (the layers record theirs under their names).
        name: outcome.ok ? `ops.${op}` : `ops.${op}.failed`,
        args: [
          { name: 'errno', format: 'errno' },
          { name: 'ret', format: 'str' },
          { name: 'step', format: 'int' },
        ],
        failure: !outcome.ok,
      });
      kinds.set(op, kind);
    }
    const errno = outcome.errno === null ? 0 : tl.internString(outcome.errno);
    // What the kernel printed goes first, then the refusal's reason, as the events the failure
    // points at (its causes); what the caller prints about the failure comes after it.
    const kernelLog = outcome.log?.kernel ?? null;
    const printed = kernelLog === null ? NO_CAUSE : recordLogLine(tl, 'kernel', atNs, kernelLog, NO_CAUSE);
    const cause = outcome.ok || outcome.why == null ? printed : this.recordWhy(op, outcome.why, lane, atNs, printed);
    const failure = tl.record(
      atNs as SimTimeNs,
      outcome.costNs as DurationNs,
      lane,
      kind,
      errno,
      tl.internString(JSON.stringify(outcome.ret ?? null)),
      this.next,
      cause,
    );
    const callerLog = outcome.log?.caller ?? null;
    if (callerLog !== null) recordLogLine(tl, 'vmm', atNs, callerLog, failure);
  }

  private laneOf(name: string): number {
    let lane = this.lanes.get(name);
    if (lane === undefined) {
      lane = this.sim.timeline.defineLane(name, name.split('.')[0] ?? name);
      this.lanes.set(name, lane);
    }
    return lane;
  }

  /** Records why a call of `op` was refused (the check that decided it) and returns the event. */
  private recordWhy(op: string, why: string, lane: number, atNs: number, cause: number = NO_CAUSE): number {
    const tl = this.sim.timeline;
    let kind = this.whyKinds.get(op);
    if (kind === undefined) {
      kind = tl.defineKind({ name: `ops.${op}.refused`, args: [{ name: 'why', format: 'str' }] });
      this.whyKinds.set(op, kind);
    }
    return tl.record(atNs as SimTimeNs, 0, lane, kind, tl.internString(why), 0, 0, cause);
  }

  opResults(): readonly OpResult[] {
    return this.results;
  }

  collectMetrics(into: MetricMap): void {
    // The guest stack shares this environment: its containers are among env.instances().
    this.stack?.collectMetrics(into, this.sim.now, false);
    for (const inst of this.env.instances()) inst.collectMetrics(into);
    into['ops.steps'] = this.results.length;
    into['ops.failed'] = this.failed;
    into['ops.notRun'] = this.workload.steps.length - this.results.length;
    into['ops.cutShort'] = this.cutShort ? 1 : 0;
    this.results.forEach((r, i) => collectRetMetrics(into, `ops.${i}`, r.ret, 0));
    into['vfio.lockedBytesPeak'] = this.env.process.lockedPeakBytes;
    into['vfio.lockedBytesEnd'] = this.env.process.lockedPages * PAGE_SIZE;
    into['vfio.memlockFailures'] = this.env.process.memlockFailures;
  }
}

/**
 * Exposes an ops step's numeric outputs as metrics, so claims can check them: a number ret becomes
 * `ops.<step>.ret`, numeric fields become `ops.<step>.<field>` (nested: `ops.<step>.a.b`), booleans 1/0.
 */
function collectRetMetrics(into: MetricMap, prefix: string, ret: unknown, depth: number): void {
  if (typeof ret === 'number') into[depth === 0 ? `${prefix}.ret` : prefix] = ret;
  else if (typeof ret === 'boolean') into[depth === 0 ? `${prefix}.ret` : prefix] = ret ? 1 : 0;
  else if (ret !== null && typeof ret === 'object' && !Array.isArray(ret) && depth < 2) {
    for (const [k, v] of Object.entries(ret)) collectRetMetrics(into, `${prefix}.${k}`, v, depth + 1);
  }
}
