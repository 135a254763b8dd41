import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { attachmentDisposition, createLabHttpServer } from './httpBridge';
import { DOWNLOAD_TTL_MS, DownloadTokens } from './downloadTokens';
import type { ExportSink } from '../service/runExport';
import { CONTENT_SECURITY_POLICY } from '../service/contentSecurityPolicy';
import type { LabApi } from '../../core/contract/labApi';

const service = { listPresets: () => Promise.resolve([{ id: 'p' }]) } as unknown as LabApi;
let dir: string;
let server: ReturnType<typeof createLabHttpServer>;
let port: number;
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

function call(path: string, opts: { method?: string; host?: string; origin?: string; body?: string; type?: string } = {}) {
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
          ...(opts.body ? { 'Content-Type': opts.type ?? 'application/json' } : {}),
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
  server = createLabHttpServer({ service, staticDir: dir, downloads: { tokens, writer } });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the browser host bridge', () => {
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

  it('uses the same CSP as the meta tag of renderer/index.html', () => {
    const html = readFileSync(new URL('../../renderer/index.html', import.meta.url), 'utf8');
    expect(html).toContain(`content="${CONTENT_SECURITY_POLICY}"`);
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
