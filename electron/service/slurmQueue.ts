// What Slurm says about a sweep's job array (docs/cluster.md): `squeue --json` (every job record the
// controller still holds, finished ones too until MinJobAge) and `scontrol show job -o` (one line per
// record) parsed into one state per array task. Slurm 22.05 facts this relies on: `squeue --json`
// ignores -j and -t, so records are filtered on array_job_id here; an array whose tasks have not
// been split off yet is one PENDING record with array_task_id unset and array_task_string "0-19"
// (or "3,7-9%4"); `exit_code` in the JSON is the raw wait status of the batch script (exit 3 is
// 768: the code is status >> 8, a signal status & 0x7f); newer releases wrap numbers as
// {"set", "infinite", "number"}. `scontrol show job` prints ExitCode=code:signal already split.
// sacct is not used: it needs slurmdbd, which a plain cluster may not run.
// Must not: run anything (sweepScheduler.ts runs squeue and scontrol) or touch files.

/** A task's state as a sweep reports it. */
export type TaskQueueState = 'pending' | 'running' | 'done' | 'failed';

export interface TaskRecord {
  readonly arrayJobId: number;
  readonly taskId: number;
  readonly state: TaskQueueState;
  /** Slurm's own state name (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, ...). */
  readonly slurmState: string;
  /** The script's exit code (null while it has not ended, or killed by a signal). */
  readonly exitCode: number | null;
  /** The signal that ended it, if one did. */
  readonly signal: number | null;
  /** Why it waits or failed (Slurm's Reason), when Slurm gives one. */
  readonly reason: string | null;
}

/** Slurm states that mean the task still waits to start (or will start again). */
const PENDING = new Set(['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD', 'SUSPENDED', 'CONFIGURING']);
const RUNNING = new Set(['RUNNING', 'COMPLETING', 'STAGE_OUT', 'SIGNALING', 'RESIZING']);

/** Maps Slurm's job state (possibly with flags, "COMPLETED+..." or a list in newer JSON) to a task state. */
export function taskStateOf(slurmState: string, exitCode: number | null): TaskQueueState {
  const base = slurmState.split(/[+ ,]/)[0]!.toUpperCase();
  if (PENDING.has(base)) return 'pending';
  if (RUNNING.has(base)) return 'running';
  if (base === 'COMPLETED') return exitCode === null || exitCode === 0 ? 'done' : 'failed';
  // FAILED, CANCELLED, TIMEOUT, NODE_FAIL, PREEMPTED, BOOT_FAIL, DEADLINE, OUT_OF_MEMORY, ...
  return 'failed';
}

/** A raw wait status (as waitpid gives it, and as 22.05's JSON carries exit_code): the exit code and signal. */
export function decodeWaitStatus(status: number): { exitCode: number | null; signal: number | null } {
  const signal = status & 0x7f;
  if (signal !== 0) return { exitCode: null, signal };
  return { exitCode: (status >> 8) & 0xff, signal: null };
}

/** The task ids an array_task_string names: "0-19", "3,7-9", "0-19%4" (a throttle), "1-9:2" (a step). */
export function parseArrayTaskString(text: string): number[] {
  const ids: number[] = [];
  const body = text.replace(/%\d+$/, '').replace(/^\[|\]$/g, '');
  if (body.trim() === '') return ids;
  for (const part of body.split(',')) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part.trim());
    if (m === null) continue;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    const step = m[3] === undefined ? 1 : Math.max(1, Number(m[3]));
    for (let i = from; i <= to && ids.length < 1_000_000; i += step) ids.push(i);
  }
  return ids;
}

/** A JSON number of any Slurm release: a plain number, or {"set": true, "number": n} (23.02 and later). */
function jsonNumber(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'object' && v !== null) {
    const o = v as { set?: unknown; number?: unknown; infinite?: unknown };
    if (o.set === false || o.infinite === true) return null;
    if (typeof o.number === 'number') return o.number;
    // 23.11 and later: exit_code is {"status": [...], "return_code": {...}, "signal": {...}}.
    const rc = (v as { return_code?: unknown }).return_code;
    if (rc !== undefined) return jsonNumber(rc);
  }
  return null;
}

