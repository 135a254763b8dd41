// Which renderer frames may call the lab over IPC: only the top frame of one of our windows,
// showing our own page (the built index.html, or the dev server URL while developing).
// Must not: trust anything the renderer says about itself.

export interface TrustedOrigin {
  /** app://lab/index.html (the built renderer, appProtocol.ts), or the dev server's http URL while developing. */
  readonly pageUrl: string;
}

/**
 * True when `frameUrl` is our page (ignoring the hash route and query): the same scheme and host
 * (for app:// and http://; WHATWG gives a non-special scheme the opaque origin "null", so the host
 * is compared, not the origin), or the same file for file://.
 */
export function isTrustedFrameUrl(frameUrl: string | undefined, trusted: TrustedOrigin): boolean {
  if (frameUrl === undefined || frameUrl === '') return false;
  let frame: URL;
  let page: URL;
  try {
    frame = new URL(frameUrl);
    page = new URL(trusted.pageUrl);
  } catch {
    return false;
  }
  if (frame.protocol !== page.protocol) return false;
  if (page.protocol === 'file:') return frame.pathname === page.pathname;
  return frame.host === page.host && frame.username === '' && frame.password === '';
}
