// What the experiment's variant table says for a variant with no run of its own while a sweep is
// out: the sweep's state of that variant (queued or running on Slurm, or failed with its exit code
// or signal), so a variant whose sweep task failed does not read "not run yet".
// Must not: talk to the lab (the sweep panel collects; this only words what it found).
import type { SweepStatus, SweepVariantStatus } from '../../../../core/contract/experiments';

/** The sweep's variants by name; an empty map without a sweep. */
export function sweepVariantsByName(sweep: SweepStatus | null): ReadonlyMap<string, SweepVariantStatus> {
  return new Map((sweep?.variants ?? []).map((v) => [v.name, v]));
}

/** The words for a variant without a run: null when the sweep has nothing to add (no sweep, or done). */
export function sweepVariantNote(v: SweepVariantStatus | undefined, scheduler: SweepStatus['scheduler']): string | null {
  if (v === undefined) return null;
  const where = scheduler === 'slurm' ? 'Slurm' : 'local workers';
  switch (v.state) {
    case 'pending':
      return `queued on ${where}`;
    case 'running':
      return `running on ${where}`;
    case 'failed': {
      const why = v.exitCode !== null ? `exit code ${v.exitCode}` : v.signal !== null ? `signal ${v.signal}` : (v.reason ?? 'no bundle');
      return `sweep task failed (${why}, attempt ${v.attempt}): see the sweep below`;
    }
    case 'done':
      return null;
  }
}