function jsonState(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(String).join('+');
  return 'UNKNOWN';
}

/**
 * The tasks of the array jobs `arrayJobIds` in `squeue --json` output (any other job is ignored: 22.05
 * lists every job whatever -j says). An unsplit pending record yields one pending record per id of
 * its array_task_string. Throws on output that is not squeue's JSON.
 */
export function parseSqueueJson(text: string, arrayJobIds: readonly number[]): TaskRecord[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`squeue --json printed something that is not JSON: ${text.slice(0, 80)}`);
  }
  const jobs = (doc as { jobs?: unknown }).jobs;
  if (!Array.isArray(jobs)) throw new Error('squeue --json printed no "jobs" list');
  const wanted = new Set(arrayJobIds);
  const records: TaskRecord[] = [];
  for (const raw of jobs as Record<string, unknown>[]) {
    const arrayJobId = jsonNumber(raw['array_job_id']);
    if (arrayJobId === null || !wanted.has(arrayJobId)) continue;
    const slurmState = jsonState(raw['job_state']);
    const rawExit = raw['exit_code'];
    // 22.05: a raw wait status; 23.11+: an object whose return_code is the code already.
    const decoded =
      typeof rawExit === 'object' && rawExit !== null && 'return_code' in rawExit
        ? { exitCode: jsonNumber(rawExit), signal: jsonNumber((rawExit as { signal?: { id?: unknown } }).signal?.id) || null }
        : decodeWaitStatus(jsonNumber(rawExit) ?? 0);
    const reason = typeof raw['state_reason'] === 'string' && raw['state_reason'] !== 'None' ? raw['state_reason'] : null;
    const taskId = jsonNumber(raw['array_task_id']);
    const taskString = typeof raw['array_task_string'] === 'string' ? raw['array_task_string'] : '';
    const ids = taskId !== null ? [taskId] : parseArrayTaskString(taskString);
    const ended = taskStateOf(slurmState, decoded.exitCode);
    for (const id of ids) {
      records.push({
        arrayJobId,
        taskId: id,
        state: ended,
        slurmState,
        exitCode: ended === 'done' || ended === 'failed' ? decoded.exitCode : null,
        signal: ended === 'failed' ? decoded.signal : null,
        reason,
      });
    }
  }
  return records;
}

/** The records of `scontrol show job -o <id>` output (one line each); the array's tasks are those with ArrayJobId. */
export function parseScontrolJobs(text: string): TaskRecord[] {
  const records: TaskRecord[] = [];
  for (const line of text.split('\n')) {
    if (!/\bJobId=\d+/.test(line)) continue;
    const field = (name: string): string | null => new RegExp(`(?:^|\\s)${name}=(\\S*)`).exec(line)?.[1] ?? null;
    const arrayJobId = Number(field('ArrayJobId'));
    const taskText = field('ArrayTaskId') ?? '';
    const slurmState = field('JobState') ?? 'UNKNOWN';
    const [code, sig] = (field('ExitCode') ?? '0:0').split(':').map(Number);
    const signal = sig !== undefined && sig > 0 ? sig : null;
    const exitCode = signal === null ? (code ?? null) : null;
    const reasonText = field('Reason');
    const reason = reasonText === null || reasonText === 'None' ? null : reasonText;
    if (!Number.isSafeInteger(arrayJobId)) continue;
    const ended = taskStateOf(slurmState, exitCode);
    for (const taskId of /^\d+$/.test(taskText) ? [Number(taskText)] : parseArrayTaskString(taskText)) {
      records.push({
        arrayJobId,
        taskId,
        state: ended,
        slurmState,
        exitCode: ended === 'done' || ended === 'failed' ? exitCode : null,
        signal: ended === 'failed' ? signal : null,
        reason,
      });
    }
  }
  return records;
}

/** The job id `sbatch --parsable` printed ("1234" or "1234;cluster"). */
export function parseSbatchParsable(text: string): number {
  const id = Number(text.trim().split(';')[0]);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`sbatch --parsable printed no job id: "${text.trim().slice(0, 80)}"`);
  return id;
}

/** Compresses task ids into Slurm's --array syntax: [0,1,2,5] -> "0-2,5". */
export function arraySpec(ids: readonly number[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
