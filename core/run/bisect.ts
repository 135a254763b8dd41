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

/**
 * Finds the first of `versions` (at least two) whose outcome differs from the oldest one's.
 * `all` runs every version instead of halving.
 */
export function bisectVersions(versions: readonly string[], evaluate: (version: string) => number, all = false): BisectResult {
  const order = sortVersions(versions);
  if (order.length < 2) throw new Error('bisect needs at least two versions');
  const seen = new Map<number, number>();
  const at = (i: number): number => {
    let o = seen.get(i);
    if (o === undefined) {
      o = evaluate(order[i]!);
      seen.set(i, o);
    }
    return o;
  };
  const same = (a: number, b: number): boolean => a === b || (Number.isNaN(a) && Number.isNaN(b));
  const base = at(0);
  let first = -1;
  if (all) {
    for (let i = 1; i < order.length; i++) if (!same(at(i), base) && first < 0) first = i;
  } else if (!same(at(order.length - 1), base)) {
    // Invariant: outcome(lo) = base, outcome(hi) != base.
    let lo = 0;
    let hi = order.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (same(at(mid), base)) lo = mid;
      else hi = mid;
    }
    first = hi;
  }
  const steps = [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([i, outcome]) => ({ version: order[i]!, outcome }));
  return {
    firstChange: first < 0 ? null : order[first]!,
    before: first < 0 ? null : at(first - 1),
    after: first < 0 ? null : at(first),
    steps,
  };
}
