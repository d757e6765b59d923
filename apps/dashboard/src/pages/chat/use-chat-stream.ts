/**
 * One streamed answer at a time, as a hook: `send()` streams a completion through the verified
 * channel and keeps `answer` current token by token; `stop()` aborts it (the partial answer stays,
 * marked `stopped`). `send()` never throws: it resolves with the final answer, whatever the
 * outcome, so the caller can keep it. Unmounting aborts a stream still running.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { channel } from '../../lib/channel';
import { streamChat, type ChatMessage } from '../../lib/chat-stream';
import { useSignedIn } from '../../session';
import { answerError, type Answer } from './answer';

export interface ChatStream {
  /** The answer streaming now, or the last one until `reset()`. */
  answer: Answer | undefined;
  /** `performance.now()` when the request left, for live timers. */
  startedAt: number | undefined;
  send(model: string, messages: ChatMessage[]): Promise<Answer>;
  stop(): void;
  reset(): void;
}

const isAbort = (error: unknown): boolean => error instanceof DOMException && error.name === 'AbortError';

export function useChatStream(): ChatStream {
  const { key } = useSignedIn();
  const [answer, setAnswer] = useState<Answer>();
  const [startedAt, setStartedAt] = useState<number>();
  const running = useRef<AbortController | undefined>(undefined);

  useEffect(() => () => running.current?.abort(), []);

  const stop = useCallback(() => running.current?.abort(), []);

  const reset = useCallback(() => {
    running.current?.abort();
    running.current = undefined;
    setAnswer(undefined);
    setStartedAt(undefined);
  }, []);

  const send = useCallback(
    async (model: string, messages: ChatMessage[]): Promise<Answer> => {
      running.current?.abort();
      const controller = new AbortController();
      running.current = controller;
      let live: Answer = { model, status: 'waiting', content: '', reasoning: '' };
      const update = (patch: Partial<Answer>): void => {
        live = { ...live, ...patch };
        // A newer send owns the state; this one only finishes its own promise.
        if (running.current === controller) setAnswer(live);
      };
      update({});
      let started = performance.now();
      setStartedAt(started);
      try {
        const { fetch } = await channel();
        controller.signal.throwIfAborted();
        started = performance.now();
        setStartedAt(started);
        const result = await streamChat(
          { key, model, messages, signal: controller.signal, fetch },
          {
            onResponse: ({ requestId, fallbackTo }) =>
              update({
                ...(requestId === undefined ? {} : { requestId }),
                ...(fallbackTo === undefined ? {} : { fallbackTo }),
              }),
            onFirstToken: (ttftMs) => update({ status: 'streaming', ttftMs }),
            onReasoning: (reasoning) => update({ reasoning }),
            onContent: (content) => update({ content }),
          },
        );
        update({
          status: 'done',
          content: result.content,
          reasoning: result.reasoning,
          answeredBy: result.model,
          totalMs: result.totalMs,
          ...(result.usage === undefined ? {} : { usage: result.usage }),
          ...(result.ttftMs === undefined ? {} : { ttftMs: result.ttftMs }),
        });
      } catch (error) {
        const totalMs = performance.now() - started;
        // Aborted by Stop (or a newer send): whatever the error is called, the user ended it.
        if (isAbort(error) || controller.signal.aborted) update({ status: 'stopped', totalMs });
        else
          update({ status: 'error', totalMs, error: answerError(error, live.content !== '' || live.reasoning !== '') });
      } finally {
        if (running.current === controller) running.current = undefined;
      }
      return live;
    },
    [key],
  );

  return { answer, startedAt, send, stop, reset };
}
