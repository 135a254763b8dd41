import { describe, expect, it } from 'vitest';
import { createLabWindow, hardenWebContents, LAB_WEB_PREFERENCES, type CancellableNavigation, type WebContentsLike } from './window';

const PAGE = 'app://lab/index.html';

function fakeContents() {
  const listeners = new Map<string, ((event: CancellableNavigation) => void)[]>();
  let openHandler: (() => { action: string }) | null = null;
  const contents: WebContentsLike = {
    setWindowOpenHandler: (h) => void (openHandler = h),
    on: (event, listener) => void listeners.set(event, [...(listeners.get(event) ?? []), listener]),
  };
  /** Emits `event` and tells whether a handler cancelled it. */
  const emit = (event: string, url: string, isMainFrame?: boolean): boolean => {
    let cancelled = false;
    const e = { url, ...(isMainFrame === undefined ? {} : { isMainFrame }), preventDefault: () => void (cancelled = true) };
    for (const l of listeners.get(event) ?? []) l(e);
    return cancelled;
  };
  return { contents, emit, openHandler: () => openHandler };
}

describe('every web contents of the app is hardened', () => {
  it('denies new windows and webviews', () => {
    const f = fakeContents();
    hardenWebContents(f.contents, PAGE);
    expect(f.openHandler()?.()).toEqual({ action: 'deny' });
    expect(f.emit('will-attach-webview', 'https://evil.example/')).toBe(true);
  });

  it('denies navigation and redirects away from our page, and lets hash routes stay', () => {
    const f = fakeContents();
    hardenWebContents(f.contents, PAGE);
    for (const event of ['will-navigate', 'will-redirect']) {
      expect(f.emit(event, 'https://evil.example/'), event).toBe(true);
      expect(f.emit(event, 'file:///etc/passwd'), event).toBe(true);
      expect(f.emit(event, 'app://other/index.html'), event).toBe(true);
      expect(f.emit(event, 'app://lab/index.html#/runs/3'), event).toBe(false);
    }
  });

  it('denies frame navigation except the main frame staying on our page', () => {
    const f = fakeContents();
    hardenWebContents(f.contents, PAGE);
    expect(f.emit('will-frame-navigate', 'https://evil.example/', true)).toBe(true);
    expect(f.emit('will-frame-navigate', 'app://lab/index.html', false)).toBe(true);
    expect(f.emit('will-frame-navigate', 'app://lab/index.html#/new', true)).toBe(false);
  });
});

describe('the lab window', () => {
  it('is created sandboxed and isolated with our preload, hardened, and loads the page it is given', async () => {
    const f = fakeContents();
    const made: { options: unknown; loaded: string[] }[] = [];
    class FakeWindow {
      readonly webContents = f.contents;
      readonly record = { options: null as unknown, loaded: [] as string[] };
      constructor(options: unknown) {
        this.record.options = options;
        made.push(this.record);
      }
      once(): void {}
      show(): void {}
      loadURL(url: string): Promise<void> {
        this.record.loaded.push(url);
        return Promise.resolve();
      }
    }
    createLabWindow(FakeWindow, { preloadPath: '/app/preload/index.cjs', pageUrl: PAGE });
    await Promise.resolve();
    expect(made).toHaveLength(1);
    expect(made[0]!.options).toMatchObject({ webPreferences: { preload: '/app/preload/index.cjs', ...LAB_WEB_PREFERENCES } });
    expect(LAB_WEB_PREFERENCES).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false });
    expect(made[0]!.loaded).toEqual([PAGE]);
    expect(f.emit('will-navigate', 'https://evil.example/')).toBe(true);
  });
});
