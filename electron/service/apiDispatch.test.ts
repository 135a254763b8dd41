import { describe, expect, it } from 'vitest';
import { dispatchLabCall } from './apiDispatch';
import { LabError } from './labError';
import type { LabApi } from '../../core/contract/labApi';

const calls: unknown[][] = [];
const service = new Proxy({} as LabApi, {
  get:
    (_t, method) =>
    (...args: unknown[]) => {
      calls.push([method, ...args]);
      if (method === 'getRun') return Promise.reject(new LabError('not-found', 'no run 7'));
      if (method === 'listRuns') return Promise.reject(new Error('disk on fire'));
      return Promise.resolve('ok');
    },
});

describe('dispatching a call from outside the process', () => {
  it('refuses an unknown method without touching the service', async () => {
    calls.length = 0;
    expect(await dispatchLabCall(service, 'dropDatabase', [])).toEqual({
      ok: false,
      error: { code: 'invalid-argument', message: 'unknown method "dropDatabase"' },
    });
    expect(calls).toEqual([]);
  });

  it('validates every argument and lists problems by path', async () => {
    calls.length = 0;
    const r = await dispatchLabCall(service, 'getTimelineWindow', [{ runId: -1, startNs: 10, endNs: 5, widthPx: 0, extra: 1 }]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('0.runId'),
        expect.stringContaining('0.widthPx'),
        expect.stringContaining('Unrecognized key: "extra"'),
      ]),
    );
    expect(calls).toEqual([]);
  });

  it('refuses extra or missing positional arguments', async () => {
    expect((await dispatchLabCall(service, 'getRun', [1, 2])).ok).toBe(false);
    expect((await dispatchLabCall(service, 'getRun', [])).ok).toBe(false);
    expect((await dispatchLabCall(service, 'startRun', [{ preset: 'a', scenario: {} }])).ok).toBe(false);
  });

  it('passes valid arguments through and wraps the value', async () => {
    expect(await dispatchLabCall(service, 'getPreset', ['quickstart-nvme-fio'])).toEqual({ ok: true, value: 'ok' });
  });

  it('carries a LabError code and hides other errors behind "internal"', async () => {
    expect(await dispatchLabCall(service, 'getRun', [7])).toEqual({ ok: false, error: { code: 'not-found', message: 'no run 7' } });
    expect(await dispatchLabCall(service, 'listRuns', [{}])).toEqual({ ok: false, error: { code: 'internal', message: 'disk on fire' } });
  });
});

