// Which Chromium the e2e suite drives: PCILAB_CHROMIUM, else Debian's /usr/bin/chromium.
import { existsSync } from 'node:fs';

export function chromiumPath(): string {
  const candidates = [process.env['PCILAB_CHROMIUM'], '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  const found = candidates.find((p): p is string => p !== undefined && p !== '' && existsSync(p));
  if (found === undefined)
    throw new Error('no Chromium found: install Debian `chromium` or set PCILAB_CHROMIUM (see e2e/checkChromium.mjs)');
  return found;
}

/** Flags for a root, offline, headless Chromium (this machine's network is closed). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
