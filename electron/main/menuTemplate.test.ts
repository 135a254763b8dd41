import { describe, expect, it } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../../core/contract/desktopShell';
import { MenuCommandSchema } from '../../core/contract/desktopShell';
import { appMenuTemplate, openRunIdOf, type MenuState } from './menuTemplate';

function build(state: Partial<MenuState> = {}) {
  const sent: MenuCommand[] = [];
  let imports = 0;
  const template = appMenuTemplate(
    { platform: 'linux', isDev: false, openRunId: null, ...state },
    {
      send: (c) => sent.push(c),
      importScenario: () => void (imports += 1),
      importRun: () => void (imports += 10),
      importTrace: () => void (imports += 100),
    },
  );
  return { template, sent, imports: () => imports };
}

function items(template: readonly MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return template.flatMap((i) => [i, ...(Array.isArray(i.submenu) ? items(i.submenu) : [])]);
}

function byLabel(template: readonly MenuItemConstructorOptions[], label: string): MenuItemConstructorOptions {
  const found = items(template).find((i) => i.label === label);
  if (found === undefined) throw new Error(`no menu item "${label}"`);
  return found;
}

function click(item: MenuItemConstructorOptions): void {
  (item.click as () => void)();
}

describe('the application menu', () => {
  it('navigates to every screen of the shell through menu commands', () => {
    const { template, sent } = build();
    for (const label of ['Runs', 'New run', 'Presets', 'Experiments', 'Compare', 'Query']) click(byLabel(template, label));
    expect(sent).toEqual(['runs', 'new', 'presets', 'experiments', 'compare', 'query'].map((to) => ({ kind: 'navigate', to })));
  });

  it('imports through the open dialog and exports the scenario as YAML or JSON', () => {
    const { template, sent, imports } = build();
    click(byLabel(template, 'Import scenario…'));
    expect(imports()).toBe(1);
    click(byLabel(template, 'Import run…'));
    click(byLabel(template, 'Import trace…'));
    expect(imports()).toBe(111);
    click(byLabel(template, 'Export scenario as YAML…'));
    click(byLabel(template, 'Export scenario as JSON…'));
    expect(sent).toEqual([
      { kind: 'export-scenario', format: 'yaml' },
      { kind: 'export-scenario', format: 'json' },
    ]);
  });

  it('offers Export run only while a run is open, in each format, for that run', () => {
    expect(items(build().template).some((i) => i.id === 'export-run')).toBe(false);
    const { template, sent } = build({ openRunId: 12 });
    const exportRun = items(template).find((i) => i.id === 'export-run')!;
    expect(exportRun.label).toBe('Export run 12');
    for (const f of exportRun.submenu as MenuItemConstructorOptions[]) click(f);
    expect(sent).toEqual(['perfetto', 'csv', 'json', 'bundle'].map((format) => ({ kind: 'export-run', runId: 12, format })));
  });

  it('toggles the theme and shows the shortcut list', () => {
    const { template, sent } = build();
    click(byLabel(template, 'Toggle dark theme'));
    click(byLabel(template, 'Keyboard shortcuts'));
    expect(sent).toEqual([{ kind: 'toggle-theme' }, { kind: 'show-shortcuts' }]);
  });

  it('has reload and devtools in development only', () => {
    const roles = (t: readonly MenuItemConstructorOptions[]) => items(t).map((i) => i.role);
    expect(roles(build().template)).not.toContain('toggleDevTools');
    expect(roles(build().template)).not.toContain('reload');
    expect(roles(build({ isDev: true }).template)).toEqual(expect.arrayContaining(['reload', 'toggleDevTools']));
  });

  it('puts Quit and About in the application menu on macOS, in File and Help elsewhere', () => {
    const linux = items(build().template).map((i) => i.role);
    expect(linux).toEqual(expect.arrayContaining(['quit', 'about']));
    expect(linux).not.toContain('appMenu');
    const mac = items(build({ platform: 'darwin' }).template).map((i) => i.role);
    expect(mac).toContain('appMenu');
    expect(mac).not.toContain('quit');
    expect(mac).not.toContain('about');
  });

  it('sends only commands of the validated union, and gives each accelerator to one item', () => {
    const { template, sent } = build({ openRunId: 3 });
    for (const i of items(template)) if (typeof i.click === 'function' && i.label !== 'Import scenario…') click(i);
    for (const c of sent) expect(MenuCommandSchema.safeParse(c).success).toBe(true);
    const accelerators = items(template).flatMap((i) => (i.accelerator === undefined ? [] : [i.accelerator]));
    expect(new Set(accelerators).size).toBe(accelerators.length);
  });
});

describe('the open run, read from the window URL', () => {
  it('is the id of a #/runs/<id> route, and null anywhere else', () => {
    expect(openRunIdOf('file:///app/out/renderer/index.html#/runs/12')).toBe(12);
    expect(openRunIdOf('http://localhost:5173/#/runs/7?tab=timeline')).toBe(7);
    expect(openRunIdOf('file:///app/out/renderer/index.html#/runs/12/timeline')).toBe(12);
    expect(openRunIdOf('file:///app/out/renderer/index.html#/runs')).toBeNull();
    expect(openRunIdOf('file:///app/out/renderer/index.html#/new')).toBeNull();
    expect(openRunIdOf('file:///app/out/renderer/index.html#/runs/0')).toBeNull();
    expect(openRunIdOf('file:///app/out/renderer/index.html#/runs/12abc')).toBeNull();
    expect(openRunIdOf('')).toBeNull();
  });
});
