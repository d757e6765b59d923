/**
 * Which capabilities a request needs from a model. Fallback uses this to skip models that would
 * certainly reject (or silently ignore) the request: no tools model for a tool call, no vision
 * model for an image. The primary model is never filtered; the client chose it.
 */
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
