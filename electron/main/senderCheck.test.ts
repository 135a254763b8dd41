import { describe, expect, it } from 'vitest';
import { isTrustedFrameUrl } from './senderCheck';

describe('which frames may call the lab over IPC', () => {
  it('trusts our app:// page by scheme and host (the WHATWG origin of app:// is "null" for every host)', () => {
    const trusted = { pageUrl: 'app://lab/index.html' };
    expect(isTrustedFrameUrl('app://lab/index.html#/runs/3', trusted)).toBe(true);
    expect(isTrustedFrameUrl('app://evil/index.html', trusted)).toBe(false);
    expect(isTrustedFrameUrl('file:///app/out/renderer/index.html', trusted)).toBe(false);
    expect(isTrustedFrameUrl('http://localhost:5173/', trusted)).toBe(false);
  });

  it('trusts the dev server only at its own host and port', () => {
    const trusted = { pageUrl: 'http://localhost:5173/' };
    expect(isTrustedFrameUrl('http://localhost:5173/#/new', trusted)).toBe(true);
    expect(isTrustedFrameUrl('http://localhost:5174/', trusted)).toBe(false);
    expect(isTrustedFrameUrl('http://user@localhost:5173/', trusted)).toBe(false);
  });
});
