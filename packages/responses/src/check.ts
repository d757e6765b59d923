/**
 * The one bridge from a valibot schema to a Responses 400: a value that fails its schema becomes
 * `invalid_value` naming the field (`param`), with the path inside it spelled as OpenAI does
 * (`tools[0].parameters`, `text.format.name`).
 */
import * as v from 'valibot';
import { invalid } from './errors.js';

/** `base` extended by a valibot issue path: keys as `.key`, array indexes as `[i]`. */
export function paramPath(base: string, issue: v.BaseIssue<unknown>): string {
  let out = base;
  for (const item of issue.path ?? []) {
    const key = item.key;
    out += typeof key === 'number' ? `[${key}]` : out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * Parses `value` at `param` with `schema`, or throws a 400 naming the field at fault.
 *
 * @example const temperature = check(v.number('must be a number'), body.temperature, 'temperature');
 * @throws {SafeRouterError} 400 `invalid_value`.
 */
export function check<const S extends v.GenericSchema>(schema: S, value: unknown, param: string): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  const issue = result.issues[0];
  throw invalid(paramPath(param, issue), issue.message);
}

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `value` as an object, or throws a 400 naming `param`. */
export function record(value: unknown, param: string): Record<string, unknown> {
  if (!isRecord(value)) throw invalid(param, 'must be an object');
  return value;
}

/** A short identifier-like string from the client (a `type` value) that is safe to quote back. */
export function quotable(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(value) ? value : undefined;
}
