/**
 * `POST /v1/responses` bodies, validated at the boundary. Every field of OpenAI's
 * `ResponseCreateParams` is known here and falls in one of three groups:
 * - translated onto a chat completion (`model`, `input`, `instructions`, `tools`, …);
 * - accepted and harmless to ignore (`store`: we never store; caching hints; `max_tool_calls`,
 *   which only bounds built-in tools; `include` values that add nothing to our output);
 * - a feature we cannot translate, refused with a 400 naming it when it is actually used
 *   (`previous_response_id`, `conversation`, `background`, `prompt`, `truncation: 'auto'`, …).
 * A field OpenAI does not know either is a 400 `unknown_parameter`, as OpenAI answers it, so a
 * typo such as `max_tokens` is reported instead of silently dropped. Null counts as absent.
 */
import * as v from 'valibot';
import { check, isRecord, quotable, record } from './check.js';
import { invalid, responsesError, unsupported } from './errors.js';
import { parseInput } from './parse-input.js';
import type {
  ResponsesFunctionTool,
  ResponsesReasoning,
  ResponsesRequest,
  ResponsesTextFormat,
  ResponsesToolChoice,
} from './types.js';

/** `include` values that add nothing to what we return (they concern items we never produce). */
const HARMLESS_INCLUDES: ReadonlySet<string> = new Set([
  'reasoning.encrypted_content',
  'message.input_image.image_url',
  'file_search_call.results',
  'web_search_call.results',
  'web_search_call.action.sources',
  'code_interpreter_call.outputs',
  'computer_call_output.output.image_url',
]);

/**
 * Fields we refuse when set to anything but their "off" value, with the feature's name. `null`
 * and absent always pass.
 */
const UNSUPPORTED: Readonly<Record<string, { off: (value: unknown) => boolean; what: string }>> = {
  previous_response_id: { off: () => false, what: 'previous_response_id (stored conversation state)' },
  conversation: { off: () => false, what: 'conversation (stored conversation state)' },
  background: { off: (x) => x === false, what: 'Background mode (background: true)' },
  prompt: { off: () => false, what: 'A stored prompt template (prompt)' },
  context_management: { off: (x) => Array.isArray(x) && x.length === 0, what: 'context_management' },
  moderation: { off: () => false, what: 'moderation' },
  truncation: { off: (x) => x === 'disabled', what: "truncation: 'auto'" },
  top_logprobs: { off: (x) => x === 0, what: 'Log probabilities (top_logprobs)' },
  service_tier: { off: (x) => x === 'auto' || x === 'default', what: 'A service_tier other than auto or default' },
};

/** Fields accepted and ignored, each with the type it must still have. */
const IGNORED: Readonly<Record<string, v.GenericSchema>> = {
  store: v.boolean('must be a boolean'),
  stream_options: v.custom((x) => isRecord(x), 'must be an object'),
  max_tool_calls: v.pipe(v.number('must be a number'), v.safeInteger('must be a whole number'), v.minValue(0)),
  prompt_cache_key: v.string('must be a string'),
  prompt_cache_retention: v.string('must be a string'),
  prompt_cache_options: v.custom((x) => isRecord(x), 'must be an object'),
};

const TRANSLATED = new Set([
  'model',
  'input',
  'instructions',
  'max_output_tokens',
  'tools',
  'tool_choice',
  'temperature',
  'top_p',
  'stream',
  'text',
  'reasoning',
  'user',
  'safety_identifier',
  'parallel_tool_calls',
  'metadata',
  'include',
  'models',
  'provider',
]);

const Str = v.string('must be a string');
const Bool = v.boolean('must be a boolean');
const Model = v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty'));
const MaxOutputTokens = v.pipe(
  v.number('must be a number'),
  v.safeInteger('must be a whole number below 2^53'),
  v.minValue(1, 'must be at least 1'),
);
const Temperature = v.pipe(
  v.number('must be a number'),
  v.minValue(0, 'must be at least 0'),
  v.maxValue(2, 'must be at most 2'),
);
const TopP = v.pipe(
  v.number('must be a number'),
  v.minValue(0, 'must be at least 0'),
  v.maxValue(1, 'must be at most 1'),
);
const Metadata = v.pipe(
  v.custom<Record<string, unknown>>((x) => isRecord(x), 'must be an object of strings'),
  v.record(
    v.pipe(v.string(), v.maxLength(64, 'keys must be at most 64 characters')),
    v.pipe(v.string('values must be strings'), v.maxLength(512, 'values must be at most 512 characters')),
    'must be an object of strings',
  ),
  v.check((m) => Object.keys(m).length <= 16, 'must have at most 16 keys'),
);
const Include = v.array(v.string('must be a string'), 'must be an array of strings');
const Models = v.array(
  v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty')),
  'must be an array of model ids',
);
const Provider = v.custom<Record<string, unknown>>((x) => isRecord(x), 'must be an object');
const Verbosity = v.picklist(['low', 'medium', 'high'], 'must be low, medium or high');
const Effort = v.picklist(
  ['none', 'minimal', 'low', 'medium', 'high', 'xhigh'],
  'must be none, minimal, low, medium, high or xhigh',
);
const Summary = v.picklist(['auto', 'concise', 'detailed'], 'must be auto, concise or detailed');
const JsonObject = v.pipe(
  v.custom<Record<string, unknown>>((x) => isRecord(x), 'must be a JSON object'),
  v.record(v.string(), v.unknown()),
);

