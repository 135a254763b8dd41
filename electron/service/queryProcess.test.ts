import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { queryProcessKind, queryProcessSpawner, type UtilityFork, type UtilityProcessLike } from './queryProcess';
import type { QueryChildReply, QueryChildRequest } from './runQueryProtocol';

const dir = mkdtempSync(join(tmpdir(), 'pcilab-queryprocess-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const request: QueryChildRequest = { dbPath: '/nowhere.db', runId: 1, sql: 'SELECT 1', maxRows: 10 };

/** A stand-in for Electron's UtilityProcess that records what the lab does with it. */
function fakeUtility(): { proc: UtilityProcessLike; posted: unknown[]; kills: number; emit: (m: unknown) => void } {
  const listeners: Array<(m: unknown) => void> = [];
  const state = {
    posted: [] as unknown[],
    kills: 0,
    emit: (m: unknown) => listeners.forEach((l) => l(m)),
    proc: null as unknown as UtilityProcessLike,
  };
  state.proc = {
    stderr: null,
    postMessage: (m) => void state.posted.push(m),
    kill: () => {
      state.kills += 1;
      return true;
    },
    on: (event: string, listener: (m: never) => void) => {
      if (event === 'message') listeners.push(listener as (m: unknown) => void);
      return undefined;
    },
  } as UtilityProcessLike;
  return state;
}

describe('the query process host choice', () => {
  it('is a utility process inside Electron and a fork under Node', () => {
    expect(queryProcessKind({ node: '20.19.0', electron: '39.8.10' })).toBe('utility-process');
    expect(queryProcessKind({ node: '20.19.0' })).toBe('node-fork');
    expect(queryProcessKind({ node: '20.19.0', electron: '' })).toBe('node-fork');
  });

  it('inside Electron starts the entry with utilityProcess.fork, never child_process.fork, and ends it once it answered', () => {
    const fake = fakeUtility();
    const calls: Array<Parameters<UtilityFork>> = [];
    const spawner = queryProcessSpawner(
      { versions: { electron: '39.8.10' }, utilityFork: (...args) => (calls.push(args), fake.proc) },
      { path: '/app/out/main/runQueryChild.js', execArgv: ['--ignored'] },
    );
    const child = spawner();
    expect(calls).toEqual([
      ['/app/out/main/runQueryChild.js', [], { stdio: ['ignore', 'ignore', 'pipe'], serviceName: 'pcilab run query' }],
    ]);
    const replies: QueryChildReply[] = [];
    child.onReply((r) => replies.push(r));
    child.send(request);
    expect(fake.posted).toEqual([request]);
    fake.emit({ ok: false, kind: 'query', message: 'no such table' });
    expect(replies).toEqual([{ ok: false, kind: 'query', message: 'no such table' }]);
    expect(fake.kills).toBe(1);
  });

  it('inside Electron without utilityProcess.fork refuses to build a spawner', () => {
    expect(() => queryProcessSpawner({ versions: { electron: '39.8.10' } }, { path: 'x.js', execArgv: [] })).toThrow(
      /utilityProcess\.fork/,
    );
  });

  it('under Node forks the entry with its execArgv and talks over process.send', async () => {
    const entry = join(dir, 'echo.mjs');
    writeFileSync(
      entry,
      "process.once('message', (m) => process.send({ ok: false, kind: 'query', message: `${m.sql} ${process.execArgv.join(' ')}` }, () => process.disconnect()));\n",
    );
    const child = queryProcessSpawner({ versions: { node: process.versions.node } }, { path: entry, execArgv: ['--no-warnings'] })();
    const reply = await new Promise<QueryChildReply>((resolve, reject) => {
      child.onReply(resolve);
      child.onError(reject);
      child.send(request);
    });
    expect(reply).toEqual({ ok: false, kind: 'query', message: 'SELECT 1 --no-warnings' });
    const how = await new Promise<string>((resolve) => child.onExit(resolve));
    expect(how).toBe('exit 0');
  });

  it('the query child answers over process.parentPort when it has one, as in an Electron utility process', () => {
    const child = pathToFileURL(fileURLToPath(new URL('./runQueryChild.ts', import.meta.url))).href;
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const script = [
      'process.parentPort = {',
      `  once: (event, listener) => setImmediate(() => listener({ data: ${JSON.stringify({ ...request, dbPath: join(dir, 'missing.db') })} })),`,
      '  postMessage: (reply) => process.stdout.write(JSON.stringify(reply)),',
      '};',
      `await import(${JSON.stringify(child)});`,
    ].join('\n');
    const out = execFileSync(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(JSON.parse(out)).toMatchObject({ ok: false, kind: expect.stringMatching(/^(environment|not-found)$/) });
  });
});