describe('validation of the issue-6 methods (one bad call each, refused before the service runs)', () => {
  const refused = async (method: string, args: unknown[], problem: RegExp) => {
    calls.length = 0;
    const r = await dispatchLabCall(service, method, args);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('invalid-argument');
    expect(r.error.problems?.join('\n')).toMatch(problem);
    expect(calls).toEqual([]);
  };

  it('getTimelineSummary: a run id is a positive integer', () => refused('getTimelineSummary', [0], /0: /));
  it('getTimelineEvent: the seq is a non-negative integer', () => refused('getTimelineEvent', [1, -1], /1: /));
  it('listFailures: the limit is 1..100000', () => refused('listFailures', [1, 100_001], /1: /));
  it('createExperiment: variants or a grid are required, names are not empty', async () => {
    await refused('createExperiment', [{ name: 'e', base: { preset: 'p' } }], /variants: give variants or a grid/);
    await refused('createExperiment', [{ name: ' ', base: { preset: 'p' }, variants: [{ name: 'a', set: [] }] }], /0\.name: /);
    await refused('createExperiment', [{ name: 'e', base: { preset: 'p' }, grid: [{ path: 'x', values: [] }] }], /grid\.0\.values/);
  });
  it('listExperiments: takes no arguments', () => refused('listExperiments', [1], /./));
  it('getExperiment: an experiment id is a positive integer', () => refused('getExperiment', ['1'], /0: /));
  it('runExperiment: an experiment id is a positive integer', () => refused('runExperiment', [1.5], /0: /));
  it('deleteExperiment: an experiment id is a positive integer', () => refused('deleteExperiment', [], /./));
  it('compareRuns: two to sixteen run ids', () => refused('compareRuns', [[1]], /0: /));
  it('saveComparison: a name and at least two runs, no unknown keys', async () => {
    await refused('saveComparison', [{ name: 'c', runIds: [1] }], /0\.runIds/);
    await refused('saveComparison', [{ name: 'c', runIds: [1, 2], extra: true }], /Unrecognized key/);
    await refused('saveComparison', [{ name: 'c', runIds: [1, 2], view: { collapsed: true } }], /Unrecognized key/);
  });
  it('listComparisons: takes no arguments', () => refused('listComparisons', [{}], /./));
  it('getComparison: a comparison id is a positive integer', () => refused('getComparison', [-3], /0: /));
  it('deleteComparison: a comparison id is a positive integer', () => refused('deleteComparison', [null], /0: /));
  it('exportRun: the format is perfetto, csv or json', () => refused('exportRun', [1, 'xml'], /1: /));
  it('explainLogLine: one string of at most 4096 characters', async () => {
    await refused('explainLogLine', [42], /0: /);
    await refused('explainLogLine', ['x'.repeat(4097)], /0: a log line is at most 4096 characters/);
    await refused('explainLogLine', ['a', 'b'], /./);
  });
  it('submitExperimentSweep: an experiment id and Slurm options in their own syntax', async () => {
    await refused('submitExperimentSweep', [0, {}], /0: /);
    await refused('submitExperimentSweep', [1, { partition: 'debug; rm -rf /' }], /1\.partition: a partition name/);
    await refused('submitExperimentSweep', [1, { time: 'soon' }], /1\.time: a Slurm time limit/);
    await refused('submitExperimentSweep', [1, { account: 'x' }], /Unrecognized key/);
  });
  it('collectExperimentSweep, retryExperimentSweep and getSweepSupport: an experiment id, and nothing', async () => {
    await refused('collectExperimentSweep', ['1'], /0: /);
    await refused('retryExperimentSweep', [0], /0: /);
    await refused('retryExperimentSweep', [], /./);
    await refused('getSweepSupport', [1], /./);
  });
});

describe('validation of the query methods (one bad call each, refused before the service runs)', () => {
  const refused = async (method: string, args: unknown[], problem: RegExp) => {
    calls.length = 0;
    const r = await dispatchLabCall(service, method, args);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('invalid-argument');
    expect(r.error.problems?.join('\n')).toMatch(problem);
    expect(calls).toEqual([]);
  };

  it('queryRun: a run id is a positive integer', () => refused('queryRun', [0, 'SELECT 1'], /queryRun arguments 0: /));
  it('queryRun: the SQL is a string, not empty, at most 64 KiB', async () => {
    await refused('queryRun', [1, 42], /queryRun arguments 1: /);
    await refused('queryRun', [1, '  \n '], /1: the query is empty/);
    await refused('queryRun', [1, `SELECT '${'x'.repeat(65_536)}'`], /1: the query is longer than 65,536 characters/);
  });
  it('queryRun: takes no third argument (row cap and time limit are the defaults)', () =>
    refused('queryRun', [1, 'SELECT 1', { maxRows: 1e9 }], /./));
  it('saveQuery: a name and the SQL, no unknown keys', async () => {
    await refused('saveQuery', [{ name: ' ', sql: 'SELECT 1' }], /0\.name: must not be empty/);
    await refused('saveQuery', [{ name: 'q', sql: '' }], /0\.sql: the query is empty/);
    await refused('saveQuery', [{ name: 'q', sql: 'SELECT 1', runId: 3 }], /Unrecognized key/);
  });
  it('listQueries: takes no arguments', () => refused('listQueries', [1], /./));
  it('deleteQuery: a query id is a positive integer', () => refused('deleteQuery', ['7'], /0: /));
  it('passes a valid query through unchanged', async () => {
    calls.length = 0;
    expect(await dispatchLabCall(service, 'queryRun', [3, 'SELECT 1'])).toEqual({ ok: true, value: 'ok' });
    expect(calls).toEqual([['queryRun', 3, 'SELECT 1']]);
  });
});
