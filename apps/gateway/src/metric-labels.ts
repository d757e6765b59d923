/**
 * The label values of the gateway's metrics (./metrics.ts) that are not catalog ids: a `status`
 * is an exact code from a fixed set or its class, and an upstream error `code` is one of a fixed
 * set or `other`, so no label takes a value a client or an upstream chose.
 */
/** The label value for anything outside a bounded set. */
export const OTHER = 'other';

/** Statuses kept exactly; any other is reported by its class (`2xx` … `5xx`) or `other`. */
const EXACT_STATUSES: ReadonlySet<number> = new Set([
  200, 400, 401, 402, 403, 404, 408, 409, 413, 422, 429, 499, 500, 502, 503, 504,
]);

/**
 * Error codes an attempt fails with that are the upstream's doing (see @saferouter/router's
 * errors). `upstream_<status>` codes are kept for the statuses in `EXACT_STATUSES`, else reduced
 * to `upstream_4xx` / `upstream_5xx`.
 */
const UPSTREAM_CODES: ReadonlySet<string> = new Set([
  'upstream_unreachable',
  'upstream_timeout',
  'provider_unavailable',
  'stream_interrupted',
  'stream_finalize_failed',
]);

/**
 * Codes on an attempt's entry that are not an upstream's failure: the client left, or the gateway
 * itself could not bill or audit the answer. Not counted in `saferouter_upstream_errors_total`.
 */
const OWN_CODES: ReadonlySet<string> = new Set([
  'client_closed_request',
  'billing_failed',
  'audit_failed',
  'internal_error',
]);

/**
 * `status` label: an exact code from a fixed set, else its class, else `other`.
 *
 * @example
 * statusLabel(503); // '503'
 * statusLabel(418); // '4xx'
 */
export function statusLabel(status: number): string {
  if (EXACT_STATUSES.has(status)) return String(status);
  if (Number.isInteger(status) && status >= 100 && status <= 599) return `${Math.floor(status / 100)}xx`;
  return OTHER;
}

/** The code of an activity entry's `error` (`'code: message'`), or undefined when it has none. */
function rawCode(error: string | null): string | undefined {
  if (error === null) return undefined;
  const colon = error.indexOf(':');
  return colon > 0 ? error.slice(0, colon) : error;
}

/**
 * `code` label of `saferouter_upstream_errors_total` for an entry's `error`, or undefined when the
 * entry is not an upstream's failure (no error, or the client's or the gateway's own).
 *
 * @example
 * upstreamErrorCode('upstream_503: Upstream up answered 503 for m-primary'); // 'upstream_503'
 * upstreamErrorCode('upstream_418: …'); // 'upstream_4xx'
 * upstreamErrorCode('client_closed_request: the client left mid-stream'); // undefined
 */
export function upstreamErrorCode(error: string | null): string | undefined {
  const code = rawCode(error);
  if (code === undefined || OWN_CODES.has(code)) return undefined;
  if (UPSTREAM_CODES.has(code)) return code;
  const status = /^upstream_(\d{3})$/.exec(code)?.[1];
  if (status !== undefined) {
    const label = statusLabel(Number(status));
    return label === OTHER ? OTHER : `upstream_${label}`;
  }
  return OTHER;
}