/**
 * Validates a parsed JSON body of `POST /v1/responses`.
 *
 * @example parseResponsesRequest({ model: 'glm-4.6', input: 'Hi', max_output_tokens: 100 })
 * @throws {SafeRouterError} 400 (`invalid_request_error`) with `param` naming the field: `invalid_value`,
 *   `unknown_parameter`, `missing_required_parameter`, or `unsupported_feature` for a Responses
 *   feature SafeRouter does not translate.
 */
export function parseResponsesRequest(input: unknown): ResponsesRequest {
  if (!isRecord(input)) {
    throw responsesError(undefined, 'invalid_value', 'The request body must be a JSON object.');
  }
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === null || value === undefined) continue;
    // Own keys only: `__proto__`, `constructor`… are unknown parameters, not table entries.
    const refused = Object.hasOwn(UNSUPPORTED, key) ? UNSUPPORTED[key] : undefined;
    if (refused !== undefined) {
      if (!refused.off(value)) throw unsupported(key, refused.what);
      continue;
    }
    const ignored = Object.hasOwn(IGNORED, key) ? IGNORED[key] : undefined;
    if (ignored !== undefined) {
      check(ignored, value, key);
      continue;
    }
    if (!TRANSLATED.has(key)) {
      const name = quotable(key);
      throw responsesError(name, 'unknown_parameter', `Unknown parameter: '${name ?? '…'}'.`);
    }
    body[key] = value;
  }

  if (body['model'] === undefined) {
    throw responsesError('model', 'missing_required_parameter', "Missing required parameter: 'model'.");
  }
  const req: ResponsesRequest = { model: check(Model, body['model'], 'model'), input: parseInput(body['input']) };
  const at = <S extends v.GenericSchema>(key: string, schema: S): v.InferOutput<S> | undefined =>
    body[key] === undefined ? undefined : check(schema, body[key], key);

  const instructions = at('instructions', Str);
  if (instructions !== undefined) req.instructions = instructions;
  const maxOutputTokens = at('max_output_tokens', MaxOutputTokens);
  if (maxOutputTokens !== undefined) req.max_output_tokens = maxOutputTokens;
  if (body['tools'] !== undefined) req.tools = parseTools(body['tools']);
  if (body['tool_choice'] !== undefined) req.tool_choice = parseToolChoice(body['tool_choice']);
  const temperature = at('temperature', Temperature);
  if (temperature !== undefined) req.temperature = temperature;
  const topP = at('top_p', TopP);
  if (topP !== undefined) req.top_p = topP;
  const stream = at('stream', Bool);
  if (stream !== undefined) req.stream = stream;
  if (body['text'] !== undefined) req.text = parseText(body['text']);
  if (body['reasoning'] !== undefined) req.reasoning = parseReasoning(body['reasoning']);
  const safetyIdentifier = at('safety_identifier', Str);
  const user = at('user', Str) ?? safetyIdentifier;
  if (user !== undefined) req.user = user;
  const parallel = at('parallel_tool_calls', Bool);
  if (parallel !== undefined) req.parallel_tool_calls = parallel;
  const metadata = at('metadata', Metadata);
  if (metadata !== undefined) req.metadata = metadata;
  const store = input['store'];
  if (typeof store === 'boolean') req.store = store;
  const include = at('include', Include);
  if (include !== undefined) req.include = parseInclude(include);
  const models = at('models', Models);
  if (models !== undefined) req.models = models;
  const provider = at('provider', Provider);
  if (provider !== undefined) req.provider = provider;
  return req;
}

