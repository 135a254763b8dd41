// Light or dark theme: the user's choice persisted in localStorage, else the system's
// prefers-color-scheme; applied as data-theme on <html> (styles.css reads it, onThemeChange watches it).
// Must not: read storage outside the browser (themeChoice is pure for tests).

import { onBeforeUnmount, onMounted, ref, watch, type Ref } from 'vue';

export type Theme = 'light' | 'dark';
export const THEME_KEY = 'pcilab.theme';

export function themeChoice(stored: string | null, prefersDark: boolean): Theme {
  if (stored === 'light' || stored === 'dark') return stored;
  return prefersDark ? 'dark' : 'light';
}

function readStored(): string | null {
  try {
    return window.localStorage.getItem(THEME_KEY);
  } catch {
    return null;
  }
}

export function useTheme(): { theme: Ref<Theme>; toggle: () => void } {
  const prefersDark = window.matchMedia?.('(prefers-color-scheme: dark)').matches ?? false;
  const theme = ref<Theme>(themeChoice(readStored(), prefersDark));
  const apply = (t: Theme): void => {
    document.documentElement.dataset['theme'] = t;
  };
  apply(theme.value);
  watch(theme, (t) => {
    apply(t);
    try {
      window.localStorage.setItem(THEME_KEY, t);
    } catch {
      // Storage may be unavailable (private mode); the theme still applies for this session.
    }
  });
  return { theme, toggle: () => (theme.value = theme.value === 'dark' ? 'light' : 'dark') };
}

/** Calls `fn` on every theme switch while the component is mounted (canvases read their colours from the theme). */
export function onThemeChange(fn: () => void): void {
  const observer = new MutationObserver(fn);
  onMounted(() => observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] }));
  onBeforeUnmount(() => observer.disconnect());
}
