import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { SCENARIO_FILE_MAX_BYTES } from '../../core/contract/desktopShell';
import { EXIT_INTERNAL, EXIT_INVALID, EXIT_OK, formatProgress, labVersion, main, type CliIo } from './main';
import { formatRunText, runJson } from './cliOutput';
import { RunStore } from '../../db/runStore';
import { LabService } from '../service/labService';
import { spawnRunWorker } from '../service/workerSpawner';
import type { RunDetail } from '../../core/contract/runResult';
import { runCliOnReadOnlyDir } from './readOnlyDir.testkit';
import { LATEST_SCHEMA_VERSION } from '../../db/migrations';
import { openLabDatabase } from '../../db/database';
import { ComparisonStore } from '../../db/comparisonStore';
import { QueryStore } from '../../db/queryStore';

let dir: string;
let out: string[];
let err: string[];
let stdout: string[];
let io: CliIo;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-cli-'));
  out = [];
  err = [];
  stdout = [];
  io = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    writeStdout: (t) => stdout.push(typeof t === 'string' ? t : Buffer.from(t).toString('latin1')),
    env: { PCILAB_DB: join(dir, 'lab.db') },
    isTty: false,
  };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('pcilab run', () => {
  it('prints exactly the documented --json shape: run, metrics, memlock, ops, claims', () => {
    expect(main(['run', 'quickstart-nvme-fio', '--set', 'durationMs=1', '--json'], io)).toBe(EXIT_OK);
    const json = JSON.parse(out.join('')) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['run', 'metrics', 'memlock', 'ops', 'claims']);
    expect(Object.keys(json['run'] as object)).toEqual(['id', 'status']);
    const claims = json['claims'] as Record<string, unknown>[];
    expect(claims.length).toBeGreaterThan(0);
    for (const c of claims) {
      expect(Object.keys(c)).toEqual(['id', 'text', 'holds', 'measured', 'unit', 'expectation', 'source', 'whyNot']);
    }
  });

  it('exits 2 with one line per problem, with its path, for an invalid scenario file', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'name: bad\nseed: -1\nvms:\n  - vcpus: 0\n');
    expect(main(['run', file, '--db', join(dir, 'lab.db')], io)).toBe(EXIT_INVALID);
    expect(err).toEqual([expect.stringMatching(/^seed: /), expect.stringMatching(/^vms\.0\.vcpus: /)]);
    expect(out).toEqual([]);
  });

  it('exits 2 with a path: message line for a 100,000-deep JSON file (no stack overflow, no internal error)', () => {
    const file = join(dir, 'deep.json');
    writeFileSync(file, '{"name":"deep","workload":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}');
    expect(main(['run', file, '--db', join(dir, 'lab.db')], io)).toBe(EXIT_INVALID);
    expect(err).toEqual([expect.stringMatching(/^workload(\.0)+: nested deeper than 64 levels$/)]);
  });

  it('reads a scenario path through the bounded reader: a directory, a FIFO or a device is a path: message line, exit 2', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const [path, what] of [
      [dir, 'a directory'],
      [fifo, 'a FIFO'],
      ['/dev/zero', 'a device'],
    ] as const) {
      err = [];
      expect(main(['run', path], io)).toBe(EXIT_INVALID);
      expect(err).toEqual([`${path}: is ${what}, not a scenario file`]);
    }
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `name: big\n#${'x'.repeat(SCENARIO_FILE_MAX_BYTES)}\n`);
    err = [];
    expect(main(['run', big], io)).toBe(EXIT_INVALID);
    expect(err).toEqual([expect.stringMatching(/^.*big\.yaml: larger than 8,388,608 bytes/)]);
  });

  it('exits 2 for an unknown target, option or command', () => {
    expect(main(['run', 'no-such-thing'], io)).toBe(EXIT_INVALID);
    expect(main(['run', 'quickstart-nvme-fio', '--bogus'], io)).toBe(EXIT_INVALID);
    expect(main(['frobnicate'], io)).toBe(EXIT_INVALID);
    expect(main(['run', 'quickstart-nvme-fio', '--seed', 'x'], io)).toBe(EXIT_INVALID);
  });

  it('stores the run so `runs` lists it', () => {
    main(['run', 'quickstart-nvme-fio', '--set', 'durationMs=1', '--json'], io);
    out = [];
    expect(main(['runs', '--json'], io)).toBe(EXIT_OK);
    const runs = JSON.parse(out.join('')) as { name: string; status: string }[];
    expect(runs).toEqual([expect.objectContaining({ name: 'quickstart-nvme-fio', status: 'completed' })]);
  });

  it('stores the run as the app does (same launcher path): only ids, times and wall time differ', async () => {
    const args = ['quickstart-nvme-fio', '--set', 'durationMs=1', '--seed', '3'];
    expect(main(['run', ...args, '--json'], io)).toBe(EXIT_OK);
    const cliId = (JSON.parse(out.join('')) as { run: { id: number } }).run.id;
    const service = new LabService({ dbPath: join(dir, 'lab.db'), spawnWorker: spawnRunWorker, version: 'test' });
    try {
      const { runId: appId } = await service.startRun({ preset: 'quickstart-nvme-fio', overrides: ['durationMs=1'], seed: 3 });
      await service.idle();
      const comparable = ({ id: _id, createdAt: _c, finishedAt: _f, metrics, ...rest }: RunDetail): object => ({
        ...rest,
        metrics: { ...metrics, 'sim.wallMs': 0 },
      });
      expect(comparable(await service.getRun(appId))).toEqual(comparable(await service.getRun(cliId)));
    } finally {
      service.close();
    }
  });
});

