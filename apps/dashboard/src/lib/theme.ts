/**
 * Light and dark themes: the user's choice in localStorage, else the system's. Applied as
 * `data-theme` on <html> by the module that boots the app (no inline script: the CSP forbids it).
 */
import { readJson, writeJson } from './storage';

export type Theme = 'light' | 'dark';

const isTheme = (value: unknown): value is Theme => value === 'light' || value === 'dark';

export function initialTheme(): Theme {
  return readJson('theme', isTheme) ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
}

export function applyTheme(theme: Theme, remember = false): void {
  document.documentElement.dataset['theme'] = theme;
  if (remember) writeJson('theme', theme);
}
