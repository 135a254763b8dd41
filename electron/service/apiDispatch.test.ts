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
