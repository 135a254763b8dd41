import { describe, expect, it } from 'vitest';
import type { MenuCommand } from '../../../core/contract/desktopShell';
import { dispatchMenuCommand, MENU_ROUTES, subscribeMenuCommands, type MenuCommandHandlers } from './menuCommands';

function recorder(overrides: Partial<MenuCommandHandlers> = {}) {
  const calls: unknown[][] = [];
  const handlers: MenuCommandHandlers = {
    navigate: (path) => void calls.push(['navigate', path]),
    importScenario: (fileName, text) => void calls.push(['import', fileName, text]),
    exportScenario: (format) => void calls.push(['exportScenario', format]),
    importRun: (fileName, data) => void calls.push(['importRun', fileName, data]),
    importTrace: (fileName, text) => void calls.push(['importTrace', fileName, text]),
    exportRun: (runId, format) => void calls.push(['exportRun', runId, format]),
    toggleTheme: () => void calls.push(['theme']),
    showShortcuts: () => void calls.push(['shortcuts']),
    ...overrides,
  };
  return { calls, handlers };
}

function fakeBridge() {
  let listener: ((c: MenuCommand) => void) | null = null;
  return {
    bridge: {
      onMenuCommand(l: (c: MenuCommand) => void) {
        listener = l;
        return () => void (listener = null);
      },
    },
    emit: (c: MenuCommand) => listener?.(c),
    subscribed: () => listener !== null,
  };
}

describe('menu commands in the renderer', () => {
  it("opens each destination's route", () => {
    const { calls, handlers } = recorder();
    for (const to of ['runs', 'new', 'presets', 'experiments', 'compare', 'query'] as const)
      void dispatchMenuCommand({ kind: 'navigate', to }, handlers);
    expect(calls).toEqual([
      ['navigate', '/'],
      ['navigate', '/new'],
      ['navigate', '/presets'],
      ['navigate', '/experiments'],
      ['navigate', '/compare'],
      ['navigate', '/query'],
    ]);
    expect(Object.keys(MENU_ROUTES)).toHaveLength(6);
  });

  it('hands file text, export formats, the run to export, theme and shortcuts to their handlers', () => {
    const { calls, handlers } = recorder();
    const commands: MenuCommand[] = [
      { kind: 'import-scenario', fileName: 'a.yaml', text: 'name: a' },
      { kind: 'export-scenario', format: 'json' },
      { kind: 'import-run', fileName: 'r.gz', dataBase64: 'AQID' },
      { kind: 'import-trace', fileName: 't.txt', text: 'line' },
      { kind: 'export-run', runId: 4, format: 'perfetto' },
      { kind: 'toggle-theme' },
      { kind: 'show-shortcuts' },
    ];
    for (const c of commands) void dispatchMenuCommand(c, handlers);
    expect(calls).toEqual([
      ['import', 'a.yaml', 'name: a'],
      ['exportScenario', 'json'],
      ['importRun', 'r.gz', 'AQID'],
      ['importTrace', 't.txt', 'line'],
      ['exportRun', 4, 'perfetto'],
      ['theme'],
      ['shortcuts'],
    ]);
  });

  it('subscribes to the bridge, reports failing handlers (thrown or rejected) with their command, and unsubscribes', async () => {
    const errors: [string, string][] = [];
    const { calls, handlers } = recorder({
      importScenario: () => {
        throw new Error('a.yaml: not valid JSON or YAML');
      },
      exportRun: () => Promise.reject(new Error('run 4 not found')),
    });
    const fake = fakeBridge();
    const unsubscribe = subscribeMenuCommands(fake.bridge, handlers, (c, err) => errors.push([c.kind, (err as Error).message]));
    fake.emit({ kind: 'toggle-theme' });
    fake.emit({ kind: 'import-scenario', fileName: 'a.yaml', text: '{' });
    fake.emit({ kind: 'export-run', runId: 4, format: 'csv' });
    await Promise.resolve();
    await Promise.resolve();
    expect(calls).toEqual([['theme']]);
    expect(errors).toEqual([
      ['import-scenario', 'a.yaml: not valid JSON or YAML'],
      ['export-run', 'run 4 not found'],
    ]);
    unsubscribe();
    expect(fake.subscribed()).toBe(false);
  });

  it('does nothing without the desktop bridge (browser mode)', () => {
    const { handlers } = recorder();
    const unsubscribe = subscribeMenuCommands(undefined, handlers, () => undefined);
    expect(() => unsubscribe()).not.toThrow();
  });
});
