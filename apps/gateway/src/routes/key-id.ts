/**
 * Key ids as they arrive in paths and queries. An id the store could never hold (empty, past 64
 * characters, control characters) names no key: it is answered like any unknown id, 404, and
 * never echoed back whole.
 */
import { ApiError } from '../errors.js';

const POSSIBLE_ID = /^[\x21-\x7e]{1,64}$/;

/** A short, printable rendering of a client-sent id for an error message. */
function shown(raw: string): string {
  const printable = raw.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 40 ? `${printable.slice(0, 40)}…` : printable;
}

/** The key-not-found error, naming the id safely. */
export function keyNotFound(raw: string): ApiError {
  return new ApiError(404, 'not_found_error', 'key_not_found', `No key with id '${shown(raw)}'.`);
}

/**
 * @example const id = keyIdParam(c.req.param('id'));
 * @throws {ApiError} 404 when `raw` cannot be a key id.
 */
export function keyIdParam(raw: string): string {
  if (!POSSIBLE_ID.test(raw)) throw keyNotFound(raw);
  return raw;
}
