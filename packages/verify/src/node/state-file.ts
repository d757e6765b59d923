/**
 * The CLI's memory between runs: one JSON file of remembered checkpoints, by default under the
 * user's config directory, written atomically (a temporary file renamed over it) with mode 0600.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { LOG_KINDS, stateKey, type StateStore } from '../state.js';

/**
 * `$XDG_CONFIG_HOME/saferouter/verify-state.json`, else `%APPDATA%\saferouter\…` on Windows,
 * else `~/.config/saferouter/verify-state.json`.
 */
export function defaultStatePath(env: NodeJS.ProcessEnv = process.env): string {
  const base =
    env['XDG_CONFIG_HOME'] ?? (process.platform === 'win32' ? env['APPDATA'] : undefined) ?? join(homedir(), '.config');
  return join(base, 'saferouter', 'verify-state.json');
}

function readAll(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`the state file ${path} is not JSON; remove it or pass --reset-state`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`the state file ${path} is not a JSON object; remove it or pass --reset-state`);
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/**
 * @example
 * await verifyGateway(url, { state: fileState(defaultStatePath()) });
 */
export function fileState(path: string): StateStore {
  return {
    get: (key) => readAll(path)[key] ?? null,
    set: (key, value) => {
      const all = readAll(path);
      all[key] = value;
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
      renameSync(tmp, path);
    },
  };
}

/** Forgets what was remembered about `gateway`'s logs. */
export function resetState(path: string, gateway: string): void {
  const forget = new Set(LOG_KINDS.map((kind) => stateKey(gateway, kind)));
  const kept = Object.fromEntries(Object.entries(readAll(path)).filter(([k]) => !forget.has(k)));
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(kept, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}
