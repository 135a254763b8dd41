// A stand-in for Slurm 22.05's client commands on one node, for the e2e spec of the Experiments
// screen's sweep panel (e2e/sweepPanel.spec.ts): `sbatch`, `squeue` and `scontrol` on the test
// server's PATH are small wrappers that run this file with the command's name first. What it
// emulates, as the lab reads it (electron/service/slurmQueue.ts, docs/cluster.md):
// - `sbatch --parsable --array=SPEC --output=PATTERN --chdir=DIR [--job-name= --partition= --time=] SCRIPT`
//   prints the array job id and starts a detached "node" that runs the array's tasks one at a time,
//   each as `SCRIPT` with SLURM_ARRAY_JOB_ID / SLURM_ARRAY_TASK_ID / SLURM_JOB_ID set and its output
//   to PATTERN with %A and %a filled in (a task that starts is split off the array's record with a job id
//   of its own; the last to start keeps the array job id, as in Slurm). Only partition "debug" exists.
// - `squeue --json` prints every job record still held (finished ones too, until MinJobAge), whatever
//   -j or -t say, in 22.05's shape: an array's tasks not yet started are one PENDING record with
//   array_task_id null and array_task_string "1-2"; `exit_code` is the raw wait status (exit 3 is 768).
// - `scontrol show job -o ID` prints one line per record of the array (ExitCode=code:signal), or
//   "Invalid job id specified" with exit 1 once the controller forgot it.
// These shapes were checked against a real 22.05.8 single-node cluster (tooling/slurmCluster.ts): a
// held array of three tasks, one exiting 3, read with squeue --json and scontrol show job -o.
// The spec steers it through the environment the server passes on: FAKE_SLURM_DIR (its state: one
// JSON file per task under tasks/), and files there: `hold` keeps every task pending and
// `hold-running` keeps a task that started running (before its script runs) until removed,
// `controller-down` makes squeue fail as with an unreachable slurmctld, `squeue-calls` counts the
// squeue calls; FAKE_SLURM_FAIL_ONCE=I makes the first attempt of task I fail with exit code 3 (its
// log says so) without running it; FAKE_SLURM_MIN_JOB_AGE (seconds, default 300) is how long
// finished records stay.
// Must not: touch anything outside FAKE_SLURM_DIR but the task's --output log (the task itself
// writes its bundle); leave its node running once every task of its array has ended.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, join } from 'node:path';

const command = process.argv[2] ?? '';
const args = process.argv.slice(3);

function fail(message, code = 1) {
  process.stderr.write(`${command}: error: ${message}\n`);
  process.exit(code);
}

const dir = process.env['FAKE_SLURM_DIR'] ?? fail('FAKE_SLURM_DIR is not set (the fake Slurm keeps its state there)');
const tasksDir = join(dir, 'tasks');
mkdirSync(tasksDir, { recursive: true });

function writeJson(path, value) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 1));
  renameSync(tmp, path);
}

function taskPath(arrayJobId, taskId) {
  return join(tasksDir, `${arrayJobId}_${taskId}.json`);
}

/** Every task record still held: those finished longer than MinJobAge ago are forgotten. */
function records() {
  const minJobAgeMs = Number(process.env['FAKE_SLURM_MIN_JOB_AGE'] ?? 300) * 1000;
  const now = Date.now();
  return readdirSync(tasksDir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => {
      try {
        return [JSON.parse(readFileSync(join(tasksDir, f), 'utf8'))];
      } catch {
        return []; // being replaced this very moment: the next look sees it
      }
    })
    .filter((t) => t.endTime === null || now - t.endTime < minJobAgeMs)
    .sort((a, b) => a.arrayJobId - b.arrayJobId || a.taskId - b.taskId);
}