/** OpenAI's answer to a field it does not know, naming it when its name is safe to quote. */
function unknownParameter(parent: string, key: string) {
  const name = quotable(key);
  const param = name === undefined ? undefined : `${parent}.${name}`;
  return responsesError(param ?? parent, 'unknown_parameter', `Unknown parameter: '${param ?? `${parent}.…`}'.`);
}

function parseInclude(values: readonly string[]): string[] {
  values.forEach((value, i) => {
    if (value === 'message.output_text.logprobs')
      throw unsupported(`include[${i}]`, 'Log probabilities (message.output_text.logprobs)');
    if (!HARMLESS_INCLUDES.has(value)) throw invalid(`include[${i}]`, 'must be a known includable value');
  });
  return [...values];
}

function parseTools(value: unknown): ResponsesFunctionTool[] {
  if (!Array.isArray(value)) throw invalid('tools', 'must be an array of tools');
  return value.map((raw, i) => {
    const at = `tools[${i}]`;
    const tool = record(raw, at);
    if (tool['type'] !== 'function') {
      const name = quotable(tool['type']);
      if (name === undefined) throw invalid(`${at}.type`, 'must be a known tool type');
      throw unsupported(`${at}.type`, `The built-in tool '${name}' (only function tools are)`);
    }
    const description = tool['description'] ?? null;
    const parameters = tool['parameters'] ?? null;
    const strict = tool['strict'] ?? null;
    return {
      type: 'function',
      name: check(Model, tool['name'], `${at}.name`),
      description: description === null ? null : check(Str, description, `${at}.description`),
      parameters: parameters === null ? null : check(JsonObject, parameters, `${at}.parameters`),
      strict: strict === null ? null : check(Bool, strict, `${at}.strict`),
    };
  });
}

function parseToolChoice(value: unknown): ResponsesToolChoice {
  if (value === 'auto' || value === 'none' || value === 'required') return value;
  if (typeof value === 'string') throw invalid('tool_choice', 'must be auto, none, required or a function choice');
  const choice = record(value, 'tool_choice');
  if (choice['type'] !== 'function') {
    const name = quotable(choice['type']);
    if (name === undefined) throw invalid('tool_choice.type', 'must be a known tool choice type');
    throw unsupported('tool_choice.type', `The tool_choice type '${name}'`);
  }
  return { type: 'function', name: check(Model, choice['name'], 'tool_choice.name') };
}

function parseText(value: unknown): NonNullable<ResponsesRequest['text']> {
  const text = record(value, 'text');
  const out: NonNullable<ResponsesRequest['text']> = {};
  for (const key of Object.keys(text)) {
    if (key !== 'format' && key !== 'verbosity') {
      throw unknownParameter('text', key);
    }
  }
  if (text['verbosity'] !== undefined && text['verbosity'] !== null) {
    out.verbosity = check(Verbosity, text['verbosity'], 'text.verbosity');
  }
  if (text['format'] !== undefined && text['format'] !== null) out.format = parseFormat(text['format']);
  return out;
}

function parseFormat(value: unknown): ResponsesTextFormat {
  const format = record(value, 'text.format');
  switch (format['type']) {
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      const out: ResponsesTextFormat = {
        type: 'json_schema',
        name: check(Model, format['name'], 'text.format.name'),
        schema: check(JsonObject, format['schema'], 'text.format.schema'),
      };
      if (format['description'] !== undefined && format['description'] !== null) {
        out.description = check(Str, format['description'], 'text.format.description');
      }
      if (format['strict'] !== undefined) out.strict = check(v.nullable(Bool), format['strict'], 'text.format.strict');
      return out;
    }
    default:
      throw invalid('text.format.type', 'must be text, json_object or json_schema');
  }
}

const REASONING_KEYS = new Set(['effort', 'summary', 'generate_summary', 'max_tokens', 'exclude', 'enabled']);

function parseReasoning(value: unknown): ResponsesReasoning {
  const reasoning = record(value, 'reasoning');
  const out: ResponsesReasoning = {};
  for (const [key, field] of Object.entries(reasoning)) {
    if (!REASONING_KEYS.has(key)) throw unknownParameter('reasoning', key);
    if (field === null || field === undefined) continue;
    const param = `reasoning.${key}`;
    if (key === 'effort') out.effort = check(Effort, field, param);
    else if (key === 'summary' || key === 'generate_summary') out.summary = check(Summary, field, param);
    else if (key === 'max_tokens') out.max_tokens = check(MaxOutputTokens, field, param);
    else if (key === 'exclude') out.exclude = check(Bool, field, param);
    else out.enabled = check(Bool, field, param);
  }
  return out;
}
