/**
 * The Responses API as a reply dialect of the metered chat: the upstream's chat completion (or its
 * chunks) translated by `@saferouter/responses`, with the usage that was charged (cost included)
 * in the Response's `usage`. Streams end with the translator's closing events and
 * `response.completed`; the chat `data: [DONE]` is not sent.
 */
import { chatUsage, type ChargedUsage, type ReplyDialect } from '@saferouter/metering';
import { chatToResponse, createResponsesStream, toResponsesUsage, type ResponseContext } from '@saferouter/responses';

const encoder = new TextEncoder();

/** The charged usage in the Responses API's shape (`input_tokens`, … and `cost`). */
function responsesUsage(usage: ChargedUsage): ReturnType<typeof toResponsesUsage> {
  return toResponsesUsage(chatUsage(usage));
}

/**
 * @example chat.complete({ ..., dialect: (facts) => responsesDialect({ id, createdAt, model: facts.model, request }) })
 */
export function responsesDialect(ctx: ResponseContext): ReplyDialect {
  const stream = createResponsesStream(ctx);
  let started = false;
  const opening = (): string => {
    if (started) return '';
    started = true;
    return stream.start();
  };
  return {
    body(json, _raw, usage) {
      return encoder.encode(JSON.stringify(chatToResponse(json, ctx, responsesUsage(usage))));
    },
    rewrite: {
      // Every chat chunk is JSON: each one is translated (comments pass through as they are).
      probe: '{',
      event(event) {
        let json: unknown;
        try {
          json = JSON.parse(event.data);
        } catch {
          return null; // not a chat chunk: nothing a Responses client could read
        }
        const text = opening() + stream.chunk(json);
        return text === '' ? null : encoder.encode(text);
      },
    },
    end(held, usage, ending) {
      let text = opening();
      if (held !== undefined) text += stream.chunk(held);
      text += stream.finish({ usage: responsesUsage(usage), status: ending.completed ? 'completed' : 'failed' });
      return encoder.encode(text);
    },
    dropTerminal: true,
  };
}
