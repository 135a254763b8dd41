// Checks a preset's claims against what the run measured. A claim compares a metric (or a ratio
// of two metrics) with an expected value and a tolerance; the result carries the measured value.
// A missing metric makes the claim not hold, with a note, never a silent pass.
// Must not: know any particular claim.

import type { ClaimResult } from '../contract/runResult';
import type { ClaimSpec } from '../scenario/claimSpec';

export function evaluateClaims(specs: readonly ClaimSpec[], metrics: Readonly<Record<string, number>>): ClaimResult[] {
  return specs.map((spec) => evaluateClaim(spec, metrics));
}

function describeExpectation(spec: ClaimSpec): string {
  const subject = spec.per === undefined ? spec.metric : `${spec.metric} / ${spec.per}`;
  const slack = spec.tolerance > 0 ? ` (tolerance ${spec.tolerance})` : '';
  return spec.op === 'between'
    ? `${subject} between ${spec.value} and ${spec.valueMax ?? spec.value}${slack}`
    : `${subject} ${spec.op} ${spec.value}${slack}`;
}

function evaluateClaim(spec: ClaimSpec, metrics: Readonly<Record<string, number>>): ClaimResult {
  const base = { id: spec.id, text: spec.text, source: spec.source, expectation: describeExpectation(spec) };
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

function compare(x: number, spec: ClaimSpec): boolean {
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