function runOnce(overrides: string[]): number {
  out = [];
  expect(main(['run', 'quickstart-nvme-fio', '--set', 'durationMs=1', ...overrides.flatMap((o) => ['--set', o]), '--json'], io)).toBe(
    EXIT_OK,
  );
  return (JSON.parse(out.join('')) as { run: { id: number } }).run.id;
}

describe('pcilab export', () => {
  it('writes a stored run in each format and exits 0', () => {
    const id = runOnce([]);
    for (const format of ['perfetto', 'csv', 'json']) {
      const file = join(dir, `out.${format}`);
      err = [];
      expect(main(['export', String(id), '--format', format, '--out', file], io)).toBe(EXIT_OK);
      const text = readFileSync(file, 'utf8');
      if (format === 'csv') expect(text.split('\n')[0]).toBe('seq,t_ns,dur_ns,lane,kind,failure,cause,args');
      else expect(() => JSON.parse(text) as unknown).not.toThrow();
      expect(err.join('')).toContain(`wrote run ${id}`);
    }
  });

  it('exits 1 for an unknown run and 2 for a bad format or missing --out', () => {
    const id = runOnce([]);
    const file = join(dir, 'x.csv');
    err = [];
    expect(main(['export', '9999', '--format', 'csv', '--out', file], io)).toBe(EXIT_INTERNAL);
    expect(err.join('')).toContain('no run 9999');
    expect(main(['export', String(id), '--format', 'xml', '--out', file], io)).toBe(EXIT_INVALID);
    expect(main(['export', String(id), '--format', 'csv'], io)).toBe(EXIT_INVALID);
    expect(main(['export', 'abc', '--format', 'csv', '--out', file], io)).toBe(EXIT_INVALID);
  });
});

describe('pcilab compare', () => {
  it('prints the comparison as a table or as JSON, and exits 0', () => {
    const a = runOnce([]);
    const b = runOnce(['seed=7']);
    out = [];
    expect(main(['compare', String(a), String(b), '--json'], io)).toBe(EXIT_OK);
    const c = JSON.parse(out.join('')) as { runs: { id: number }[]; metrics: { name: string }[]; config: { path: string }[] };
    expect(c.runs.map((r) => r.id)).toEqual([a, b]);
    expect(c.config.map((d) => d.path)).toEqual(['seed']);
    expect(c.metrics.map((m) => m.name)).toContain('io.iops');
    out = [];
    expect(main(['compare', String(a), String(b)], io)).toBe(EXIT_OK);
    expect(out.join('')).toMatch(/io\.iops\s+IO\/s/);
    expect(out.join('')).toContain('seed: 1 | 7');
  });

  it('exits 1 for an unknown run and 2 for fewer than two runs or a bad id', () => {
    const a = runOnce([]);
    expect(main(['compare', String(a), '9999'], io)).toBe(EXIT_INTERNAL);
    expect(main(['compare', String(a)], io)).toBe(EXIT_INVALID);
    expect(main(['compare', String(a), 'x'], io)).toBe(EXIT_INVALID);
  });
});

