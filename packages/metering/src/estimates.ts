/**
 * The numbers a hold and an estimated charge are sized with, from a request body and the
 * candidate's catalog entry. Billing owns the estimating rules (`@saferouter/billing`); this file
 * only decides which inputs they get, and never lets odd-but-valid input become an error.
 */
import { estimatePromptTokens, tokensForBytes } from '@saferouter/billing';
import type { CatalogModel, ChatRequestBody } from '@saferouter/router';

/** Output budget when neither the client nor the catalog gives one. */
export const DEFAULT_MAX_OUTPUT = 4096;

/** The worst case one candidate is held for. */
export interface HoldShape {
  promptTokens: number;
  maxOutputTokens: number;
}

/**
 * The prompt estimate and the output budget: the client's `max_tokens` (or
 * `max_completion_tokens`), else the model's maximum output.
 *
 * @example holdShape({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 64 }, entry)
 * // { promptTokens: 13, maxOutputTokens: 64 }
 */
export function holdShape(body: ChatRequestBody, entry: CatalogModel | undefined): HoldShape {
  const asked = body.max_tokens ?? body.max_completion_tokens;
  const maxOutputTokens = typeof asked === 'number' ? asked : (entry?.maxOutputTokens ?? DEFAULT_MAX_OUTPUT);
  return { promptTokens: promptTokensOf(body), maxOutputTokens };
}

/**
 * Optional fields may be null on the wire (the schema accepts that), and the estimator must
 * never turn odd-but-valid input into an error, so anything it rejects falls back to the whole
 * body's size: the most conservative reading.
 */
function promptTokensOf(body: ChatRequestBody): number {
  try {
    return estimatePromptTokens({
      messages: body.messages,
      ...(Array.isArray(body.tools) ? { tools: body.tools } : {}),
      ...(body.response_format !== null && body.response_format !== undefined
        ? { response_format: body.response_format }
        : {}),
    });
  } catch {
    return tokensForBytes(Buffer.byteLength(JSON.stringify(body)));
  }
}

/**
 * The completion text of a non-stream `chat.completion` body (reasoning and content), for an
 * estimate when the upstream reported no usage. Anything unreadable is `''`.
 */
export function completionText(body: Uint8Array): string {
  try {
    const parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')) as {
      choices?: { message?: { content?: unknown; reasoning_content?: unknown } }[];
    };
    const msg = parsed.choices?.[0]?.message;
    const reasoning = typeof msg?.reasoning_content === 'string' ? msg.reasoning_content : '';
    const content = typeof msg?.content === 'string' ? msg.content : '';
    return `${reasoning}${content}`;
  } catch {
    return '';
  }
}
