import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { attachmentDisposition, createLabHttpServer, MAX_BODY_BYTES } from './httpBridge';
import { DOWNLOAD_TTL_MS, DownloadTokens } from './downloadTokens';
import type { ExportSink } from '../service/runExport';
import { CONTENT_SECURITY_POLICY } from '../service/contentSecurityPolicy';
import type { LabApi } from '../../core/contract/labApi';
import { AccessGate } from './accessGate';

const service = {
  listPresets: () => Promise.resolve([{ id: 'p' }]),
  queryRun: (runId: number, sql: string) =>
    Promise.resolve({ columns: ['runId', 'sql'], rows: [[runId, sql]], truncated: false, elapsedMs: 1 }),
} as unknown as LabApi;
let dir: string;
let server: ReturnType<typeof createLabHttpServer>;
let port: number;
let session = '';
const gate = new AccessGate(() => port, { firstToken: 'first-token-of-the-test-suite' });
const tokens = new DownloadTokens();
const exported: [number, string][] = [];
const writer = {
  async writeExport(runId: number, format: string, sink: ExportSink): Promise<number> {
    exported.push([runId, format]);
    await sink.write('seq,t_ns\n');
    await sink.write('0,1\n');
    return 14;
  },
};

function call(
  path: string,
  opts: { method?: string; host?: string; origin?: string; body?: string; type?: string; cookie?: string | null; chunked?: boolean } = {},
) {
  const cookie = opts.cookie === undefined ? session : opts.cookie;
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: {
          Host: opts.host ?? `127.0.0.1:${port}`,
          ...(opts.origin ? { Origin: opts.origin } : {}),
          ...(cookie !== null && cookie !== '' ? { Cookie: cookie } : {}),
          ...(opts.body ? { 'Content-Type': opts.type ?? 'application/json' } : {}),
          ...(opts.chunked === true ? { 'Transfer-Encoding': 'chunked' } : {}),
        },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-http-'));
  writeFileSync(join(dir, 'index.html'), '<html>lab</html>');
  server = createLabHttpServer({ service, staticDir: dir, gate, downloads: { tokens, writer } });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  const entered = await call('/?token=first-token-of-the-test-suite', { cookie: null });
  session = String((entered.headers['set-cookie'] as string[])[0]).split(';')[0]!;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the browser host bridge', () => {
  it('bridges queryRun, its arguments validated like over IPC', async () => {
    const ok = await call('/api/queryRun', { method: 'POST', body: JSON.stringify([2, 'SELECT 1']) });
    expect(JSON.parse(ok.body)).toMatchObject({ ok: true, value: { rows: [[2, 'SELECT 1']] } });
    const empty = await call('/api/queryRun', { method: 'POST', body: JSON.stringify([2, ' ']) });
    expect(JSON.parse(empty.body)).toMatchObject({
      ok: false,
      error: { code: 'invalid-argument', problems: ['queryRun arguments 1: the query is empty'] },
    });
  });

  it('bridges an API call as POST /api/<method> with a JSON argument array', async () => {
    const r = await call('/api/listPresets', { method: 'POST', body: '[]' });
    expect(JSON.parse(r.body)).toEqual({ ok: true, value: [{ id: 'p' }] });
  });

  it('serves the renderer with the strict CSP and denies framing', async () => {
    const r = await call('/');
    expect(r.body).toContain('lab');
    expect(r.headers['content-security-policy']).toBe(`${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`);
  });

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    expect((await call('/', { host: `evil.example:${port}` })).status).toBe(403);
  });

  it('refuses a cross-origin API call', async () => {
    expect((await call('/api/listPresets', { method: 'POST', body: '[]', origin: 'http://evil.example' })).status).toBe(403);
  });

  it('refuses GET, non-JSON and non-array bodies for API calls', async () => {
    expect((await call('/api/listPresets')).status).toBe(405);
    expect((await call('/api/listPresets', { method: 'POST', body: '[]', type: 'text/plain' })).status).toBe(415);
    expect((await call('/api/listPresets', { method: 'POST', body: '{}' })).status).toBe(400);
  });

  it('answers malformed percent-encoding and request targets with 400 and keeps serving', async () => {
    const bad: [string, string][] = [
      ['POST', '/api/%'],
      ['POST', '/api/%zz'],
      ['GET', '/download/%'],
      ['GET', '/download/%E0%A4%A'],
      ['GET', '//evil.example/api/listPresets'],
    ];
    for (const [method, path] of bad) {
      const r = await call(path, { method, ...(method === 'POST' ? { body: '[]' } : {}) });
      expect(r.status, path).toBe(400);
    }
    expect((await call('/%')).status).toBeLessThan(500);
    expect((await call('/api/listPresets', { method: 'POST', body: '[]' })).status).toBe(200);
  });

  it('refuses a body over the limit with 413 and a clear message, declared or streamed', async () => {
    const big = JSON.stringify(['x'.repeat(MAX_BODY_BYTES)]);
    const declared = await call('/api/listPresets', { method: 'POST', body: big });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body)).toMatchObject({
      ok: false,
      error: { message: 'request body larger than 1 MiB; scenarios are far smaller' },
    });
    const streamed = await call('/api/listPresets', { method: 'POST', body: big, chunked: true });
    expect(streamed.status).toBe(413);
    expect((await call('/api/listPresets', { method: 'POST', body: '[]' })).status).toBe(200);
  });

  it('uses the same CSP as the meta tag of renderer/index.html', () => {
    const html = readFileSync(new URL('../../renderer/index.html', import.meta.url), 'utf8');
    expect(html).toContain(`content="${CONTENT_SECURITY_POLICY}"`);
  });
});

