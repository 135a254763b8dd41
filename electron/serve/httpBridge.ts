// The browser host's HTTP side: serves the built renderer, bridges LabApi calls as
// POST /api/<method> with a JSON array of arguments, and streams exports as GET /download/<token>
// (tokens from exportRun, see downloadTokens.ts). Loopback only: it listens on 127.0.0.1 and
// refuses requests whose Host (DNS rebinding) or Origin (cross-site pages) is not this server; API
// calls and downloads also need the session cookie that the printed link's token trades for
// (accessGate.ts), so other local users and processes cannot use the lab.
// Must not: implement any lab behaviour (apiDispatch + the service do).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import sirv from 'sirv';
import type { LabApi, LabApiFailure, LabApiResponse } from '../../core/contract/labApi';
import type { ExportFormat } from '../../core/contract/export';
import { dispatchLabCall } from '../service/apiDispatch';
import { CONTENT_SECURITY_POLICY, CSP_HEADER_EXTRA } from '../service/contentSecurityPolicy';
import { EXPORT_CONTENT_TYPES, streamSink, type ExportSink } from '../service/runExport';
import { DOWNLOAD_PREFIX, type DownloadTokens } from './downloadTokens';
import { errorMessage } from '../service/labError';
import { TOKEN_PARAM, type AccessGate } from './accessGate';
import { API_MAX_ARGS_BYTES, maxArgsBytesOf } from '../../core/contract/imports';

export const LOOPBACK_HOST = '127.0.0.1';
/**
 * Largest API request body. Parsing a body and handing it to the preparer thread happen on the
 * server's only thread (about 50 ms per MiB of scenario objects), so this keeps any one request
 * under 100 ms; a valid scenario (at most 5,000 ops steps, about 350 KB) fits with room to spare.
 */
export const MAX_BODY_BYTES = API_MAX_ARGS_BYTES;

/** What a body larger than `limit` gets told. */
function tooLarge(limit: number): string {
  return `request body larger than ${limit / 1024 / 1024} MiB; ${limit === MAX_BODY_BYTES ? 'scenarios are far smaller' : 'import larger files with the pcilab command line'}`;
}

class BodyTooLarge extends Error {}

