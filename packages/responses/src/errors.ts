/**
 * The 400s a Responses request can be refused with. They are plain `SafeRouterError`s (the one
 * family the gateway already renders), with OpenAI's codes for the same faults: a field of the
 * wrong type (`invalid_value`), a field OpenAI does not know (`unknown_parameter`), a missing one
 * (`missing_required_parameter`), and ours for a real Responses feature this translation onto chat
 * completions cannot honour (`unsupported_feature`). `param` always names the field, in OpenAI's
 * spelling (`input[2].content[0].file_id`). Messages never echo a value: it may be a secret.
 */
import { SafeRouterError } from '@saferouter/errors';

export type ResponsesErrorCode =
  'invalid_value' | 'unknown_parameter' | 'missing_required_parameter' | 'unsupported_feature';

/**
 * @example throw responsesError('previous_response_id', 'unsupported_feature', 'Stored responses are not supported.');
 */
export function responsesError(param: string | undefined, code: ResponsesErrorCode, message: string): SafeRouterError {
  return new SafeRouterError({ message, statusCode: 400, type: 'invalid_request_error', code, param });
}

/** A Responses feature we do not translate: the message names it and says why. */
export function unsupported(param: string, what: string): SafeRouterError {
  return responsesError(param, 'unsupported_feature', `${what} is not supported by SafeRouter's /v1/responses.`);
}

/** A field of the wrong type or value. */
export function invalid(param: string, message: string): SafeRouterError {
  return responsesError(param, 'invalid_value', `Invalid parameter '${param}': ${message}`);
}
