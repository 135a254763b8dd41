// Request targets and bodies, generated: whatever a client sends the browser host (raw request
// lines, percent-encoding, tokens, methods, JSON or not, deep or wrong arguments for every API
// method), it answers with a status below 500 and keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { connect } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { AddressInfo } from 'node:net';
import { createLabHttpServer } from './httpBridge';
import { AccessGate } from './accessGate';
import { DownloadTokens } from './downloadTokens';
import { LabService } from '../service/labService';
import { LAB_API_METHODS } from '../../core/contract/labApi';

let dir: string;
let service: LabService;
let server: ReturnType<typeof createLabHttpServer>;
let port: number;
let cookie = '';
const gate = new AccessGate(() => port, { firstToken: 'the-fuzz-suite-first-token' });

/** Sends raw bytes, returns the status of the answer (0: the connection closed without one). */
function raw(request: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer in 10 s')));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err) => ((err as { code?: string }).code === 'ECONNRESET' ? resolve(statusOf(chunks)) : reject(err)));
    socket.on('close', () => resolve(statusOf(chunks)));
    socket.end(request);
  });
}

function statusOf(chunks: Buffer[]): number {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(Buffer.concat(chunks).toString('latin1'));
  return m === null ? 0 : Number(m[1]);
}

function request(method: string, target: string, body: string, opts: { type: string; withCookie: boolean }): Buffer {
  const bytes = Buffer.from(body, 'utf8');
  const head = [
    `${method} ${target} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    `Content-Type: ${opts.type}`,
    `Content-Length: ${bytes.length}`,
    ...(opts.withCookie ? [`Cookie: ${cookie}`] : []),
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'utf8'), bytes]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pcilab-fuzz-'));
  writeFileSync(join(dir, 'index.html'), '<html>lab</html>');
  // Runs that a generated request might start stay queued in an idle thread.
  service = new LabService({
    dbPath: join(dir, 'lab.db'),
    spawnWorker: () => new Worker('setInterval(() => {}, 1000)', { eval: true }),
    version: 'fuzz',
  });
  const tokens = new DownloadTokens();
  server = createLabHttpServer({ service, staticDir: dir, gate, downloads: { tokens, writer: service } });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  const answer = await fetch(`http://127.0.0.1:${port}/?token=the-fuzz-suite-first-token`, { redirect: 'manual' });
  cookie = String(answer.headers.get('set-cookie')).split(';')[0]!;
});
afterAll(() => {
  server.close();
  service.close();
  rmSync(dir, { recursive: true, force: true });
});

const segment = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '..', '%2e%2e', '//', '?token=', '#', '%ff', ' ', '\u0000'),
);
const target = fc.oneof(
  fc.tuple(fc.constantFrom('/api/', '/download/', '/', '/?token=', '//', ''), segment, segment).map(([a, b, c]) => a + b + c),
  fc.constantFrom(...LAB_API_METHODS).map((m) => `/api/${m}`),
  fc.string({ unit: 'binary', maxLength: 60 }),
);
const argument = fc.oneof(
  fc.jsonValue(),
  fc.record({ scenario: fc.jsonValue() }),
  fc.record({ scenarioText: fc.string({ maxLength: 200 }) }),
  fc.record({ preset: fc.string(), overrides: fc.array(fc.string(), { maxLength: 3 }) }),
  fc.constant({ scenarioText: `name: x\nw: ${'['.repeat(10_000)}${']'.repeat(10_000)}` }),
  fc.constantFrom(1, -1, 2 ** 53, 2 ** 64, '0x10000000000000000', 1e308),
);
const body = fc.oneof(
  fc.array(argument, { maxLength: 3 }).map((args) => JSON.stringify(args)),
  fc.json(),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.integer({ min: 1, max: 100_000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
);

describe('the browser host under generated requests', () => {
  it('answers every request below 500 and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'OPTIONS', 'DELETE', 'BREW'),
        target,
        body,
        fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain'),
        fc.boolean(),
        async (method, t, b, type, withCookie) => {
          const status = await raw(request(method, t, b, { type, withCookie }));
          expect(status, `${method} ${JSON.stringify(t)}`).toBeLessThan(500);
        },
      ),
      { numRuns: 400 },
    );
    const alive = await fetch(`http://127.0.0.1:${port}/api/listPresets`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: cookie },
      body: '[]',
    });
    expect(alive.status).toBe(200);
  }, 120_000);
});
