/**
 * One compare column: its own model picker, its own stream (and AbortController), a status pill,
 * and the answer with live timers. The page drives it through a handle (`send`, `stop`), so every
 * column streams in parallel and independently.
 */
import { useEffect, useImperativeHandle, useRef, type Ref } from 'react';
import { ModelPicker } from '../../components/ModelPicker';
import { isBusy, type Answer } from '../chat/answer';
import { AssistantAnswer } from '../chat/AssistantAnswer';
import { useChatStream } from '../chat/use-chat-stream';

export interface ColumnHandle {
  send(prompt: string): void;
  stop(): void;
}

/** The four states the status pill (and `data-status`) shows. */
type ColumnStatus = 'waiting' | 'streaming' | 'done' | 'error';

function statusOf(answer: Answer | undefined): { status: ColumnStatus; label: string } {
  switch (answer?.status) {
    case undefined:
      return { status: 'waiting', label: 'ready' };
    case 'waiting':
      return { status: 'waiting', label: 'waiting' };
    case 'streaming':
      return { status: 'streaming', label: 'streaming' };
    case 'done':
      return { status: 'done', label: 'done' };
    case 'stopped':
      return { status: 'done', label: 'stopped' };
    case 'error':
      return { status: 'error', label: 'error' };
  }
}

export function CompareColumn({
  index,
  model,
  onModel,
  onRemove,
  onBusy,
  ref,
}: {
  index: number;
  model: string | undefined;
  onModel: (id: string) => void;
  /** Undefined when this is the last column. */
  onRemove: (() => void) | undefined;
  onBusy: (busy: boolean) => void;
  ref?: Ref<ColumnHandle>;
}) {
  const stream = useChatStream();
  const { send, stop } = stream;
  useImperativeHandle(
    ref,
    () => ({
      send: (prompt: string) => {
        if (model !== undefined) void send(model, [{ role: 'user', content: prompt }]);
      },
      stop,
    }),
    [model, send, stop],
  );

  const busy = isBusy(stream.answer);
  const report = useRef(onBusy);
  useEffect(() => {
    report.current = onBusy;
  });
  useEffect(() => {
    report.current(busy);
  }, [busy]);
  useEffect(() => () => report.current(false), []);

  const { status, label } = statusOf(stream.answer);
  const title = `Column ${index + 1}`;
  return (
    <section className="card compare-column" data-testid="compare-column" data-status={status} aria-label={title}>
      <header className="compare-column-head">
        <ModelPicker value={model} onChange={onModel} label={title} />
        <span className={`status status-${status}`} data-testid="column-status">
          {label}
        </span>
        {onRemove !== undefined && (
          <button
            type="button"
            className="btn btn-ghost btn-small compare-remove"
            data-testid="compare-remove-column"
            aria-label={`Remove ${title.toLowerCase()}`}
            title={`Remove ${title.toLowerCase()}`}
            onClick={onRemove}
          >
            ✕
          </button>
        )}
      </header>
      {stream.answer === undefined ? (
        <p className="muted compare-idle">Send a prompt to see this model’s answer here.</p>
      ) : (
        <AssistantAnswer answer={stream.answer} startedAt={stream.startedAt} />
      )}
    </section>
  );
}
