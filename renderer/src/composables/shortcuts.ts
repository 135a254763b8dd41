// Keyboard shortcuts as data: a binding names its keys ("n", "?", "Ctrl+Enter", "Escape"), what it
// does (shown in the shortcut list) and its handler. Scopes (the shell, a view) are stacked; a key
// goes to the newest scope that has a matching binding whose handler does not decline (returns
// false), so a view's Escape wins over the shell's. Single-key shortcuts never fire while the user
// types in a field; modified keys and Escape do.
// Must not: touch the DOM (useShortcuts.ts attaches the one listener).

export interface KeyLike {
  readonly key: string;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  readonly altKey: boolean;
  readonly shiftKey: boolean;
  readonly target: unknown;
}

export interface Shortcut {
  readonly keys: string;
  readonly description: string;
  /** Returns false when it did not apply (the key then goes to older scopes); anything else means handled. */
  readonly run: (event: KeyLike) => unknown;
}

export interface ShortcutScope {
  readonly name: string;
  readonly shortcuts: readonly Shortcut[];
}

export function matches(keys: string, e: KeyLike): boolean {
  const parts = keys.split('+');
  // "+" alone (or "Ctrl++") names the plus key itself.
  const key = keys.endsWith('+') ? '+' : parts[parts.length - 1]!;
  const mods = new Set(parts.slice(0, -1).filter((p) => p !== ''));
  const ctrl = e.ctrlKey || e.metaKey;
  if (mods.has('Ctrl') !== ctrl || mods.has('Alt') !== e.altKey) return false;
  // A printable key's shift state is in the key itself ("?" is Shift+/ on most layouts).
  if (key.length > 1 && mods.has('Shift') !== e.shiftKey) return false;
  return key.length === 1 ? e.key.toLowerCase() === key.toLowerCase() : e.key === key;
}

/** Whether the key goes into a text field (single-key shortcuts must then stay out of the way). */
export function isTyping(target: unknown): boolean {
  if (typeof target !== 'object' || target === null) return false;
  const t = target as { tagName?: string; isContentEditable?: boolean; type?: string };
  if (t.isContentEditable === true) return true;
  const tag = (t.tagName ?? '').toUpperCase();
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  return tag === 'INPUT' && !['checkbox', 'radio', 'button', 'submit', 'file'].includes((t.type ?? 'text').toLowerCase());
}

function firesWhileTyping(keys: string): boolean {
  return keys.startsWith('Ctrl+') || keys.startsWith('Alt+') || keys === 'Escape';
}

export class ShortcutRegistry {
  private scopes: ShortcutScope[] = [];

  constructor(private readonly onChange: () => void = () => undefined) {}

  /** Adds a scope on top; returns its removal. */
  push(scope: ShortcutScope): () => void {
    this.scopes = [...this.scopes, scope];
    this.onChange();
    return () => {
      this.scopes = this.scopes.filter((s) => s !== scope);
      this.onChange();
    };
  }

  get size(): number {
    return this.scopes.length;
  }

  /** Newest scope first, as the shortcut list shows them. */
  list(): readonly ShortcutScope[] {
    return [...this.scopes].reverse();
  }

  /**
   * The scopes as the shortcut list shows them: a key bound in a newer scope and an older one (the
   * runs list's "c" over the shell's) is listed once, under the newer scope, with what it does
   * otherwise.
   */
  shown(): readonly ShortcutScope[] {
    const seen = new Map<string, { description: string }>();
    const out: { name: string; shortcuts: Shortcut[] }[] = [];
    for (const scope of this.list()) {
      const shortcuts: Shortcut[] = [];
      for (const s of scope.shortcuts) {
        const newer = seen.get(s.keys);
        if (newer !== undefined) {
          newer.description += `; otherwise: ${s.description}`;
          continue;
        }
        const entry = { ...s };
        seen.set(s.keys, entry);
        shortcuts.push(entry);
      }
      out.push({ name: scope.name, shortcuts });
    }
    return out.filter((s) => s.shortcuts.length > 0);
  }

  /** Runs the binding the key selects; true when one handled it. */
  dispatch(e: KeyLike): boolean {
    const typing = isTyping(e.target);
    for (const scope of this.list()) {
      for (const s of scope.shortcuts) {
        if (!matches(s.keys, e) || (typing && !firesWhileTyping(s.keys))) continue;
        if (s.run(e) !== false) return true;
      }
    }
    return false;
  }
}
