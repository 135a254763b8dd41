// Which renderer frames may call the lab over IPC: only the top frame of one of our windows,
// showing our own page (the built index.html, or the dev server URL while developing).
// Must not: trust anything the renderer says about itself.

export interface TrustedOrigin {
  /** file:// URL of the built renderer/index.html, or the dev server's http URL. */
  readonly pageUrl: string;
}

/** True when `frameUrl` is our page (ignoring the hash route and query). */
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
  return frame.origin === page.origin;
}