export interface HttpBridgeOptions {
  readonly service: LabApi;
  /** Who may call the API and download: the printed link's token, traded for a cookie. */
  readonly gate: AccessGate;
  /** Directory of the built renderer (index.html and assets). */
  readonly staticDir: string;
  /** Export downloads: the tokens exportRun handed out and what writes an export. */
  readonly downloads?: {
    readonly tokens: DownloadTokens;
    readonly writer: { writeExport(runId: number, format: ExportFormat, sink: ExportSink): Promise<number> };
  };
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', `${CONTENT_SECURITY_POLICY}; ${CSP_HEADER_EXTRA}`);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

function refuse(res: ServerResponse, status: number, message: string, code: LabApiFailure['code'] = 'invalid-argument'): void {
  const body: LabApiResponse<never> = { ok: false, error: { code, message } };
  sendJson(res, status, body);
}

const NO_ACCESS = 'this page has no access to the lab: open the link with the token that `npm run serve` printed';

/** Accepts only this server's own loopback names, so a rebinding DNS name cannot reach the API. */
export function isAllowedHost(hostHeader: string | undefined, port: number): boolean {
  return hostHeader === `${LOOPBACK_HOST}:${port}` || hostHeader === `localhost:${port}`;
}

export function isAllowedOrigin(origin: string | undefined, port: number): boolean {
  return origin === undefined || origin === `http://${LOOPBACK_HOST}:${port}` || origin === `http://localhost:${port}`;
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new BodyTooLarge(tooLarge(limit));
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function handleApi(service: LabApi, method: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') return refuse(res, 405, 'use POST for API calls');
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return refuse(res, 415, 'API calls take application/json');
  // The imports carry a file and may be larger (core/contract/imports.ts); every other call 1 MiB.
  const limit = maxArgsBytesOf(method);
  if (Number(req.headers['content-length'] ?? 0) > limit) {
    res.setHeader('Connection', 'close');
    return refuse(res, 413, tooLarge(limit));
  }
  let text: string;
  try {
    text = await readBody(req, limit);
  } catch (err) {
    if (!(err instanceof BodyTooLarge)) throw err;
    req.resume(); // the rest is read and dropped, so the client gets the answer instead of a reset
    res.setHeader('Connection', 'close');
    return refuse(res, 413, err.message);
  }
  let args: unknown;
  try {
    args = JSON.parse(text) as unknown;
  } catch (err) {
    return refuse(res, 400, `body is not JSON: ${errorMessage(err)}`);
  }
  if (!Array.isArray(args)) return refuse(res, 400, 'body must be a JSON array of arguments');
  sendJson(res, 200, await dispatchLabCall(service, method, args));
}

/** Content-Disposition for a download: an ASCII fallback name and the exact name (RFC 6266 / 5987). */
export function attachmentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

function handleDownload(
  downloads: NonNullable<HttpBridgeOptions['downloads']>,
  token: string,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  if (req.method !== 'GET') return refuse(res, 405, 'downloads are GET only');
  const pending = downloads.tokens.take(token);
  if (pending === undefined) return refuse(res, 404, 'no such download (links work once, for a few minutes)');
  res.writeHead(200, {
    'Content-Type': EXPORT_CONTENT_TYPES[pending.format],
    'Content-Disposition': attachmentDisposition(pending.fileName),
    'Cache-Control': 'no-store',
  });
  downloads.writer.writeExport(pending.runId, pending.format, streamSink(res)).then(
    () => res.end(),
    (err: unknown) => res.destroy(err instanceof Error ? err : new Error(String(err))),
  );
}

export function createLabHttpServer(options: HttpBridgeOptions): Server {
  const serveStatic = sirv(options.staticDir, { single: true, etag: true, dev: false, gzip: false, brotli: false });
  const server = createServer((req, res) => {
    // Nothing a request carries may throw out of this handler: an exception here would end the
    // process, and with it every queued and running run.
    try {
      route(req, res);
    } catch (err) {
      if (!res.headersSent) refuse(res, 500, errorMessage(err));
      else res.destroy();
    }
  });
  const route = (req: IncomingMessage, res: ServerResponse): void => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    securityHeaders(res);
    if (!isAllowedHost(req.headers.host, port)) return refuse(res, 403, 'this server only answers to 127.0.0.1 and localhost');
    if (!isAllowedOrigin(req.headers.origin, port)) return refuse(res, 403, 'cross-origin requests are refused');
    const target = parseTarget(req.url, port);
    if (target === null) return refuse(res, 400, 'malformed request target');
    const isApi = target.pathname.startsWith('/api/');
    const isDownload = target.pathname.startsWith(DOWNLOAD_PREFIX);
    if ((isApi || isDownload) && !options.gate.admits(req.headers.cookie)) return refuse(res, 401, NO_ACCESS, 'unauthorized');
    const token = target.searchParams.get(TOKEN_PARAM);
    if (token !== null && !isApi && !isDownload) return enter(options.gate, token, req, res);
    if (isApi) {
      const method = decodeSegment(target.pathname.slice(5));
      if (method === null) return refuse(res, 400, 'malformed percent-encoding in the API method');
      handleApi(options.service, method, req, res).catch((err: unknown) => {
        if (!res.headersSent) refuse(res, 500, errorMessage(err));
      });
      return;
    }
    if (isDownload) {
      if (options.downloads === undefined) return refuse(res, 404, 'this server offers no downloads');
      const token = decodeSegment(target.pathname.slice(DOWNLOAD_PREFIX.length));
      if (token === null) return refuse(res, 400, 'malformed percent-encoding in the download token');
      return handleDownload(options.downloads, token, req, res);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'only GET for pages');
    serveStatic(req, res, () => refuse(res, 404, 'not found'));
  };
  return server;
}

/**
 * Opening the printed link: its token becomes a session cookie and the browser is sent on to the
 * app without the token in its address. A used or unknown token is refused, unless the browser
 * already has a session.
 */
function enter(gate: AccessGate, token: string, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET') return refuse(res, 405, 'open the link with GET');
  const cookie = gate.trade(token);
  if (cookie === null && !gate.admits(req.headers.cookie)) {
    res.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end('This link was used already or is not for this lab. Open the newest link that `npm run serve` printed.\n');
    return;
  }
  res.writeHead(303, { Location: '/', 'Cache-Control': 'no-store', ...(cookie === null ? {} : { 'Set-Cookie': cookie }) });
  res.end();
}

/** The request target as a URL on this server, or null when it does not parse as one. */
function parseTarget(raw: string | undefined, port: number): URL | null {
  // Only origin-form targets ("/path?query"): "//host/x" or an absolute URL would change the host.
  if (raw === undefined || !raw.startsWith('/') || raw.startsWith('//'))
    return raw === undefined ? new URL(`http://${LOOPBACK_HOST}:${port}/`) : null;
  try {
    return new URL(raw, `http://${LOOPBACK_HOST}:${port}`);
  } catch {
    return null;
  }
}

/** decodeURIComponent, or null for malformed percent-encoding ("%", "%zz", a lone surrogate). */
function decodeSegment(encoded: string): string | null {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return null;
  }
}
