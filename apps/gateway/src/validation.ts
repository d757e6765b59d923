/**
 * The one bridge from a valibot schema to a client error: a failed parse becomes a 400 in
 * OpenAI's shape that names the field (`param`), whatever route or body it came from.
 */
import * as v from 'valibot';
import { ApiError } from './errors.js';

/** The dotted path of the first issue, e.g. `limits.rpm` or `messages.0.role`; '' for the root. */
function pathOf(issue: v.BaseIssue<unknown>): string {
  return issue.path?.map((p) => String(p.key)).join('.') ?? '';
}

/**
 * Parses `input` with `schema`, or throws a 400 naming the offending field: "Missing required
 * parameter: 'x'." for an absent top-level field, "Invalid parameter 'x': <schema message>"
 * otherwise. `what` prefixes messages about the whole body (e.g. "Invalid key request").
 *
 * @example const body = parseOr400(CreateKey, await readJson(c, limit), 'key request');
 * @throws {ApiError} 400 `missing_required_parameter` or `invalid_value`.
 */
export function parseOr400<const S extends v.GenericSchema>(schema: S, input: unknown, what: string): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = pathOf(issue);
  if (path === '')
    throw new ApiError(400, 'invalid_request_error', 'invalid_value', `Invalid ${what}: ${issue.message}`);
  if (issue.input === undefined && !path.includes('.')) {
    throw new ApiError(
      400,
      'invalid_request_error',
      'missing_required_parameter',
      `Missing required parameter: '${path}'.`,
      {},
      path,
    );
  }
  throw new ApiError(
    400,
    'invalid_request_error',
    'invalid_value',
    `Invalid parameter '${path}': ${issue.message}`,
    {},
    path,
  );
}
