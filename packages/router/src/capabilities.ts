/**
 * Which capabilities a request needs from a model, in two strengths.
 *
 * - `requiredCapabilities`: what a model without it would certainly reject or silently get wrong
 *   (no tools model for a tool call, no vision model for an image). Fallback skips such models;
 *   the requested model is never filtered, the client chose it.
 * - `requestedCapabilities`: the above plus `reasoning` when the request turns reasoning on. A
 *   model without reasoning still answers such a request correctly, only without thinking, so
 *   fallback does not hold it against a model (OpenRouter treats `reasoning` as best effort too).
 *   Only `provider.require_parameters: true` asks for it, and then of every endpoint.
 */
import { reasoningIntent } from './adapters/index.js';
import type { Capability, ChatRequestBody } from './spec.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function hasImagePart(messages: readonly unknown[]): boolean {
  for (const message of messages) {
    if (!isRecord(message)) continue;
    const content = message['content'];
    if (!Array.isArray(content)) continue;
    for (const part of content) {
      if (isRecord(part) && part['type'] === 'image_url') return true;
    }
  }
  return false;
}

/**
 * The capabilities `body` requires: `tools` for a non-empty `tools` array, `json` for a
 * `json_object` / `json_schema` response format, `vision` for any `image_url` content part.
 *
 * @example requiredCapabilities({ model: 'x', messages: [], tools: [{ type: 'function' }] }) // ['tools']
 */
export function requiredCapabilities(body: ChatRequestBody): Capability[] {
  const needs: Capability[] = [];
  if (Array.isArray(body.tools) && body.tools.length > 0) needs.push('tools');
  const format = body.response_format;
  if (isRecord(format) && (format['type'] === 'json_object' || format['type'] === 'json_schema')) needs.push('json');
  if (Array.isArray(body.messages) && hasImagePart(body.messages)) needs.push('vision');
  return needs;
}

/**
 * Everything `body` asks of a model: `requiredCapabilities(body)` plus `reasoning` when its
 * `reasoning` object turns reasoning on (any object but `enabled: false` or `effort: 'none'`,
 * read by the same `reasoningIntent` the adapters use).
 *
 * @example requestedCapabilities({ model: 'x', messages: [], reasoning: { effort: 'high' } }) // ['reasoning']
 * @example requestedCapabilities({ model: 'x', messages: [], reasoning: { enabled: false } }) // []
 */
export function requestedCapabilities(body: ChatRequestBody): Capability[] {
  const needs = requiredCapabilities(body);
  if (reasoningIntent(body['reasoning'])?.on === true) needs.push('reasoning');
  return needs;
}
