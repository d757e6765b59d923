/**
 * What the verifier remembers between runs: the last checkpoint it accepted for each log of each
 * gateway, so a later run can demand a consistency proof from it (catching a rewritten or rolled
 * back history) and notice a log key that changed. Kept as JSON text under string keys, in
 * `localStorage` in a browser or a file in Node (`@saferouter/verify/node`'s `fileState`), and
 * written only after a run in which nothing failed.
 */

/** A key-value store of JSON text. Both methods may be sync or async. */
export interface StateStore {
  get(key: string): string | null | undefined | Promise<string | null | undefined>;
  set(key: string, value: string): void | Promise<void>;
}

/** A remembered checkpoint of one log. */
export interface RememberedLog {
  /** The checkpoint's origin line. */
  readonly origin: string;
  /** The log's C2SP verifier key. */
  readonly vkey: string;
  /** The whole signed checkpoint note. */
  readonly note: string;
  readonly size: number;
  /** Standard base64 of the root hash. */
  readonly root: string;
  /** ISO 8601 time it was remembered. */
  readonly seenAt: string;
}

export const LOG_KINDS = ['startup', 'audit'] as const;
export type LogKind = (typeof LOG_KINDS)[number];

/** The state key of one log of one gateway. */
export function stateKey(gateway: string, kind: LogKind): string {
  return `saferouter-verify/v1 ${gateway} ${kind}`;
}

/**
 * A store that forgets when the process ends (the default: every run is a first sight).
 *
 * @example
 * const state = memoryState();
 * await verifyGateway(url, { state }); await verifyGateway(url, { state }); // the second run compares
 */
export function memoryState(): StateStore {
  const map = new Map<string, string>();
  return { get: (k) => map.get(k) ?? null, set: (k, v) => void map.set(k, v) };
}

interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * The browser's `localStorage` (or any Storage), for pages.
 *
 * @example
 * await verifyGateway(url, { state: localStorageState() });
 * @throws {TypeError} when no storage is available.
 */
export function localStorageState(storage?: StorageLike): StateStore {
  const s = storage ?? (globalThis as { localStorage?: StorageLike }).localStorage;
  if (s === undefined) throw new TypeError('no localStorage here: pass a Storage, or use memoryState()');
  return { get: (k) => s.getItem(k), set: (k, v) => s.setItem(k, v) };
}

function isRemembered(value: unknown): value is RememberedLog {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r['origin'] === 'string' &&
    typeof r['vkey'] === 'string' &&
    typeof r['note'] === 'string' &&
    typeof r['root'] === 'string' &&
    typeof r['seenAt'] === 'string' &&
    typeof r['size'] === 'number' &&
    Number.isSafeInteger(r['size'])
  );
}

/**
 * Reads a remembered log; a corrupt value is reported, never trusted.
 *
 * @throws {Error} when the stored value is not a remembered checkpoint.
 */
export async function readRemembered(store: StateStore, key: string): Promise<RememberedLog | undefined> {
  const text = await store.get(key);
  if (text === null || text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`the remembered state under "${key}" is not JSON; reset it to start over`);
  }
  if (!isRemembered(value)) throw new Error(`the remembered state under "${key}" is malformed; reset it to start over`);
  return value;
}
