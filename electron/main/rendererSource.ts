// Where the lab window's page comes from: the built renderer through the app:// protocol
// (appProtocol.ts), or electron-vite's dev server while developing. ELECTRON_RENDERER_URL counts
// only in an unpackaged app and only when it names a loopback http server: a packaged app (or an
// environment variable set by someone else) can never point the window, and so the IPC sender
// check, at another page.
// Must not: import electron (tests pass plain values).

import { APP_PAGE_URL } from './appProtocol';

export interface RendererSource {
  /** The URL the window loads and the only page trusted to call the lab over IPC. */
  readonly pageUrl: string;
  /** True while developing against the dev server (the menu then has the developer tools). */
  readonly isDev: boolean;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function rendererSource(input: { readonly isPackaged: boolean; readonly devUrl: string | undefined }): RendererSource {
  if (input.isPackaged || input.devUrl === undefined || input.devUrl === '') return { pageUrl: APP_PAGE_URL, isDev: false };
  let url: URL;
  try {
    url = new URL(input.devUrl);
  } catch {
    return { pageUrl: APP_PAGE_URL, isDev: false };
  }
  if (url.protocol !== 'http:' || !LOOPBACK.has(url.hostname)) return { pageUrl: APP_PAGE_URL, isDev: false };
  return { pageUrl: url.href, isDev: true };
}
