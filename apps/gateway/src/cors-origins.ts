/**
 * `SAFEROUTER_CORS_ORIGINS`, read once at start (./config.ts): which origins a browser may call
 * the API from. Apart from the middleware (./cors.ts) so reading the config loads nothing else.
 */
import { ConfigError } from '@saferouter/router';

/** `*` (any origin), or the exact origins allowed; empty: none (the default). */
export type CorsOrigins = '*' | readonly string[];

export const CORS_VARIABLE = 'SAFEROUTER_CORS_ORIGINS';

/**
 * Reads `SAFEROUTER_CORS_ORIGINS`: a comma list of origins (`https://app.example.com`,
 * `http://localhost:5173`), or `*` alone. Each origin is a scheme (http or https), a host and an
 * optional port: no path (a single trailing `/` is tolerated), no wildcard, not `null`.
 *
 * @example parseCorsOrigins('https://app.example.com, http://localhost:5173') // ['https://app.example.com', 'http://localhost:5173']
 * @example parseCorsOrigins(undefined) // []
 * @throws {ConfigError} naming SAFEROUTER_CORS_ORIGINS when an entry is not such an origin.
 */
export function parseCorsOrigins(raw: string | undefined): CorsOrigins {
  if (raw === undefined || raw.trim() === '') return [];
  if (raw.trim() === '*') return '*';
  const origins: string[] = [];
  for (const part of raw.split(',')) {
    const entry = part.trim();
    if (entry === '') {
      throw new ConfigError(CORS_VARIABLE, `an empty entry in '${raw}': list origins separated by single commas`);
    }
    origins.push(parseOrigin(entry));
  }
  return [...new Set(origins)];
}

function parseOrigin(entry: string): string {
  const bad = (why: string): ConfigError => new ConfigError(CORS_VARIABLE, `'${entry}' ${why}`);
  if (entry === '*') throw bad('must be alone: use * by itself to allow every origin, or list origins');
  if (entry.includes('*')) throw bad('has a wildcard: list each origin (like https://app.example.com)');
  if (entry.toLowerCase() === 'null') throw bad('cannot be allowed: it is the origin of sandboxed and file: pages');
  if (!/^https?:\/\//i.test(entry)) throw bad('is not an origin: expected http(s)://host[:port]');
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    throw bad('is not an origin: expected http(s)://host[:port]');
  }
  if (url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw bad('is not an origin: expected http(s)://host[:port], with no path, query or user');
  }
  // `new URL` drops a trailing `?` or `#` with nothing after it; an origin has neither.
  if (/[?#]/.test(entry)) throw bad('is not an origin: expected http(s)://host[:port], with no path, query or user');
  return url.origin;
}
