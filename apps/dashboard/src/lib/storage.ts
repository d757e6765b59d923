/**
 * localStorage, typed and failure-proof: a full or disabled storage (private windows, quotas)
 * never breaks a page, and a value someone edited by hand is read as absent, not as a crash.
 */
const PREFIX = 'saferouter.';

export function readJson<T>(name: string, valid: (value: unknown) => value is T): T | undefined {
  try {
    const raw = localStorage.getItem(PREFIX + name);
    if (raw === null) return undefined;
    const value: unknown = JSON.parse(raw);
    return valid(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function writeJson(name: string, value: unknown): void {
  try {
    if (value === undefined) localStorage.removeItem(PREFIX + name);
    else localStorage.setItem(PREFIX + name, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the value lives for this page only.
  }
}

export const isString = (value: unknown): value is string => typeof value === 'string';
export const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');
