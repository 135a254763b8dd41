// How a claim's measured value is shown: with the unit the run gave it (a metric claim names its
// metric and unit, a ratio claim says "<unit> per <unit>", a step claim's value is the step's
// output). Runs stored before claims carried a unit show the number and say so.
// Must not: judge the claim (the run did: `holds`), or read units out of the expectation text.

import type { ClaimResult } from '../../../../core/contract/runResult';
import { formatCount, formatWithUnit } from '../../format/units';

export function formatMeasured(claim: Pick<ClaimResult, 'measured' | 'per' | 'unit'>): string {
  if (claim.measured === null) return 'no numeric value';
  if (claim.unit === undefined) return `${formatCount(claim.measured)} (unit not recorded for this run)`;
  if (claim.per !== undefined) return `${formatCount(claim.measured)} (ratio, ${claim.unit})`;
  if (claim.unit === 'value') return `${formatCount(claim.measured)} (step output)`;
  return formatWithUnit(claim.measured, claim.unit);
}
