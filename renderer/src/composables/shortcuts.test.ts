import { describe, expect, it } from 'vitest';
import { isTyping, matches, ShortcutRegistry, type KeyLike } from './shortcuts';

function key(k: string, mods: Partial<KeyLike> = {}): KeyLike {
  return { key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, target: null, ...mods };
}

describe('keyboard shortcuts', () => {
  it('match keys with their modifiers', () => {
    expect(matches('n', key('n'))).toBe(true);
    expect(matches('n', key('N', { shiftKey: true }))).toBe(true);
    expect(matches('n', key('n', { ctrlKey: true }))).toBe(false);
    expect(matches('?', key('?', { shiftKey: true }))).toBe(true);
    expect(matches('Ctrl+Enter', key('Enter', { ctrlKey: true }))).toBe(true);
    expect(matches('Ctrl+Enter', key('Enter', { metaKey: true }))).toBe(true);
    expect(matches('Ctrl+Enter', key('Enter'))).toBe(false);
    expect(matches('Escape', key('Escape'))).toBe(true);
  });

  it('"+" names the plus key, alone or with a modifier', () => {
    expect(matches('+', key('+', { shiftKey: true }))).toBe(true);
    expect(matches('+', key('='))).toBe(false);
    expect(matches('Ctrl++', key('+', { ctrlKey: true }))).toBe(true);
    expect(matches('Ctrl++', key('+'))).toBe(false);
  });

  it('single keys stay out of the way while typing; Ctrl combos and Escape do not', () => {
    const input = { tagName: 'INPUT', type: 'text' };
    expect(isTyping(input)).toBe(true);
    expect(isTyping({ tagName: 'INPUT', type: 'checkbox' })).toBe(false);
    const r = new ShortcutRegistry();
    const log: string[] = [];
    r.push({
      name: 'shell',
      shortcuts: [
        { keys: 'n', description: 'new', run: () => void log.push('n') },
        { keys: 'Ctrl+Enter', description: 'start', run: () => void log.push('start') },
      ],
    });
    expect(r.dispatch(key('n', { target: input }))).toBe(false);
    expect(r.dispatch(key('Enter', { ctrlKey: true, target: input }))).toBe(true);
    expect(r.dispatch(key('n'))).toBe(true);
    expect(log).toEqual(['start', 'n']);
  });

  it('the newest scope wins; a declining handler passes the key on; removed scopes are gone', () => {
    const log: string[] = [];
    const r = new ShortcutRegistry();
    r.push({ name: 'shell', shortcuts: [{ keys: 'Escape', description: 'close help', run: () => void log.push('shell') }] });
    const removeView = r.push({
      name: 'view',
      shortcuts: [{ keys: 'Escape', description: 'cancel confirm', run: () => (log.push('view-declined'), false) }],
    });
    r.dispatch(key('Escape'));
    removeView();
    r.dispatch(key('Escape'));
    expect(log).toEqual(['view-declined', 'shell', 'shell']);
    expect(r.list().map((s) => s.name)).toEqual(['shell']);
  });
});

describe('the shortcut list', () => {
  it('lists a key bound by a view and the shell once, under the view, with what it does otherwise', () => {
    const r = new ShortcutRegistry();
    r.push({
      name: 'Lab',
      shortcuts: [
        { keys: 'c', description: 'Compare (saved comparisons)', run: () => undefined },
        { keys: 'n', description: 'New run', run: () => undefined },
      ],
    });
    r.push({ name: 'Runs', shortcuts: [{ keys: 'c', description: 'Compare the selected runs', run: () => false }] });
    const shown = r.shown();
    expect(shown.map((s) => [s.name, s.shortcuts.map((k) => `${k.keys}: ${k.description}`)])).toEqual([
      ['Runs', ['c: Compare the selected runs; otherwise: Compare (saved comparisons)']],
      ['Lab', ['n: New run']],
    ]);
    // Dispatch still sees both bindings: the view's declines, the shell's runs.
    expect(r.list()[1]!.shortcuts).toHaveLength(2);
  });
});
