// How many runs the lab executes at once (the run queue's worker pool; an experiment's variants run
// in parallel up to it): PCILAB_WORKERS when set (an integer >= 1), else the cores this machine
// offers (os.availableParallelism()), at least 1.
// Must not: read anything but the environment it is given and the machine's core count.

import { availableParallelism } from 'node:os';

export const WORKERS_ENV = 'PCILAB_WORKERS';

export interface RunConcurrency {
  readonly workers: number;
  /** Why PCILAB_WORKERS was ignored (not an integer >= 1), or null. */
  readonly problem: string | null;
}

export function runConcurrency(
  env: Readonly<Record<string, string | undefined>>,
  cores: () => number = availableParallelism,
): RunConcurrency {
  const fallback = Math.max(1, Math.floor(cores()));
  const raw = env[WORKERS_ENV]?.trim();
  if (raw === undefined || raw === '') return { workers: fallback, problem: null };
  const n = Number(raw);
  if (Number.isInteger(n) && n >= 1) return { workers: n, problem: null };
  return { workers: fallback, problem: `${WORKERS_ENV}="${raw}" is not an integer >= 1: using the ${fallback} cores this machine offers` };
}
