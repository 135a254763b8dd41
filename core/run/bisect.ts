// A version bisect: the same scenario run across ordered releases (QEMU or a kernel), to name the
// first release where an outcome changes ("would QEMU 7.2 fix this?"). Like git bisect it runs the
// two ends, then halves the range, assuming the outcome changes once between them: about
// log2(n) + 2 runs instead of n. Every release it ran is reported with its outcome, so a second
// change the halving skipped can be seen by listing all of them (`all`).
// Must not: run anything itself (the caller's evaluate runs a scenario) or store results.

import { compareVersions, parseVersion } from '../scenario/versions';

export interface BisectStep {
  readonly version: string;
  readonly outcome: number;
}

export interface BisectResult {
  /** The first version whose outcome differs from the first version's; null when the ends agree. */
  readonly firstChange: string | null;
  /** The outcome before and at the change. */
  readonly before: number | null;
  readonly after: number | null;
  /** Every version run, in version order. */
  readonly steps: readonly BisectStep[];
}

/** Versions sorted oldest first; throws on a malformed one (the caller validated them). */
export function sortVersions(versions: readonly string[]): string[] {
  const parsed = versions.map((v) => {
    const p = parseVersion(v);
    if (p === null) throw new Error(`not a version: ${v}`);
    return { v, p };
  });
  return parsed.sort((a, b) => compareVersions(a.p, b.p)).map((x) => x.v);
}

const same = (a: number, b: number): boolean => a === b || (Number.isNaN(a) && Number.isNaN(b));

/**
 * The index (into `count` ordered versions) to run next, given the outcomes seen so far (index ->
 * outcome), or null when the bisect is done. Halving keeps the invariant outcome(lo) = outcome(0)
 * != outcome(hi), where lo is the newest seen version like the oldest and hi the oldest seen unlike
 * it; `all` takes every version in order. A caller that runs asynchronously (one stored run per
 * step) calls this after each run.
 */
export function bisectNext(count: number, seen: ReadonlyMap<number, number>, all = false): number | null {
  if (count < 2) throw new Error('bisect needs at least two versions');
  if (all) {
    for (let i = 0; i < count; i++) if (!seen.has(i)) return i;
    return null;
  }
  const base = seen.get(0);
  if (base === undefined) return 0;
  const last = seen.get(count - 1);
  if (last === undefined) return count - 1;
  if (same(last, base)) return null;
  let lo = 0;
  let hi = count - 1;
  for (const [i, o] of seen) {
    if (same(o, base)) lo = Math.max(lo, i);
    else hi = Math.min(hi, i);
  }
  return hi - lo > 1 ? (lo + hi) >> 1 : null;
}

/**
 * The result from the outcomes seen: the first seen version (in order) unlike the oldest. Halving
 * only runs versions at or below lo (like the oldest) and at or above hi (unlike it), so that is hi.
 */
export function bisectSummary(order: readonly string[], seen: ReadonlyMap<number, number>): BisectResult {
  const indices = [...seen.keys()].sort((a, b) => a - b);
  const steps = indices.map((i) => ({ version: order[i]!, outcome: seen.get(i)! }));
  const base = seen.get(0);
  const firstIdx = base === undefined ? -1 : indices.findIndex((i) => !same(seen.get(i)!, base));
  if (firstIdx < 0) return { firstChange: null, before: null, after: null, steps };
  const first = indices[firstIdx]!;
  return { firstChange: order[first]!, before: seen.get(indices[firstIdx - 1]!)!, after: seen.get(first)!, steps };
}

/**
 * Finds the first of `versions` (at least two) whose outcome differs from the oldest one's.
 * `all` runs every version instead of halving.
 */
export function bisectVersions(versions: readonly string[], evaluate: (version: string) => number, all = false): BisectResult {
  const order = sortVersions(versions);
  const seen = new Map<number, number>();
  for (let i = bisectNext(order.length, seen, all); i !== null; i = bisectNext(order.length, seen, all)) seen.set(i, evaluate(order[i]!));
  return bisectSummary(order, seen);
}
