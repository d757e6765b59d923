/**
 * What a cut stream is charged for when its usage never arrived: the completion tokens of the
 * assistant text the client was handed. The router frames the delivered bytes into events (its
 * rule, `SseFramer`), billing reads the text of each event and owns the bytes-to-tokens rule.
 */
import { deliveredText, estimateCompletionTokens } from '@saferouter/billing';
import { parseEvent, SseFramer } from '@saferouter/router';

/**
 * @example deliveredCompletionTokens([Buffer.from('data: {"choices":[{"delta":{"content":"Bonjour !"}}]}\n\n')]) // 3
 */
export function deliveredCompletionTokens(chunks: readonly Uint8Array[]): number {
  const framer = new SseFramer();
  const text: string[] = [];
  for (const chunk of chunks) {
    let frames;
    try {
      frames = framer.push(chunk);
    } catch {
      break; // an event past the size limit: the relay cut the stream there too
    }
    let start = 0;
    for (const end of frames.ends) {
      text.push(deliveredText(parseEvent(frames.window, start, end).data));
      start = end;
    }
  }
  return estimateCompletionTokens(text.join(''));
}
