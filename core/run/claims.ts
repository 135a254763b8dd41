// Checks a preset's claims against what the run measured. A metric claim compares a metric (or a
// ratio of two metrics) with an expected value and a tolerance; a step claim compares what an
// ops-script step returned with what the kernel returns. Each result carries the measured value.
// A missing metric or step makes the claim not hold, with a note, never a silent pass. A metric
// claim names its metric and the unit of its measured value (from the metric catalog); a step
// claim's measured value is the step's output, unit "value" as the catalog names op outputs.
// Must not: know any particular claim.

import type { ClaimResult, OpResult } from '../contract/runResult';
import type { ClaimSpec, MetricClaimSpec, StepClaimSpec } from '../scenario/claimSpec';
import { metricInfo } from './metricCatalog';

/**
 * @param ops the ops results of a plain run
 * @param opsByVariant the ops results of each variant, for step claims that name a variant
 */
export function evaluateClaims(
  specs: readonly ClaimSpec[],
  metrics: Readonly<Record<string, number>>,
  ops: readonly OpResult[] = [],
  opsByVariant: Readonly<Record<string, readonly OpResult[]>> = {},
): ClaimResult[] {
  return specs.map((spec) => {
    const result =
      'step' in spec
        ? evaluateStepClaim(spec, spec.variant === undefined ? ops : (opsByVariant[spec.variant] ?? []))
        : evaluateMetricClaim(spec, metrics);
    if (result.holds || spec.whyNot === undefined) return result;
    return { ...result, note: result.note === undefined ? spec.whyNot : `${result.note}. ${spec.whyNot}` };
  });
}

function describeExpectation(spec: MetricClaimSpec): string {
  const subject = spec.per === undefined ? spec.metric : `${spec.metric} / ${spec.per}`;
  const slack = spec.tolerance > 0 ? ` (tolerance ${spec.tolerance})` : '';
  return spec.op === 'between'
    ? `${subject} between ${spec.value} and ${spec.valueMax ?? spec.value}${slack}`
    : `${subject} ${spec.op} ${spec.value}${slack}`;
}

/** The metric a claim measures, its denominator and the unit of the measured value. */
function measuredSubject(spec: MetricClaimSpec): Pick<ClaimResult, 'metric' | 'per' | 'unit'> {
  const unit = metricInfo(spec.metric)?.unit ?? '';
  if (spec.per === undefined) return { metric: spec.metric, unit };
  const perUnit = metricInfo(spec.per)?.unit ?? '';
  return { metric: spec.metric, per: spec.per, unit: `${unit || 'no unit'} per ${perUnit || 'no unit'}` };
}

function evaluateMetricClaim(spec: MetricClaimSpec, metrics: Readonly<Record<string, number>>): ClaimResult {
  const base = { id: spec.id, text: spec.text, source: spec.source, expectation: describeExpectation(spec), ...measuredSubject(spec) };
  const num = metrics[spec.metric];
  const den = spec.per === undefined ? 1 : metrics[spec.per];
  if (num === undefined || den === undefined) {
    const missing = num === undefined ? spec.metric : (spec.per ?? '');
    return { ...base, holds: false, measured: null, note: `metric ${missing} was not produced by this run` };
  }
  if (den === 0) return { ...base, holds: false, measured: null, note: `denominator ${spec.per ?? ''} is 0` };
  const measured = num / den;
  return { ...base, holds: compare(measured, spec), measured };
}

function evaluateStepClaim(spec: StepClaimSpec, ops: readonly OpResult[]): ClaimResult {
  const wantRet = spec.ret === undefined ? '' : ` returning ${JSON.stringify(spec.ret)}`;
  const where = spec.variant === undefined ? `step ${spec.step}` : `${spec.variant} step ${spec.step}`;
  const base = {
    id: spec.id,
    text: spec.text,
    source: spec.source,
    expectation: `${where} -> ${spec.errno ?? 'success'}${wantRet}`,
    unit: 'value',
  };
  const got = ops[spec.step];
  if (got === undefined) return { ...base, holds: false, measured: null, note: `the run has no step ${spec.step}` };
  const measured = typeof got.ret === 'number' ? got.ret : null;
  const errnoOk = got.errno === spec.errno;
  const retOk = spec.ret === undefined || JSON.stringify(got.ret) === JSON.stringify(spec.ret);
  const holds = errnoOk && retOk;
  return holds
    ? { ...base, holds, measured }
    : {
        ...base,
        holds,
        measured,
        note: `step ${spec.step} (${got.op}) returned ${got.errno ?? 'success'} with ${JSON.stringify(got.ret)}`,
      };
}

function compare(x: number, spec: MetricClaimSpec): boolean {
  const tol = spec.tolerance;
  switch (spec.op) {
    case '>':
      return x > spec.value - tol;
    case '>=':
      return x >= spec.value - tol;
    case '<':
      return x < spec.value + tol;
    case '<=':
      return x <= spec.value + tol;
    case '==':
      return Math.abs(x - spec.value) <= tol;
    case 'between':
      return x >= spec.value - tol && x <= (spec.valueMax ?? spec.value) + tol;
    default: {
      const never: never = spec.op;
      throw new Error(`unknown claim op ${String(never)}`);
    }
  }
}