describe('pcilab export-comparison and import-comparison', () => {
  it('lists saved comparisons, writes one as a file, and imports it where its runs are (queries added once)', () => {
    const a = runOnce([]);
    const b = runOnce(['seed=7']);
    const db = openLabDatabase(join(dir, 'lab.db'));
    const id = new ComparisonStore(db).create({ name: 'seeds', runIds: [a, b] }, 0);
    new QueryStore(db).create({ name: 'all events', sql: 'SELECT count(*) FROM events' }, 0);
    db.close();
    out = [];
    expect(main(['export-comparison'], io)).toBe(EXIT_OK);
    expect(out).toEqual([`${id}\tseeds\truns ${a}, ${b}\tsaved 1970-01-01T00:00:00.000Z`]);
    const file = join(dir, 'c.json');
    expect(main(['export-comparison', String(id), '--out', file], io)).toBe(EXIT_OK);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as {
      runs: { id: number }[];
      table: { config: { path: string }[] };
      queries: unknown[];
    };
    expect(doc.runs.map((r) => r.id)).toEqual([a, b]);
    expect(doc.table.config.map((c) => c.path)).toEqual(['seed']);
    expect(doc.queries).toEqual([{ name: 'all events', sql: 'SELECT count(*) FROM events' }]);
    out = [];
    expect(main(['import-comparison', file, '--json'], io)).toBe(EXIT_OK);
    expect(JSON.parse(out.join(''))).toEqual({
      comparisonId: id + 1,
      name: 'seeds',
      runIds: [a, b],
      missingRuns: [],
      queriesAdded: 0,
      queriesKnown: 1,
    });
    err = [];
    expect(main(['import-comparison', file, '--db', join(dir, 'other.db')], io)).toBe(EXIT_INTERNAL);
    expect(err).toEqual([expect.stringMatching(/^pcilab: .*c\.json: 0 of its 2 runs are in this lab .*Import their run bundles first/)]);
  });

  it('exits 2 for a file that is not a comparison, a missing file and a bad id; 1 for a missing comparison', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"format":"pcilab-comparison","version":1}');
    expect(main(['import-comparison', bad], io)).toBe(EXIT_INVALID);
    expect(err[0]).toMatch(/bad\.json: comparison: /);
    err = [];
    expect(main(['import-comparison', join(dir, 'nope.json')], io)).toBe(EXIT_INVALID);
    expect(err).toEqual([`${join(dir, 'nope.json')}: no such file`]);
    expect(main(['export-comparison', 'x'], io)).toBe(EXIT_INVALID);
    runOnce([]);
    err = [];
    expect(main(['export-comparison', '42'], io)).toBe(EXIT_INTERNAL);
    expect(err).toEqual(['pcilab: no saved comparison 42']);
  });
});

describe('a broken environment: one line naming the file, exit 1, no stack unless PCILAB_DEBUG', () => {
  it('finds a garbage database at open', () => {
    const db = join(dir, 'lab.db');
    writeFileSync(db, 'not sqlite at all\n'.repeat(200));
    for (const command of [
      ['runs'],
      ['run', 'quickstart-nvme-fio', '--set', 'durationMs=1'],
      ['export', '1', '--format', 'csv', '--out', join(dir, 'x')],
    ]) {
      err = [];
      expect(main(command, io), command[0]).toBe(EXIT_INTERNAL);
      expect(err).toEqual([`pcilab: ${db}: not a lab database (file is not a database); move it away or pick another --db / PCILAB_DB`]);
    }
    err = [];
    expect(main(['runs'], { ...io, env: { ...io.env, PCILAB_DEBUG: '1' } })).toBe(EXIT_INTERNAL);
    expect(err.length).toBe(2);
    expect(err[1]).toMatch(/^LabDatabaseError: .*\n\s+at /);
  });

  it('names a database written by a newer lab', () => {
    const path = join(dir, 'lab.db');
    const db = openLabDatabase(path);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    expect(main(['runs'], io)).toBe(EXIT_INTERNAL);
    expect(err).toEqual([
      `pcilab: ${path}: database schema version ${LATEST_SCHEMA_VERSION + 1} is newer than this lab (${LATEST_SCHEMA_VERSION}); update the lab`,
    ]);
  });

  it('reads runs, compares and exports from read-only media, and says in one line that a run cannot be stored there', () => {
    const a = runOnce([]);
    const b = runOnce(['seed=2']);
    const db = join(dir, 'lab.db');
    const outDir = mkdtempSync(join(tmpdir(), 'pcilab-cli-out-'));
    try {
      const env = { PCILAB_DB: db };
      const runs = runCliOnReadOnlyDir(dir, ['runs', '--json'], env);
      expect(runs.stderr).toBe('');
      expect((JSON.parse(runs.stdout) as { id: number }[]).map((r) => r.id).sort()).toEqual([a, b]);
      expect(runCliOnReadOnlyDir(dir, ['compare', String(a), String(b), '--json'], env).status).toBe(0);
      const exported = runCliOnReadOnlyDir(dir, ['export', String(a), '--format', 'json', '--out', join(outDir, 'a.json')], env);
      expect(exported.status, exported.stderr).toBe(0);
      expect(JSON.parse(readFileSync(join(outDir, 'a.json'), 'utf8'))).toMatchObject({ run: { id: a } });
      const run = runCliOnReadOnlyDir(dir, ['run', 'quickstart-nvme-fio', '--set', 'durationMs=1'], env);
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`^pcilab: ${db}: cannot write here: read-only location or no permission \\(.*\\)\\n$`));
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });

  it('says in one line that a data directory cannot be created', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    expect(main(['run', 'quickstart-nvme-fio', '--db', join(file, 'lab.db')], io)).toBe(EXIT_INTERNAL);
    expect(err).toEqual([
      expect.stringMatching(new RegExp(`^pcilab: ${file}/lab\\.db: cannot create its directory \\(EEXIST: file already exists, mkdir`)),
    ]);
  });
});

