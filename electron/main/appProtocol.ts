// The app:// protocol that serves the built renderer to the lab window (instead of file://, where
// the CSP's 'self' would cover every file: URL): app://lab/<path> maps to a file under the renderer
// directory and nothing else, with the same CSP as a header. The scheme is registered as standard
// and secure before the app is ready; the handler is installed on the lab's session.
// Must not: serve anything outside the renderer directory, or import electron (callers pass it in).

import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { CONTENT_SECURITY_POLICY, CSP_HEADER_EXTRA } from '../service/contentSecurityPolicy';

export const APP_SCHEME = 'app';
export const APP_HOST = 'lab';
export const APP_PAGE_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** The slice of Electron's `protocol` module used here. */
export interface ProtocolLike {
  registerSchemesAsPrivileged(
    schemes: { scheme: string; privileges: { standard: boolean; secure: boolean; supportFetchAPI: boolean } }[],
  ): void;
  handle(scheme: string, handler: (request: Request) => Promise<Response>): void;
}

/** Before app ready: app:// is a standard, secure scheme (its own origin; fetch works on it). */
export function registerAppScheme(protocol: Pick<ProtocolLike, 'registerSchemesAsPrivileged'>): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

/** The file an app:// URL names under `rendererDir`, or null for another host, a bad path or an escape. */
export function appFileFor(url: string, rendererDir: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  const root = normalize(rendererDir.endsWith(sep) ? rendererDir : rendererDir + sep);
  const file = normalize(join(root, path === '/' ? 'index.html' : path));
  return file.startsWith(root) ? file : null;
}

/** The app:// handler: the renderer's files, 404 for anything else. */
export function appProtocolHandler(
  rendererDir: string,
  read: (file: string) => Promise<Uint8Array> = readFile,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const file = appFileFor(request.url, rendererDir);
    if (file === null || request.method !== 'GET') return new Response('not found', { status: 404 });
    try {
      const body = await read(file);
      return new Response(body as Uint8Array<ArrayBuffer>, {
        headers: {
          'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
          'Content-Security-Policy': `${CONTENT_SECURITY_POLICY}; ${CSP_HEADER_EXTRA}`,
          'X-Content-Type-Options': 'nosniff',
        },
      });
    } catch {
      return new Response('not found', { status: 404 });
    }
  };
}

/** After app ready: serves the renderer directory on app:// for this protocol (the lab's session). */
export function handleAppProtocol(protocol: Pick<ProtocolLike, 'handle'>, rendererDir: string): void {
  protocol.handle(APP_SCHEME, appProtocolHandler(rendererDir));
}
