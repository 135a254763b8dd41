// How a claim's measured value is shown: with the unit of the metric it measures (read from the
// claim's expectation, "io.bandwidthMBps between 3325 and 3500"), as a ratio when the claim divides
// two metrics ("a / b >= 0.8"), or as a step's output for ops-step claims.
// Must not: judge the claim (the run did: `holds`).

import type { ClaimResult } from '../../../core/contract/runResult';
import { formatCount, formatWithUnit } from '../format/units';

const METRIC_EXPECTATION = /^(\S+?)(?: \/ (\S+?))? (?:between|>=|<=|==|>|<) /;
const STEP_EXPECTATION = /^(?:\S+ )?step \d+ -> /;

export type ClaimSubject =
  | { readonly kind: 'metric'; readonly metric: string }
  | { readonly kind: 'ratio'; readonly metric: string; readonly per: string }
  | { readonly kind: 'step' }
  | { readonly kind: 'unknown' };

export function claimSubject(claim: Pick<ClaimResult, 'expectation'>): ClaimSubject {
  if (STEP_EXPECTATION.test(claim.expectation)) return { kind: 'step' };
  const m = METRIC_EXPECTATION.exec(claim.expectation);
  if (m === null) return { kind: 'unknown' };
  return m[2] === undefined ? { kind: 'metric', metric: m[1]! } : { kind: 'ratio', metric: m[1]!, per: m[2] };
}

/** The measured value with its unit; `unitOf` gives a metric's catalog unit (variant prefixes allowed). */
export function formatMeasured(claim: Pick<ClaimResult, 'expectation' | 'measured'>, unitOf: (metric: string) => string): string {
  if (claim.measured === null) return 'no numeric value';
  const subject = claimSubject(claim);
  switch (subject.kind) {
    case 'metric':
      return formatWithUnit(claim.measured, unitOf(subject.metric));
    case 'ratio':
      return `${formatCount(claim.measured)} (ratio, ${unitOf(subject.metric) || 'no unit'} per ${unitOf(subject.per) || 'no unit'})`;
    case 'step':
      return `${formatCount(claim.measured)} (step output)`;
    case 'unknown':
      return `${formatCount(claim.measured)} (unit not stated)`;
    default: {
      const never: never = subject;
      throw new Error(`unknown claim subject ${JSON.stringify(never)}`);
    }
  }
}
