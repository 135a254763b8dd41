// The Vue side of keyboard shortcuts: a component adds its scope while mounted. One keydown
// listener on window exists while any scope does, and is removed with the last one, so nothing
// leaks across views or test pages.
// Must not: hold shortcut logic (shortcuts.ts does).

import { onBeforeUnmount, onMounted, shallowRef } from 'vue';
import { ShortcutRegistry, type Shortcut, type ShortcutScope } from './shortcuts';

const version = shallowRef(0);
const registry = new ShortcutRegistry(() => (version.value += 1));

function onKeydown(event: KeyboardEvent): void {
  if (event.defaultPrevented || event.isComposing) return;
  if (registry.dispatch(event)) event.preventDefault();
}

export function useShortcuts(name: string, shortcuts: readonly Shortcut[]): void {
  let remove: (() => void) | null = null;
  onMounted(() => {
    if (registry.size === 0) window.addEventListener('keydown', onKeydown);
    remove = registry.push({ name, shortcuts });
  });
  onBeforeUnmount(() => {
    remove?.();
    remove = null;
    if (registry.size === 0) window.removeEventListener('keydown', onKeydown);
  });
}

/** The scopes active now, newest first (reactive: re-read when a scope comes or goes). */
export function activeShortcutScopes(): readonly ShortcutScope[] {
  void version.value;
  return registry.shown();
}
