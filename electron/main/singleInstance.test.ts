import { describe, expect, it } from 'vitest';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalDbPath, labUserDataDir, revealWindow, type RevealableWindow } from './singleInstance';
import { sendMenuCommand, type CommandTarget } from './menuChannel';
import type { MenuCommand } from '../../core/contract/desktopShell';

describe('one window per lab', () => {
  const userData = '/home/u/.config/pci-passthrough-lab';
  const defaultDb = '/home/u/.local/share/pci-passthrough-lab/lab.db';

  it('keeps the default userData (and so the default lock) for the default lab', () => {
    expect(labUserDataDir(userData, defaultDb, defaultDb)).toBe(userData);
  });

  it('gives another database its own userData, the same one on every launch', () => {
    const a = labUserDataDir(userData, '/data/a.db', defaultDb);
    expect(a).toMatch(/^\/home\/u\/\.config\/pci-passthrough-lab\/labs\/[0-9a-f]{16}$/);
    expect(labUserDataDir(userData, '/data/a.db', defaultDb)).toBe(a);
    expect(labUserDataDir(userData, '/data/./a.db', defaultDb)).toBe(a);
    expect(labUserDataDir(userData, '/data/b.db', defaultDb)).not.toBe(a);
  });

  it('is the same lab through a symbolic link, and regardless of case where file names ignore it', () => {
    const real = mkdtempSync(join(tmpdir(), 'pcilab-lab-'));
    const link = `${real}-link`;
    symlinkSync(real, link);
    expect(labUserDataDir(userData, join(link, 'x.db'), defaultDb)).toBe(labUserDataDir(userData, join(real, 'x.db'), defaultDb));
    expect(canonicalDbPath('/Data/Lab.db', 'darwin')).toBe(canonicalDbPath('/data/lab.db', 'darwin'));
    expect(canonicalDbPath('/Data/Lab.db', 'linux')).not.toBe(canonicalDbPath('/data/lab.db', 'linux'));
  });

  function fakeWindow(minimized: boolean, destroyed = false) {
    const calls: string[] = [];
    const win: RevealableWindow = {
      isDestroyed: () => destroyed,
      isMinimized: () => minimized,
      restore: () => void calls.push('restore'),
      show: () => void calls.push('show'),
      focus: () => void calls.push('focus'),
    };
    return { win, calls };
  }

  it('brings the existing window forward on a second launch, restoring it when minimized', () => {
    const minimized = fakeWindow(true);
    expect(revealWindow(minimized.win)).toBe(true);
    expect(minimized.calls).toEqual(['restore', 'show', 'focus']);
    const shown = fakeWindow(false);
    expect(revealWindow(shown.win)).toBe(true);
    expect(shown.calls).toEqual(['show', 'focus']);
  });

  it('reports that there is no window to bring forward (the caller opens one)', () => {
    expect(revealWindow(null)).toBe(false);
    const gone = fakeWindow(false, true);
    expect(revealWindow(gone.win)).toBe(false);
    expect(gone.calls).toEqual([]);
  });
});

describe('the menu command channel', () => {
  function target(destroyed = false) {
    const sent: [string, MenuCommand][] = [];
    const t: CommandTarget = { isDestroyed: () => destroyed, send: (channel, c) => void sent.push([channel, c]) };
    return { t, sent };
  }

  it('sends a valid command on its one channel', () => {
    const { t, sent } = target();
    expect(sendMenuCommand(t, { kind: 'navigate', to: 'presets' })).toBe(true);
    expect(sent).toEqual([['pcilab-desktop:menu-command', { kind: 'navigate', to: 'presets' }]]);
  });

  it('sends nothing malformed, and nothing to a closed window', () => {
    const { t, sent } = target();
    expect(sendMenuCommand(t, { kind: 'navigate', to: 'settings' } as unknown as MenuCommand)).toBe(false);
    expect(sendMenuCommand(t, { kind: 'export-run', runId: -1, format: 'csv' })).toBe(false);
    expect(sent).toEqual([]);
    const closed = target(true);
    expect(sendMenuCommand(closed.t, { kind: 'toggle-theme' })).toBe(false);
    expect(sendMenuCommand(null, { kind: 'toggle-theme' })).toBe(false);
    expect(closed.sent).toEqual([]);
  });
});
