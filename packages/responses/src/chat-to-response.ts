/**
 * A non-stream chat completion as a Response object. Output items follow the Responses order:
 * the reasoning (`reasoning_content`, or OpenRouter's `reasoning`) as one summary part, then the
 * assistant text, then one `function_call` item per tool call. A `length` finish makes the
 * response `incomplete` (`max_output_tokens`), as OpenAI reports a truncated response.
 */
import {
  endOf,
  functionCallItem,
  itemId,
  messageItem,
  reasoningItem,
  responseObject,
  toResponsesUsage,
  wantsReasoningToken,
} from './response-object.js';
import type { ResponseContext, ResponsesUsage } from './types.js';

const obj = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * Translates a chat completion JSON (`choices[0]`) into a Response object.
 *
 * @param usage the usage to report (the gateway's, with `cost`); defaults to the completion's own
 *   `usage` translated by `toResponsesUsage`.
 * @example chatToResponse(completion, { id: 'resp_1', createdAt: 1700000000, model: 'glm-4.6', request })
 */
export function chatToResponse(chat: unknown, ctx: ResponseContext, usage?: ResponsesUsage): Record<string, unknown> {
  const body = obj(chat);
  const choice = obj(Array.isArray(body['choices']) ? body['choices'][0] : undefined);
  const message = obj(choice['message']);
  const end = endOf(choice['finish_reason']);
  const itemStatus = end.status === 'completed' ? 'completed' : 'incomplete';

  const output: unknown[] = [];
  const reasoning = str(message['reasoning_content']) ?? str(message['reasoning']);
  if (reasoning !== undefined && reasoning !== '') {
    output.push(reasoningItem(itemId(ctx, 'rs', output.length), reasoning, wantsReasoningToken(ctx.request)));
  }

  const toolCalls = Array.isArray(message['tool_calls']) ? message['tool_calls'].map(obj) : [];
  const text = str(message['content']) ?? str(message['refusal']);
  if (text !== undefined || toolCalls.length === 0) {
    output.push(messageItem(itemId(ctx, 'msg', output.length), itemStatus, text ?? ''));
  }
  for (const call of toolCalls) {
    const fn = obj(call['function']);
    const index = output.length;
    output.push(
      functionCallItem(itemId(ctx, 'fc', index), itemStatus, {
        callId: str(call['id']) ?? itemId(ctx, 'call', index),
        name: str(fn['name']) ?? '',
        arguments: str(fn['arguments']) ?? '',
      }),
    );
  }

  return responseObject(ctx, {
    status: end.status,
    output,
    usage: usage ?? toResponsesUsage(body['usage']),
    incompleteDetails: end.details,
  });
}
