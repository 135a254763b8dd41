// Peak resident memory of this process since it was exec'd, in MiB, for the bench's child processes.
// process.resourceUsage().maxRSS cannot be used there: Linux carries a parent's high-water mark into
// a child across fork + exec (getrusage's ru_maxrss is the larger of signal->maxrss, which exec sets
// from the old mm in exec_mmap / setmax_mm_hiwater_rss, and the current mm's hiwater), so a child of
// a 550 MiB bench process reports at least 550 MiB whatever it does. /proc/self/status VmHWM is the
// new mm's own high-water mark. Falls back to maxRSS where /proc is missing (not Linux).
// Must not: be used for a process that was not started by exec (a worker thread shares the mm).

import { readFileSync } from 'node:fs';

/** VmHWM of /proc/self/status in MiB, or maxRSS where there is no /proc. */
export function peakRssMiB(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) / 1024;
  } catch {
    // not Linux: fall through
  }
  return process.resourceUsage().maxRSS / 1024;
}
