import { describe, expect, it } from 'vitest';
import { rendererSource } from './rendererSource';
import { APP_PAGE_URL } from './appProtocol';

describe('where the lab window page comes from', () => {
  it('is the app:// page in a packaged app, whatever ELECTRON_RENDERER_URL says', () => {
    expect(rendererSource({ isPackaged: true, devUrl: 'http://localhost:5173/' })).toEqual({ pageUrl: APP_PAGE_URL, isDev: false });
    expect(rendererSource({ isPackaged: false, devUrl: undefined })).toEqual({ pageUrl: APP_PAGE_URL, isDev: false });
  });

  it('is the dev server only in an unpackaged app and only on loopback http', () => {
    expect(rendererSource({ isPackaged: false, devUrl: 'http://localhost:5173/' })).toEqual({
      pageUrl: 'http://localhost:5173/',
      isDev: true,
    });
    for (const devUrl of ['https://evil.example/', 'http://192.168.1.5:5173/', 'file:///tmp/x.html', 'not a url']) {
      expect(rendererSource({ isPackaged: false, devUrl }), devUrl).toEqual({ pageUrl: APP_PAGE_URL, isDev: false });
    }
  });
});
