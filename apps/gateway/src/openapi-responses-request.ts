/**
 * The body of `POST /v1/responses` as ./openapi.ts documents it. `@saferouter/responses` parses
 * that body field by field (packages/responses/src/parse-request.ts and parse-input.ts) rather
 * than with one schema, so this is a description of what it accepts, written as a valibot schema
 * like the others: unknown fields are a 400 `unknown_parameter`, `null` counts as absent, and the
 * translated chat body then meets `ChatRequest`'s rules. ./openapi.test.ts holds it to the parser:
 * over a corpus of accepted and refused bodies, the document and the parser must agree on each.
 */
import * as v from 'valibot';
import { MAX_CLIENT_MODELS, ProviderPreferencesSchema } from '@saferouter/router';

const Str = v.string();
const NonEmpty = v.pipe(v.string(), v.nonEmpty());
const TextPart = v.looseObject({ type: v.picklist(['input_text', 'output_text']), text: Str });
const RefusalPart = v.looseObject({ type: v.literal('refusal'), refusal: Str });
const ImagePart = v.looseObject({
  type: v.literal('input_image'),
  image_url: v.pipe(NonEmpty, v.description('A URL or a `data:` URL.')),
  detail: v.nullish(v.picklist(['low', 'high', 'auto', 'original'])),
  file_id: v.optional(v.pipe(v.null(), v.description('Images by file id are not supported.'))),
});
const ContentPart = v.union([TextPart, RefusalPart, ImagePart]);
const TextList = v.nullish(v.array(v.looseObject({ text: Str })));

const InputItem = v.union([
  v.looseObject({
    type: v.optional(v.literal('message')),
    role: v.literal('user'),
    content: v.union([Str, v.array(ContentPart)]),
  }),
  v.looseObject({
    type: v.optional(v.literal('message')),
    role: v.picklist(['assistant', 'system', 'developer']),
    content: v.union([Str, v.array(v.union([TextPart, RefusalPart]))]),
  }),
  v.looseObject({ type: v.literal('function_call'), call_id: NonEmpty, name: NonEmpty, arguments: Str }),
  v.looseObject({
    type: v.literal('function_call_output'),
    call_id: NonEmpty,
    output: v.union([Str, v.array(v.union([TextPart, RefusalPart]))]),
  }),
  v.looseObject({
    type: v.literal('reasoning'),
    encrypted_content: v.nullish(Str),
    content: TextList,
    summary: TextList,
  }),
]);

const FunctionTool = v.looseObject({
  type: v.literal('function'),
  name: NonEmpty,
  description: v.nullish(Str),
  parameters: v.nullish(v.record(v.string(), v.unknown())),
  strict: v.nullish(v.boolean()),
});

const TextFormat = v.union([
  v.looseObject({ type: v.literal('text') }),
  v.looseObject({ type: v.literal('json_object') }),
  v.looseObject({
    type: v.literal('json_schema'),
    name: NonEmpty,
    schema: v.record(v.string(), v.unknown()),
    description: v.nullish(Str),
    strict: v.nullish(v.boolean()),
  }),
]);

const MaxOutputTokens = v.pipe(v.number(), v.safeInteger(), v.minValue(1));
const NotSupported = (what: string) =>
  v.pipe(v.null(), v.description(`Not supported (${what}): any other value is a 400 \`unsupported_feature\`.`));

/** The body of `POST /v1/responses` (OpenAI's Responses API, translated onto chat completions). */
export const ResponsesRequest = v.strictObject({
  model: NonEmpty,
  input: v.union([v.pipe(Str, v.description('One user message.')), v.pipe(v.array(InputItem), v.minLength(1))]),
  instructions: v.nullish(Str),
  max_output_tokens: v.nullish(MaxOutputTokens),
  tools: v.nullish(v.pipe(v.array(FunctionTool), v.description('Function tools only.'))),
  tool_choice: v.nullish(
    v.union([v.picklist(['auto', 'none', 'required']), v.looseObject({ type: v.literal('function'), name: NonEmpty })]),
  ),
  temperature: v.nullish(v.pipe(v.number(), v.minValue(0), v.maxValue(2))),
  top_p: v.nullish(v.pipe(v.number(), v.minValue(0), v.maxValue(1))),
  stream: v.nullish(v.boolean()),
  text: v.nullish(
    v.strictObject({ format: v.nullish(TextFormat), verbosity: v.nullish(v.picklist(['low', 'medium', 'high'])) }),
  ),
  reasoning: v.nullish(
    v.strictObject({
      effort: v.nullish(v.picklist(['none', 'minimal', 'low', 'medium', 'high', 'xhigh'])),
      summary: v.nullish(v.picklist(['auto', 'concise', 'detailed'])),
      generate_summary: v.nullish(v.picklist(['auto', 'concise', 'detailed'])),
      max_tokens: v.nullish(MaxOutputTokens),
      exclude: v.nullish(v.boolean()),
      enabled: v.nullish(v.boolean()),
    }),
  ),
  user: v.nullish(v.pipe(Str, v.maxLength(256))),
  safety_identifier: v.nullish(v.pipe(Str, v.maxLength(256), v.description('Used as `user` when that is absent.'))),
  parallel_tool_calls: v.nullish(v.boolean()),
  metadata: v.nullish(
    v.pipe(
      v.record(v.pipe(v.string(), v.maxLength(64)), v.pipe(v.string(), v.maxLength(512))),
      v.maxEntries(16),
      v.description('Echoed on the Response object; never sent upstream.'),
    ),
  ),
  include: v.nullish(
    v.array(
      v.picklist([
        'reasoning.encrypted_content',
        'message.input_image.image_url',
        'file_search_call.results',
        'web_search_call.results',
        'web_search_call.action.sources',
        'code_interpreter_call.outputs',
        'computer_call_output.output.image_url',
      ]),
    ),
  ),
  models: v.nullish(v.pipe(v.array(NonEmpty), v.maxLength(MAX_CLIENT_MODELS))),
  provider: v.nullish(ProviderPreferencesSchema),
  store: v.nullish(v.pipe(v.boolean(), v.description('Accepted; SafeRouter never stores responses.'))),
  stream_options: v.nullish(v.looseObject({})),
  max_tool_calls: v.nullish(v.pipe(v.number(), v.safeInteger(), v.minValue(0))),
  prompt_cache_key: v.nullish(Str),
  prompt_cache_retention: v.nullish(Str),
  prompt_cache_options: v.nullish(v.looseObject({})),
  previous_response_id: v.optional(NotSupported('stored conversation state')),
  conversation: v.optional(NotSupported('stored conversation state')),
  prompt: v.optional(NotSupported('stored prompt templates')),
  moderation: v.optional(NotSupported('moderation')),
  background: v.nullish(v.literal(false)),
  context_management: v.nullish(v.pipe(v.array(v.unknown()), v.maxLength(0))),
  truncation: v.nullish(v.literal('disabled')),
  top_logprobs: v.nullish(v.literal(0)),
  service_tier: v.nullish(v.picklist(['auto', 'default'])),
});
