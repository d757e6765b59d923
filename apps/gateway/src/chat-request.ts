/**
 * The wire schema of `POST /v1/chat/completions`, checked with valibot at the boundary. Only what
 * routing and billing depend on is checked strictly; every other field passes through to the
 * upstream as is.
 */
import * as v from 'valibot';
import { MAX_CLIENT_MODELS, ProviderPreferencesSchema, type ChatRequestBody } from '@saferouter/router';
import { ApiError } from './errors.js';
import { parseOr400 } from './validation.js';

const Message = v.looseObject({
  role: v.pipe(v.string('each message needs a string "role"'), v.nonEmpty('each message needs a non-empty "role"')),
});

/** A token budget: a whole number a hold can be priced for. */
const TokenBudget = (name: string) =>
  v.optional(
    v.nullable(
      v.pipe(
        v.number(`"${name}" must be a number`),
        v.safeInteger(`"${name}" must be a whole number below 2^53`),
        v.minValue(1, `"${name}" must be at least 1`),
      ),
    ),
  );

/** OpenRouter's `reasoning` object; each provider's adapter maps it to that provider's own field. */
export const ReasoningSchema = v.strictObject(
  {
    effort: v.optional(
      v.picklist(
        ['none', 'minimal', 'low', 'medium', 'high'],
        '"effort" must be one of none, minimal, low, medium, high',
      ),
    ),
    max_tokens: v.optional(
      v.pipe(
        v.number('"max_tokens" must be a number'),
        v.safeInteger('"max_tokens" must be a whole number'),
        v.minValue(0),
      ),
    ),
    exclude: v.optional(v.boolean('"exclude" must be a boolean')),
    enabled: v.optional(v.boolean('"enabled" must be a boolean')),
  },
  'unknown field (allowed: effort, max_tokens, exclude, enabled)',
);

/** The body of `POST /v1/chat/completions`; also what ../openapi.ts documents it as. */
export const ChatRequest = v.looseObject({
  model: v.pipe(v.string('"model" must be a string'), v.nonEmpty('"model" must not be empty')),
  messages: v.pipe(
    v.array(Message, '"messages" must be an array of message objects'),
    v.minLength(1, '"messages" must not be empty'),
  ),
  stream: v.optional(v.nullable(v.boolean('"stream" must be a boolean'))),
  max_tokens: TokenBudget('max_tokens'),
  max_completion_tokens: TokenBudget('max_completion_tokens'),
  models: v.optional(
    v.pipe(
      v.array(v.pipe(v.string(), v.nonEmpty()), '"models" must be an array of model ids'),
      v.maxLength(MAX_CLIENT_MODELS, `"models" lists at most ${MAX_CLIENT_MODELS} model ids`),
    ),
  ),
  tools: v.optional(v.nullable(v.array(v.unknown(), '"tools" must be an array'))),
  provider: v.optional(v.nullable(ProviderPreferencesSchema)),
  reasoning: v.optional(v.nullable(ReasoningSchema)),
  user: v.optional(
    v.nullable(v.pipe(v.string('"user" must be a string'), v.maxLength(256, '"user" is at most 256 characters'))),
  ),
  stream_options: v.optional(v.nullable(v.looseObject({ include_usage: v.optional(v.nullable(v.boolean())) }))),
});

/** Validates a parsed JSON body. @throws {ApiError} 400 naming the offending field. */
export function parseChatRequest(input: unknown): ChatRequestBody {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ApiError(400, 'invalid_request_error', 'invalid_request', 'Request body must be a JSON object.');
  }
  return parseOr400(ChatRequest, input, 'request') as ChatRequestBody;
}