describe('access to the browser host: the printed link once, then its session cookie', () => {
  it('refuses API calls and downloads without the session cookie, as unauthorized', async () => {
    for (const cookie of [null, `pcilab-${port}=forged`, `pcilab-1=${session.split('=')[1]}`]) {
      const r = await call('/api/listPresets', { method: 'POST', body: '[]', cookie });
      expect(r.status).toBe(401);
      expect(JSON.parse(r.body)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    }
    const url = (tokens.offer({ runId: 7, format: 'csv', fileName: 'x.csv' }) as { url: string }).url;
    expect((await call(url, { cookie: null })).status).toBe(401);
  });

  it('trades the link token for an HttpOnly SameSite=Strict cookie once and sends the browser on without the token', async () => {
    const linkToken = new URL(gate.link(`http://127.0.0.1:${port}`)).searchParams.get('token')!;
    const first = await call(`/?token=${linkToken}`, { cookie: null });
    expect(first.status).toBe(303);
    expect(first.headers['location']).toBe('/');
    const cookie = String((first.headers['set-cookie'] as string[])[0]);
    expect(cookie).toMatch(new RegExp(`^pcilab-${port}=[\\w-]{40,}; HttpOnly; SameSite=Strict; Path=/$`));
    const api = await call('/api/listPresets', { method: 'POST', body: '[]', cookie: cookie.split(';')[0]! });
    expect(api.status).toBe(200);
    expect((await call(`/?token=${linkToken}`, { cookie: null })).status).toBe(403);
    expect((await call(`/?token=${linkToken}`)).headers['set-cookie']).toBeUndefined();
  });

  it('serves the page itself without a session (it holds no data)', async () => {
    expect((await call('/', { cookie: null })).status).toBe(200);
  });
});

describe('export downloads of the browser host', () => {
  const offer = () => tokens.offer({ runId: 7, format: 'csv', fileName: 'run-7-ünïcode.csv' });

  it('streams an export once for the token exportRun handed out, as an attachment', async () => {
    const result = offer();
    expect(result).toMatchObject({
      kind: 'download',
      url: expect.stringMatching(/^\/download\/[\w-]{20,}$/),
      fileName: 'run-7-ünïcode.csv',
    });
    const url = (result as { url: string }).url;
    const r = await call(url);
    expect(r.status).toBe(200);
    expect(r.body).toBe('seq,t_ns\n0,1\n');
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.headers['content-disposition']).toBe(attachmentDisposition('run-7-ünïcode.csv'));
    expect(r.headers['content-disposition']).toContain(`filename*=UTF-8''run-7-%C3%BCn%C3%AFcode.csv`);
    expect(exported).toEqual([[7, 'csv']]);
    expect((await call(url)).status).toBe(404);
  });

  it('answers 404 to an unknown token', async () => {
    expect((await call('/download/not-a-token')).status).toBe(404);
  });

  it('serves downloads to loopback names only, and only for GET', async () => {
    const url = (offer() as { url: string }).url;
    expect((await call(url, { host: `evil.example:${port}` })).status).toBe(403);
    expect((await call(url, { method: 'POST', body: '[]' })).status).toBe(405);
  });

  it('expires tokens after a few minutes', () => {
    let now = 0;
    const t = new DownloadTokens(() => now);
    const url = (t.offer({ runId: 1, format: 'json', fileName: 'x.json' }) as { url: string }).url;
    now = DOWNLOAD_TTL_MS + 1;
    expect(t.take(url.slice('/download/'.length))).toBeUndefined();
  });
});