/** Task ids of an --array spec: "0-2", "1,4-5", with an optional %throttle (ignored: one node). */
function parseArray(spec) {
  const ids = [];
  for (const part of spec.replace(/%\d+$/, '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (m === null) fail(`Invalid job array specification: ${spec}`);
    for (let i = Number(m[1]); i <= Number(m[2] ?? m[1]); i++) ids.push(i);
  }
  return ids;
}

/** Ids in Slurm's compressed form: [1, 2, 5] -> "1-2,5". */
function compress(ids) {
  const parts = [];
  for (let i = 0; i < ids.length;) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
    parts.push(i === j ? `${ids[i]}` : `${ids[i]}-${ids[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function sbatch() {
  const options = { parsable: false, array: null, output: null, chdir: process.cwd(), name: null, partition: 'debug', time: null };
  let script = null;
  for (const a of args) {
    const [key, value] = a.startsWith('--')
      ? [a.slice(0, a.includes('=') ? a.indexOf('=') : a.length), a.slice(a.indexOf('=') + 1)]
      : [a, ''];
    if (script !== null) continue; // the script's own arguments
    if (key === '--parsable') options.parsable = true;
    else if (key === '--array') options.array = value;
    else if (key === '--output') options.output = value;
    else if (key === '--chdir') options.chdir = value;
    else if (key === '--job-name') options.name = value;
    else if (key === '--partition') options.partition = value;
    else if (key === '--time') options.time = value;
    else if (a.startsWith('-')) fail(`unrecognized option '${a}'`);
    else script = a;
  }
  if (script === null) fail('no batch script given');
  if (!existsSync(script)) fail(`Unable to open file ${script}`);
  if (options.partition !== 'debug') fail(`invalid partition specified: ${options.partition}`);
  if (options.time !== null && !/^(\d+-)?\d+(:\d+){0,2}$/.test(options.time)) fail(`Invalid --time specification`);
  const ids = options.array === null ? [0] : parseArray(options.array);
  const counter = join(dir, 'next-job-id');
  const arrayJobId = existsSync(counter) ? Number(readFileSync(counter, 'utf8')) : 1000;
  writeFileSync(counter, String(arrayJobId + ids.length));
  const submitTime = Date.now();
  for (const taskId of ids) {
    writeJson(taskPath(arrayJobId, taskId), {
      arrayJobId,
      taskId,
      jobId: null,
      name: options.name ?? basename(script),
      partition: options.partition,
      script,
      chdir: options.chdir,
      output: (options.output ?? join(options.chdir, 'slurm-%A_%a.out'))
        .replaceAll('%A', String(arrayJobId))
        .replaceAll('%a', String(taskId)),
      state: 'PENDING',
      reason: 'Resources',
      status: 0,
      submitTime,
      startTime: null,
      endTime: null,
    });
  }
  // The node: runs the array's tasks after this command returned, as slurmd would.
  const node = spawn(process.execPath, [process.argv[1], 'node', String(arrayJobId)], {
    detached: true,
    stdio: 'ignore',
    env: process.env,
  });
  writeFileSync(join(dir, `node-${arrayJobId}.pid`), String(node.pid));
  node.unref();
  process.stdout.write(options.parsable ? `${arrayJobId}\n` : `Submitted batch job ${arrayJobId}\n`);
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** Runs every task of array `arrayJobId`, one at a time. */
async function node() {
  const arrayJobId = Number(args[0]);
  const failOnce = process.env['FAKE_SLURM_FAIL_ONCE'];
  let started = 0;
  const mine = () => records().filter((t) => t.arrayJobId === arrayJobId && t.state === 'PENDING');
  for (let pending = mine(); pending.length > 0; pending = mine()) {
    while (existsSync(join(dir, 'hold'))) await sleep(100);
    const task = pending[0];
    // Split off the array's record with an id of its own; the last task to start keeps the array job id.
    const jobId = pending.length === 1 ? arrayJobId : arrayJobId + 1 + started;
    started++;
    const start = { ...task, jobId, state: 'RUNNING', reason: 'None', startTime: Date.now() };
    writeJson(taskPath(arrayJobId, task.taskId), start);
    while (existsSync(join(dir, 'hold-running'))) await sleep(100);
    const log = openSync(start.output, 'w');
    let status;
    const marker = join(dir, `failed-once-${task.taskId}`);
    if (failOnce === String(task.taskId) && !existsSync(marker)) {
      writeFileSync(marker, '');
      writeSync(log, `fake slurmstepd: task ${task.taskId} of job ${arrayJobId} made to fail with exit code 3 (FAKE_SLURM_FAIL_ONCE)\n`);
      status = 3 << 8;
    } else {
      const env = {
        ...process.env,
        SLURM_JOB_ID: String(start.jobId),
        SLURM_ARRAY_JOB_ID: String(arrayJobId),
        SLURM_ARRAY_TASK_ID: String(task.taskId),
        SLURM_SUBMIT_DIR: start.chdir,
      };
      status = await new Promise((done) => {
        const child = spawn(start.script, [], { cwd: start.chdir, env, stdio: ['ignore', log, log] });
        child.on('error', () => done(127 << 8));
        child.on('exit', (code, signal) => done(signal !== null ? (SIGNALS[signal] ?? 9) : (code ?? 0) << 8));
      });
    }
    closeSync(log);
    const state = status === 0 ? 'COMPLETED' : (status & 0x7f) !== 0 ? 'CANCELLED' : 'FAILED';
    writeJson(taskPath(arrayJobId, task.taskId), {
      ...start,
      state,
      reason: state === 'FAILED' ? 'NonZeroExitCode' : 'None',
      status,
      endTime: Date.now(),
    });
  }
}

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** The job records of squeue and scontrol: an array's not yet started tasks are one record. */
function jobRecords() {
  const out = [];
  const all = records();
  for (const arrayJobId of [...new Set(all.map((t) => t.arrayJobId))]) {
    const tasks = all.filter((t) => t.arrayJobId === arrayJobId);
    const waiting = tasks.filter((t) => t.state === 'PENDING');
    for (const t of tasks) if (t.state !== 'PENDING') out.push({ ...t, taskString: '' });
    // The array's own record: its job id is the array job id (the last task to start takes it over).
    if (waiting.length > 0) {
      out.push({ ...waiting[0], taskId: null, jobId: arrayJobId, taskString: compress(waiting.map((t) => t.taskId)) });
    }
  }
  return out;
}

function squeue() {
  const calls = join(dir, 'squeue-calls');
  writeFileSync(calls, String((existsSync(calls) ? Number(readFileSync(calls, 'utf8')) : 0) + 1));
  if (existsSync(join(dir, 'controller-down'))) {
    process.stderr.write('slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n');
    process.exit(1);
  }
  if (!args.includes('--json')) fail('this fake squeue prints --json only');
  const user = userInfo().username;
  const seconds = (ms) => (ms === null ? 0 : Math.floor(ms / 1000));
  const jobs = jobRecords().map((r) => ({
    account: '',
    array_job_id: r.arrayJobId,
    array_task_id: r.taskId,
    array_max_tasks: 0,
    array_task_string: r.taskString,
    batch_host: r.state === 'PENDING' ? '' : 'node0',
    command: r.script,
    current_working_directory: r.chdir,
    end_time: seconds(r.endTime),
    exit_code: r.status,
    job_id: r.jobId ?? r.arrayJobId,
    job_state: r.state,
    name: r.name,
    nodes: r.state === 'PENDING' ? '' : 'node0',
    partition: r.partition,
    start_time: seconds(r.startTime),
    state_reason: r.reason,
    submit_time: seconds(r.submitTime),
    standard_output: r.output,
    user_name: user,
  }));
  const doc = {
    meta: {
      plugin: { type: 'openapi/v0.0.38', name: 'Slurm OpenAPI v0.0.38' },
      Slurm: { version: { major: 22, micro: 8, minor: 5 }, release: '22.05.8' },
    },
    errors: [],
    jobs,
  };
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}

function scontrol() {
  const rest = args.filter((a) => a !== '-o' && a !== '--oneliner');
  if (rest[0] !== 'show' || rest[1] !== 'job' || rest[2] === undefined) fail('this fake scontrol answers `show job -o ID` only');
  const id = Number(rest[2]);
  const lines = jobRecords()
    .filter((r) => r.arrayJobId === id || r.jobId === id)
    .map((r) => {
      const code = r.status >> 8;
      const signal = r.status & 0x7f;
      return [
        `JobId=${r.jobId ?? r.arrayJobId}`,
        `ArrayJobId=${r.arrayJobId}`,
        `ArrayTaskId=${r.taskId ?? r.taskString}`,
        `JobName=${r.name}`,
        `UserId=${userInfo().username}(${userInfo().uid})`,
        `JobState=${r.state}`,
        `Reason=${r.reason}`,
        'Dependency=(null)',
        `ExitCode=${signal === 0 ? code : 0}:${signal}`,
        `Partition=${r.partition}`,
        `WorkDir=${r.chdir}`,
        `StdOut=${r.output}`,
      ].join(' ');
    });
  if (lines.length === 0) fail('slurm_load_jobs error: Invalid job id specified');
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (command === 'sbatch') sbatch();
else if (command === 'node') await node();
else if (command === 'squeue') squeue();
else if (command === 'scontrol') scontrol();
else fail(`unknown command "${command}" (sbatch, squeue, scontrol)`);
