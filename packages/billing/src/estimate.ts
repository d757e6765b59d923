/**
 * Token estimates for the two moments billing has no upstream count to go on:
 *
 * - before the call, to size the hold: `estimatePromptTokens(body)`;
 * - after a stream was cut (client disconnect) before the upstream sent its `usage`:
 *   `estimateCompletionTokens(deliveredText)`.
 *
 * Whenever the upstream reports `usage`, that is what is charged; these numbers never override
 * it. Both rest on one rule: one token per 3 UTF-8 bytes, rounded up. Tokenizers average about
 * 4 bytes per token on English and 3 bytes (one CJK character) per token on Chinese, Japanese
 * and Korean, so bytes / 3 lands at or above the real count for both; digits split into 1–3
 * digit tokens, which bytes / 3 also covers. Known under-counts: emoji and rare CJK characters
 * can take 2+ tokens each, and some scripts (Thai, Devanagari) tokenize finer than 3 bytes per
 * token on older tokenizers; the JSON framing counted below usually absorbs the difference, and
 * if it does not, the hold was merely a little small (settlement still charges the real cost).
 */
import { InvalidArgumentError } from '@saferouter/errors';
import { checkObject, isRecord } from './validate.js';

/** One estimated token per this many UTF-8 bytes (rounded up). */
export const BYTES_PER_TOKEN = 3;

/**
 * Added per message for the chat template's framing (role markers, separators): OpenAI documents
 * 3–4 per message; the JSON keys counted as text already add more.
 */
export const MESSAGE_OVERHEAD_TOKENS = 4;

/** Added once: the template's priming of the assistant reply. */
export const REPLY_PRIMING_TOKENS = 3;

/**
 * Counted per image content part instead of its bytes (a base64 data URL would otherwise count as
 * hundreds of thousands of tokens). About the largest per-image cost of common vision models
 * (Anthropic bills ~1,600 for a 1.15 MP image; OpenAI's gpt-4o high detail at most ~1,100).
 */
export const IMAGE_TOKENS = 1_600;

/** The parts of a chat request that become prompt tokens. */
export interface PromptSource {
  messages: readonly unknown[];
  tools?: readonly unknown[] | undefined;
  /** A `json_schema` response format is injected into the prompt by most providers. */
  response_format?: unknown;
}

/**
 * UTF-8 length of a string without allocating its encoding. Lone surrogates count 3 bytes, as
 * `TextEncoder` encodes them (U+FFFD).
 *
 * @example utf8ByteLength('héllo') // 6
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4; // a surrogate pair is one 4-byte code point
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Tokens for a number of UTF-8 bytes: `ceil(bytes / 3)`.
 *
 * @example tokensForBytes(10) // 4
 * @throws {InvalidArgumentError} (reason `range`) when `bytes` is not a non-negative safe integer.
 */
export function tokensForBytes(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes < 0)
    throw new InvalidArgumentError('bytes', 'bytes must be a non-negative safe integer', 'range');
  return Math.ceil(bytes / BYTES_PER_TOKEN);
}

/**
 * A conservative (upper-leaning) estimate of a request's prompt tokens, used only to size the
 * hold. Each message counts `MESSAGE_OVERHEAD_TOKENS` plus its whole JSON form at bytes / 3 —
 * the JSON keys, quotes and escapes are deliberate slack — except that an `image_url` content
 * part counts a flat `IMAGE_TOKENS`. `tools` and a `response_format` object count their JSON
 * the same way, plus `REPLY_PRIMING_TOKENS` once.
 *
 * Monotonic: adding a message or text never lowers the estimate.
 *
 * @example estimatePromptTokens({ messages: [{ role: 'user', content: 'Hello, world!' }] }) // 21
 * @throws {InvalidArgumentError} (reason `type`) when `body` is not an object with a `messages` array, or holds a value
 *   JSON cannot encode (a BigInt, a cycle).
 */
export function estimatePromptTokens(body: PromptSource): number {
  checkObject(body, 'body');
  const { messages, tools, response_format: responseFormat } = body;
  if (!Array.isArray(messages))
    throw new InvalidArgumentError('body.messages', 'body.messages must be an array', 'type');
  if (tools !== undefined && !Array.isArray(tools))
    throw new InvalidArgumentError('body.tools', 'body.tools must be an array', 'type');

  let images = 0;
  const skipImages = (_key: string, value: unknown): unknown => {
    if (isRecord(value) && value['type'] === 'image_url') {
      images++;
      return null;
    }
    return value;
  };

  let tokens = REPLY_PRIMING_TOKENS;
  for (const message of messages) {
    tokens += MESSAGE_OVERHEAD_TOKENS + tokensForBytes(utf8ByteLength(toJson(message, skipImages, 'body.messages')));
  }
  tokens += images * IMAGE_TOKENS;
  if (tools !== undefined && tools.length > 0) {
    tokens += tokensForBytes(utf8ByteLength(toJson(tools, undefined, 'body.tools')));
  }
  if (isRecord(responseFormat)) {
    tokens += tokensForBytes(utf8ByteLength(toJson(responseFormat, undefined, 'body.response_format')));
  }
  return tokens;
}

/**
 * Completion tokens for assistant text already delivered to a client, `ceil(UTF-8 bytes / 3)`.
 * For a stream cut before the upstream's `usage` arrived; the text is every `content`,
 * `reasoning_content` and tool-call argument delivered (see `deliveredText`).
 * Reasoning an upstream did not stream is invisible here and so not charged.
 *
 * @example estimateCompletionTokens('Bonjour !') // 3
 * @throws {InvalidArgumentError} (reason `type`) when `deliveredText` is not a string.
 */
export function estimateCompletionTokens(deliveredText: string): number {
  if (typeof deliveredText !== 'string')
    throw new InvalidArgumentError('deliveredText', 'deliveredText must be a string', 'type');
  return tokensForBytes(utf8ByteLength(deliveredText));
}

function toJson(
  value: unknown,
  replacer: ((key: string, value: unknown) => unknown) | undefined,
  name: string,
): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value, replacer);
  } catch (cause) {
    throw Object.assign(new InvalidArgumentError(name, `${name} must be JSON-encodable`, 'type'), { cause });
  }
  // `undefined` (or a function) encodes to nothing, which costs nothing.
  return json ?? '';
}
