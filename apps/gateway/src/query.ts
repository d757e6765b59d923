/**
 * Small parsers for query-string and body fields shared by the management routes: times as
 * epoch milliseconds or ISO-8601, bounded integers, and windows like `24h`. Each failure is a
 * 400 that names the parameter.
 */
import { ApiError } from './errors.js';

function bad(name: string, message: string): ApiError {
  return new ApiError(
    400,
    'invalid_request_error',
    'invalid_value',
    `Invalid parameter '${name}': ${message}`,
    {},
    name,
  );
}

/** Epoch ms from `1700000000000` or `2026-11-24T10:00:00Z`; undefined when absent. */
export function parseTime(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const t = /^\d{1,16}$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (Number.isNaN(t)) throw bad(name, 'expected epoch milliseconds or an ISO-8601 time');
  if (!Number.isSafeInteger(t) || t < 0) throw bad(name, 'expected a time between 1970 and the year 285,000');
  return t;
}

/** True when `text` holds a C0 control character or DEL (NUL included). */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * A free-text filter value (a model, provider or request id): absent when empty, else at most
 * `max` printable characters.
 */
export function parseText(raw: string | undefined, name: string, max: number): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw.length > max) throw bad(name, `expected at most ${max} characters`);
  if (hasControlCharacter(raw)) throw bad(name, 'control characters are not allowed');
  return raw;
}

export function parseIntParam(raw: string | undefined, name: string, min: number, max: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw bad(name, 'expected a whole number');
  const n = Number(raw);
  if (n < min || n > max) throw bad(name, `expected ${min}..${max}`);
  return n;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_DURATION_MS = 366 * 86_400_000;

const EXAMPLES = { window: "'15m', '24h' or '7d'", bucket: "'5m', '1h' or '1d'" } as const;

/** `15m`, `24h`, `7d` → milliseconds, 1m to 366d; `what` names the kind in the message. */
function parseDuration(raw: string | undefined, name: string, what: keyof typeof EXAMPLES): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const m = /^(\d{1,4})([mhd])$/.exec(raw);
  if (!m) throw bad(name, `expected a ${what} like ${EXAMPLES[what]}`);
  const ms = Number(m[1]) * (UNITS[m[2] as string] as number);
  if (ms <= 0 || ms > MAX_DURATION_MS) throw bad(name, `expected a ${what} between 1m and 366d`);
  return ms;
}

/** `15m`, `24h`, `7d` → milliseconds (at most 366 days). */
export function parseWindow(raw: string | undefined, name: string): number | undefined {
  return parseDuration(raw, name, 'window');
}

/**
 * A chart's bucket size, `1m`, `5m`, `15m`, `1h`, `6h`, `1d` (any whole number of minutes, hours
 * or days up to 366d) → milliseconds. Buckets are aligned to multiples of it since the epoch (UTC).
 */
export function parseBucket(raw: string | undefined, name: string): number | undefined {
  return parseDuration(raw, name, 'bucket');
}

/** The 400 for a `bucket` that splits the window into more buckets than the store returns. */
export function tooManyBuckets(name: string, count: number, max: number): ApiError {
  return bad(
    name,
    `it splits the window into ${count} buckets, at most ${max} are allowed: use a larger bucket or a shorter window`,
  );
}

export function parseOutcome(raw: string | undefined): 'success' | 'error' | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw !== 'success' && raw !== 'error') throw bad('outcome', "expected 'success' or 'error'");
  return raw;
}