describe('pcilab presets and schema', () => {
  it('lists presets and prints the scenario JSON Schema', () => {
    expect(main(['presets', '--json'], io)).toBe(EXIT_OK);
    expect((JSON.parse(out[0]!) as { id: string }[]).map((p) => p.id)).toContain('quickstart-nvme-fio');
    out = [];
    expect(main(['schema'], io)).toBe(EXIT_OK);
    expect((JSON.parse(out[0]!) as { title: string }).title).toBe('PCI Passthrough Lab scenario');
  });
});

describe('the installed command', () => {
  it('gives the same timeline hash in two separate processes', () => {
    const bin = new URL('../../bin/pcilab.mjs', import.meta.url).pathname;
    const hashes = [1, 2].map(() => {
      const r = spawnSync(process.execPath, [bin, 'run', 'quickstart-nvme-fio', '--set', 'durationMs=2', '--json'], {
        env: { ...process.env, PCILAB_DB: join(dir, 'lab.db') },
        encoding: 'utf8',
      });
      expect(r.status).toBe(0);
      const runId = (JSON.parse(r.stdout) as { run: { id: number } }).run.id;
      const list = spawnSync(process.execPath, [bin, 'runs', '--json'], {
        env: { ...process.env, PCILAB_DB: join(dir, 'lab.db') },
        encoding: 'utf8',
      });
      return (JSON.parse(list.stdout) as { id: number; timelineHash: string }[]).find((x) => x.id === runId)!.timelineHash;
    });
    expect(hashes[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(hashes[0]).toBe(hashes[1]);
  });

  it('shows a `pcilab run` killed with SIGKILL as interrupted at once in `runs`, computed without writing', async () => {
    const bin = new URL('../../bin/pcilab.mjs', import.meta.url).pathname;
    const db = join(dir, 'lab.db');
    const env = { ...process.env, PCILAB_DB: db };
    const child = spawn(process.execPath, [bin, 'run', 'quickstart-nvme-fio', '--set', 'durationMs=60000'], { env, stdio: 'ignore' });
    const listed = (): { id: number; status: string; error: string | null }[] => {
      const r = spawnSync(process.execPath, [bin, 'runs', '--json'], { env, encoding: 'utf8' });
      return r.status === 0 ? (JSON.parse(r.stdout) as { id: number; status: string; error: string | null }[]) : [];
    };
    const deadline = Date.now() + 60_000;
    while (listed()[0]?.status !== 'running') {
      if (Date.now() > deadline) throw new Error('the run never started');
      await new Promise((r) => setTimeout(r, 100));
    }
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    // Well inside the 30 s heartbeat window: the owner is known dead, no timeout is involved.
    expect(listed()[0]).toMatchObject({ status: 'interrupted', error: 'the process running it stopped before it finished' });
    const raw = openLabDatabase(db, { readonly: true });
    expect(raw.prepare('SELECT status FROM runs').all()).toEqual([{ status: 'running' }]);
    raw.close();
  }, 90_000);

  it('survives kill -9 at random moments of runs: integrity_check ok, the completed run unchanged', async () => {
    const bin = new URL('../../bin/pcilab.mjs', import.meta.url).pathname;
    const db = join(dir, 'lab.db');
    const env = { ...process.env, PCILAB_DB: db };
    const json = (args: string[]): unknown => JSON.parse(spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' }).stdout);
    // A completed run first, as a reference that must not change.
    const done = json(['run', 'type1-entry-limit', '--json']) as { run: { id: number }; metrics: Record<string, number> };
    const before = json(['runs', '--json']) as { id: number; timelineHash: string }[];
    // Kills at seeded random moments: while starting, simulating, storing (bounded: five runs).
    const rng = fc.sample(fc.integer({ min: 50, max: 2500 }), { numRuns: 5, seed: 11 });
    for (const delayMs of rng) {
      const child = spawn(process.execPath, [bin, 'run', 'quickstart-nvme-fio', '--set', 'durationMs=20'], { env, stdio: 'ignore' });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGKILL');
      await exited;
    }
    const raw = openLabDatabase(db, { readonly: true });
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();
    const after = json(['runs', '--json']) as { id: number; status: string; timelineHash: string }[];
    expect(after.find((r) => r.id === done.run.id)).toMatchObject({ status: 'completed', timelineHash: before[0]!.timelineHash });
    // No run is left looking live: each killed one is completed (it finished first) or interrupted.
    for (const r of after) expect(['completed', 'interrupted']).toContain(r.status);
    // The completed run still exports whole.
    const exported = spawnSync(process.execPath, [bin, 'export', String(done.run.id), '--format', 'json', '--out', '-'], {
      env,
      encoding: 'utf8',
    });
    expect(exported.status).toBe(0);
    expect((JSON.parse(exported.stdout) as { run: { metrics: Record<string, number> } }).run.metrics).toMatchObject(done.metrics);
  }, 120_000);
});

describe('help, version and usage errors', () => {
  it('explains each command with --help, -h or help <command>, and lists them all with --help', () => {
    expect(main(['run', '--help'], io)).toBe(EXIT_OK);
    expect(out[0]).toMatch(/^usage: pcilab run <file \| preset>/);
    expect(out[0]).toContain('--progress');
    const runHelp = out[0];
    out = [];
    expect(main(['help', 'run'], io)).toBe(EXIT_OK);
    expect(out).toEqual([runHelp]);
    for (const command of ['runs', 'compare', 'export', 'query', 'delete', 'import-trace', 'presets', 'schema', 'completion']) {
      out = [];
      expect(main([command, 'x', '-h'], io), command).toBe(EXIT_OK);
      expect(out[0]).toMatch(new RegExp(`^usage: pcilab ${command}`));
    }
    out = [];
    expect(main(['--help'], io)).toBe(EXIT_OK);
    for (const command of ['run', 'runs', 'compare', 'export', 'query', 'delete', 'import-trace', 'presets', 'schema']) {
      expect(out[0]).toContain(`  ${command}`);
    }
    expect(err).toEqual([]);
    expect(main(['help', 'frobnicate'], io)).toBe(EXIT_INVALID);
    expect(err).toEqual(['pcilab: help: unknown command "frobnicate" (pcilab help lists them)']);
    // No command at all: a usage error, so the usage goes to stderr and stdout stays empty.
    out = [];
    err = [];
    expect(main([], io)).toBe(EXIT_INVALID);
    expect(out).toEqual([]);
    expect(err[0]).toMatch(/^usage: pcilab <command>/);
  });

  it('prints the version of package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(labVersion()).toBe(pkg.version);
    expect(main(['--version'], io)).toBe(EXIT_OK);
    expect(out).toEqual([`pcilab ${pkg.version}`]);
  });

  it('names a bad option in one line and exits 2', async () => {
    const cases: [string[], string][] = [
      [['run', 'quickstart-nvme-fio', '--bogus'], 'pcilab: run: unknown option --bogus (pcilab run --help lists the options)'],
      [['query', '1', 'SELECT 1', '--jsn'], 'pcilab: query: unknown option --jsn (pcilab query --help lists the options)'],
      [['export', '1', '--format'], 'pcilab: export: --format needs a value'],
      [['runs', '--json=yes'], 'pcilab: runs: --json takes no value'],
      [['runs', 'extra'], 'pcilab: runs: unexpected argument extra'],
      [['--bogus'], 'pcilab: unknown option --bogus (pcilab --help lists the commands)'],
      [['import-trace', 'x', '--nope'], 'pcilab: unknown option --nope'],
      [['query', '1', 'SELECT 1', '--max-rows', '0'], 'pcilab: --max-rows: expected an integer from 1 to 100,000, got "0"'],
    ];
    for (const [args, line] of cases) {
      err = [];
      expect(await main(args, io), args.join(' ')).toBe(EXIT_INVALID);
      expect(err).toEqual([line]);
    }
  });

  it('prints a bash completion script that bash accepts', () => {
    expect(main(['completion', 'bash'], io)).toBe(EXIT_OK);
    expect(out[0]).toContain('complete -F _pcilab pcilab');
    expect(out[0]).toContain('s390-rpcit-exhaustion');
    const check = spawnSync('bash', ['-n'], { input: out[0], encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    expect(main(['completion', 'zsh'], io)).toBe(EXIT_INVALID);
  });
});

describe('run progress and claims', () => {
  it('shows progress lines on stderr with --progress (stderr not a terminal): simulated time, events, ETA', () => {
    expect(main(['run', 'quickstart-nvme-fio', '--set', 'durationMs=1', '--json', '--progress'], io)).toBe(EXIT_OK);
    expect(err[0]).toMatch(/^run 1: simulated [\d.]+ (ns|us|ms) of 1\.0 ms \(\d+ %\), [\d,]+ events, [\d.]+ s elapsed/);
    expect(err.some((l) => /^run 1: storing the timeline, [\d,]+ of [\d,]+ events$/.test(l))).toBe(true);
    expect(() => JSON.parse(out.join('')) as unknown).not.toThrow();
  });

  it('shows nothing without --progress when stderr is not a terminal; on a terminal one status line, cleared at the end', () => {
    expect(main(['run', 'quickstart-nvme-fio', '--set', 'durationMs=1'], io)).toBe(EXIT_OK);
    expect(err).toEqual([]);
    const status: (string | null)[] = [];
    expect(main(['run', 'quickstart-nvme-fio', '--set', 'durationMs=1'], { ...io, isTty: true, status: (l) => status.push(l) })).toBe(
      EXIT_OK,
    );
    expect(status.length).toBeGreaterThan(1);
    expect(status[0]).toMatch(/^run 2: simulated /);
    expect(status.at(-1)).toBeNull();
    expect(err).toEqual([]);
  });

  it('formats progress with units and an ETA from the wall time so far', () => {
    const p = { phase: 'simulating', simulatedNs: 250_000_000, events: 1_234_567, timelineEvents: 0, stored: 0 } as const;
    expect(formatProgress(7, p, 1_000_000_000, 3000)).toBe(
      'run 7: simulated 250.0 ms of 1.00 s (25 %), 1,234,567 events, 3.0 s elapsed, ETA 9.0 s',
    );
  });

  it('prints each claim with its expectation and source, and why not when it does not hold', () => {
    const claim = {
      id: 'c1',
      text: 'Maps fail.',
      holds: false,
      measured: 0,
      metric: 'dma.mapFailures',
      unit: 'calls',
      expectation: '>= 1',
      source: 'thread X',
      note: 'the model has no such limit',
    };
    const text = formatRunText(runJson(1, 'completed', {}, [], [claim, { ...claim, id: 'c2', holds: true, note: undefined }]));
    expect(text).toContain('claims: 1 of 2 hold');
    expect(text).toContain(
      '  [DOES NOT HOLD] c1: measured 0 calls, expected >= 1\n      Maps fail.\n      why not: the model has no such limit\n      source: thread X',
    );
    expect(text).toContain('  [holds] c2: measured 0 calls, expected >= 1\n      Maps fail.\n      source: thread X');
  });
});

describe('pcilab export --out', () => {
  it('writes to stdout with --out -', () => {
    const id = runOnce([]);
    err = [];
    expect(main(['export', String(id), '--format', 'csv', '--out', '-'], io)).toBe(EXIT_OK);
    expect(stdout.join('').split('\n')[0]).toBe('seq,t_ns,dur_ns,lane,kind,failure,cause,args');
    expect(err).toEqual([expect.stringMatching(new RegExp(`^wrote run ${id} as csv to stdout \\(`))]);
  });

  it('says in one line why --out cannot be written, exit 2, and writes nothing', () => {
    const id = runOnce([]);
    const cases: [string, string][] = [
      [join(dir, 'no-such-dir', 'x.csv'), `pcilab: --out: ${join(dir, 'no-such-dir', 'x.csv')}: its directory does not exist`],
      [dir, `pcilab: --out: ${dir} is a directory`],
    ];
    for (const [path, line] of cases) {
      err = [];
      expect(main(['export', String(id), '--format', 'csv', '--out', path], io)).toBe(EXIT_INVALID);
      expect(err).toEqual([line]);
    }
  });
});

describe('pcilab delete', () => {
  it('deletes runs as the app does, refuses a running one and names a missing one (exit 1)', () => {
    const a = runOnce([]);
    const b = runOnce([]);
    const c = runOnce([]);
    const db = openLabDatabase(join(dir, 'lab.db'));
    // A run another process is running (an owner of unknown liveness with a fresh heartbeat).
    db.prepare(`UPDATE runs SET status = 'running', heartbeat_ms = ?, owner_id = NULL WHERE id = ?`).run(Date.now(), c);
    db.close();
    err = [];
    expect(main(['delete', String(a), '9999', String(c)], io)).toBe(EXIT_INTERNAL);
    expect(err).toEqual([
      `deleted run ${a}`,
      `pcilab: no run 9999 in ${join(dir, 'lab.db')}`,
      `pcilab: run ${c} is running in another lab process; cancel it there`,
    ]);
    out = [];
    main(['runs', '--json'], io);
    expect((JSON.parse(out[0]!) as { id: number }[]).map((r) => r.id).sort()).toEqual([b, c]);
    err = [];
    expect(main(['delete', String(b)], io)).toBe(EXIT_OK);
    expect(err).toEqual([`deleted run ${b}`]);
    expect(new RunStore(openLabDatabase(join(dir, 'lab.db'), { readonly: true })).exists(b)).toBe(false);
    expect(main(['delete'], io)).toBe(EXIT_INVALID);
    expect(main(['delete', 'x'], io)).toBe(EXIT_INVALID);
  });
});

describe('pcilab query', () => {
  it('prints a table, JSON or CSV; rejects writes (exit 2); caps rows with a note; names a missing run (exit 1)', async () => {
    const id = runOnce([]);
    out = [];
    expect(await main(['query', String(id), 'SELECT kind, count(*) AS n FROM events GROUP BY kind ORDER BY kind'], io)).toBe(EXIT_OK);
    expect(out[0]).toMatch(/^kind\s+n\n-+\s+-+\ndevice\.io\s+\d+\ndma\.map\s+\d+\ndma\.unmap\s+\d+\n\(3 rows, \d+ ms\)$/);
    out = [];
    err = [];
    expect(await main(['query', String(id), 'SELECT seq, kind FROM events ORDER BY seq', '--json', '--max-rows', '2'], io)).toBe(EXIT_OK);
    expect(JSON.parse(out[0]!)).toEqual({
      columns: ['seq', 'kind'],
      rows: [
        [0, 'dma.map'],
        [1, 'dma.map'],
      ],
      truncated: true,
    });
    expect(err).toEqual(['pcilab: query: only the first 2 rows (--max-rows); there are more']);
    out = [];
    expect(await main(['query', String(id), "SELECT 'a,b' AS x, NULL AS y", '--csv'], io)).toBe(EXIT_OK);
    expect(out).toEqual(['x,y\n"a,b",']);
    err = [];
    expect(await main(['query', String(id), 'DELETE FROM runs'], io)).toBe(EXIT_INVALID);
    expect(err).toEqual(['pcilab: query: only SELECT statements are allowed (this one starts with DELETE)']);
    err = [];
    expect(await main(['query', '9999', 'SELECT 1'], io)).toBe(EXIT_INTERNAL);
    expect(err).toEqual([`pcilab: no run 9999 in ${join(dir, 'lab.db')}`]);
  });

  it('stops a query at --timeout (exit 2, one line)', async () => {
    const id = runOnce([]);
    err = [];
    const runaway = 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c WHERE x < 1e15';
    expect(await main(['query', String(id), runaway, '--timeout', '2500'], io)).toBe(EXIT_INVALID);
    expect(err).toEqual([
      'pcilab: query: ran longer than 2,500 ms (--timeout) and was stopped; narrow it (WHERE on t_ns, variant, kind) or raise --timeout',
    ]);
  });
});
