// The end of a failed sweep task's log for the app's sweep panel (docs/cluster.md): the lab's
// collect reports each task's log by its path, which the Experiments screen cannot open (in the
// browser mode it may not even be on the same filesystem as the browser), so the panel is given
// the log's last lines beside the path, read here from the end of the file (a task's log can be large).
// Must not: read a whole log, or fail a collect because a log is missing or unreadable (it says so instead).

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { SweepStatus } from '../../core/contract/experiments';
import { errorMessage } from './labError';

/** At most this many bytes are read from the end of a log. */
export const LOG_TAIL_BYTES = 4096;
/** At most this many of its last lines are shown. */
export const LOG_TAIL_LINES = 15;

/** The last lines of the file at `path` (at most LOG_TAIL_LINES, from its last LOG_TAIL_BYTES), or a line saying why not. */
export function logTail(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    return (err as { code?: unknown }).code === 'ENOENT'
      ? '(no log: the task did not start, or its node wrote it elsewhere)'
      : `(log unreadable: ${errorMessage(err)})`;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return '(the log is empty)';
    const start = Math.max(0, size - LOG_TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    const read = readSync(fd, buffer, 0, buffer.length, start);
    let lines = buffer.subarray(0, read).toString('utf8').split('\n');
    // Cut inside a line: drop that partial first line.
    if (start > 0 && lines.length > 1) lines = lines.slice(1);
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-LOG_TAIL_LINES).join('\n');
  } catch (err) {
    return `(log unreadable: ${errorMessage(err)})`;
  } finally {
    closeSync(fd);
  }
}

/** `status` with the log's last lines on each failed variant. */
export function withLogTails(status: SweepStatus): SweepStatus {
  return { ...status, variants: status.variants.map((v) => (v.state === 'failed' ? { ...v, logTail: logTail(v.log) } : v)) };
}
