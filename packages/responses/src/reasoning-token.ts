/**
 * The `encrypted_content` of our reasoning items. OpenAI uses that field so a stateless client
 * (`store: false`) can send reasoning back on the next turn; `@ai-sdk/openai` in that mode drops
 * any reasoning item without it. SafeRouter keeps no state either, so the field carries the
 * reasoning text itself, as an opaque token. It is NOT encrypted: it holds exactly the text the
 * same item's summary shows in the clear, so nothing is revealed that was not already there.
 * Sending it back lets the next chat request carry `reasoning_content`, which DeepSeek's thinking
 * models require after a tool call. Tokens from anyone else are not ours to read and are ignored.
 */

const PREFIX = 'srr1.';

/** @example decodeReasoningToken(encodeReasoningToken('think')) // 'think' */
export function encodeReasoningToken(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return PREFIX + btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The text of one of our tokens; undefined for anything else (another provider's, or junk). */
export function decodeReasoningToken(token: unknown): string | undefined {
  if (typeof token !== 'string' || !token.startsWith(PREFIX)) return undefined;
  const body = token.slice(PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(body)) return undefined;
  try {
    const binary = atob(body.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
