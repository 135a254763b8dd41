import { describe, expect, it } from 'vitest';
import { MAX_IPC_ARGS_BYTES, oversizedArguments, registerDesktopIpc, registerLabIpc, type InvokeEventLike, type IpcMainLike } from './ipc';
import { LAB_API_METHODS, type LabApi } from '../../core/contract/labApi';
import { isTrustedFrameUrl } from './senderCheck';

function fakeIpc() {
  const handlers = new Map<string, (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>>();
  const ipc: IpcMainLike = { handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) };
  return { ipc, handlers };
}

const service = { getRun: (id: number) => Promise.resolve({ id }) } as unknown as LabApi;
const event = (url: string): InvokeEventLike => ({ senderFrame: { url, parent: null }, sender: { id: 1 } });
const trusted = (e: InvokeEventLike) => isTrustedFrameUrl(e.senderFrame?.url, { pageUrl: 'file:///app/out/renderer/index.html' });

describe('IPC registration', () => {
  it('registers exactly one prefixed channel per API method and removes them again', () => {
    const { ipc, handlers } = fakeIpc();
    const dispose = registerLabIpc(ipc, service, trusted);
    expect([...handlers.keys()]).toEqual(LAB_API_METHODS.map((m) => `pcilab:${m}`));
    dispose();
    expect(handlers.size).toBe(0);
  });

  it('dispatches a call from our page, validating its arguments', async () => {
    const { ipc, handlers } = fakeIpc();
    registerLabIpc(ipc, service, trusted);
    const call = handlers.get('pcilab:getRun')!;
    expect(await call(event('file:///app/out/renderer/index.html#/runs/3'), 3)).toEqual({ ok: true, value: { id: 3 } });
    expect(await call(event('file:///app/out/renderer/index.html'), 'three')).toMatchObject({
      ok: false,
      error: { code: 'invalid-argument' },
    });
  });

  it('refuses calls from any other page', async () => {
    const { ipc, handlers } = fakeIpc();
    registerLabIpc(ipc, service, trusted);
    expect(await handlers.get('pcilab:getRun')!(event('https://evil.example/'), 3)).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('unknown sender') },
    });
  });
});

describe('desktop IPC (saving a scenario file)', () => {
  it('registers one channel, checks the sender, then passes the request on', async () => {
    const { ipc, handlers } = fakeIpc();
    const seen: unknown[] = [];
    const dispose = registerDesktopIpc(
      ipc,
      (_e, request) => (seen.push(request), Promise.resolve({ kind: 'cancelled' as const })),
      trusted,
    );
    expect([...handlers.keys()]).toEqual(['pcilab-desktop:save-scenario-file']);
    const save = handlers.get('pcilab-desktop:save-scenario-file')!;
    expect(await save(event('https://evil.example/'), { fileName: 'x.yaml' })).toEqual({
      kind: 'failed',
      message: 'save refused: unknown sender',
    });
    expect(seen).toEqual([]);
    expect(await save(event('file:///app/out/renderer/index.html#/new'), { fileName: 'x.yaml' })).toEqual({ kind: 'cancelled' });
    expect(seen).toEqual([{ fileName: 'x.yaml' }]);
    dispose();
    expect(handlers.size).toBe(0);
  });
});

describe('sender check', () => {
  it('trusts only our page', () => {
    const file = { pageUrl: 'file:///app/out/renderer/index.html' };
    expect(isTrustedFrameUrl('file:///app/out/renderer/index.html#/x', file)).toBe(true);
    expect(isTrustedFrameUrl('file:///tmp/evil.html', file)).toBe(false);
    expect(isTrustedFrameUrl(undefined, file)).toBe(false);
    expect(isTrustedFrameUrl('not a url', file)).toBe(false);
    const dev = { pageUrl: 'http://localhost:5173/' };
    expect(isTrustedFrameUrl('http://localhost:5173/#/runs', dev)).toBe(true);
    expect(isTrustedFrameUrl('http://localhost:5174/', dev)).toBe(false);
  });
});

describe('IPC argument size limit (the browser bridge body limit, 1 MiB as JSON)', () => {
  it('refuses a call whose arguments exceed 1 MiB before validating or dispatching it', async () => {
    const { ipc, handlers } = fakeIpc();
    const called: unknown[] = [];
    const spy = { validateScenario: (r: unknown) => (called.push(r), Promise.resolve({ ok: true })) } as unknown as LabApi;
    registerLabIpc(ipc, spy, trusted);
    const call = handlers.get('pcilab:validateScenario')!;
    const page = event('file:///app/out/renderer/index.html');
    const big = { scenarioText: 'x'.repeat(MAX_IPC_ARGS_BYTES), overrides: [] };
    expect(await call(page, big)).toEqual({
      ok: false,
      error: {
        code: 'invalid-argument',
        message: expect.stringMatching(
          /^IPC validateScenario refused: arguments are [\d,]+ bytes as JSON, more than the 1 MiB limit/,
        ) as string,
      },
    });
    expect(called).toEqual([]);
    expect(await call(page, { scenarioText: 'x'.repeat(1000), overrides: [] })).toMatchObject({ ok: true });
    expect(called).toHaveLength(1);
  });

  it('measures the arguments as JSON and refuses ones that cannot be read as JSON', () => {
    expect(oversizedArguments('getRun', [3])).toBeNull();
    expect(oversizedArguments('getRun', ['é'.repeat(MAX_IPC_ARGS_BYTES / 2)])).toMatch(/more than the 1 MiB limit/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(oversizedArguments('getRun', [cyclic])).toMatch(/cannot be read as JSON/);
  });
});
