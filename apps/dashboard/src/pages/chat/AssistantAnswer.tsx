/**
 * One assistant answer, alike in chat and compare: the reasoning as a foldable block, the answer
 * as markdown, a mark when it was stopped, an inline error (with Retry when the page offers it),
 * and the facts (model, tokens, cost, timings).
 */
import { isBusy, type Answer } from './answer';
import { AnswerMeta } from './AnswerMeta';
import { Markdown } from './Markdown';
import { ThinkingBlock } from './ThinkingBlock';
import './answer.css';

export function AssistantAnswer({
  answer,
  startedAt,
  onRetry,
}: {
  answer: Answer;
  startedAt?: number | undefined;
  onRetry?: (() => void) | undefined;
}) {
  const busy = isBusy(answer);
  const thinking = busy && answer.content === '';
  return (
    <div
      className="answer"
      data-testid="assistant-message"
      data-status={answer.status}
      data-request-id={answer.requestId}
      aria-busy={busy}
    >
      {answer.reasoning !== '' && <ThinkingBlock reasoning={answer.reasoning} thinking={thinking} />}
      {answer.content !== '' && <Markdown text={answer.content} />}
      {answer.status === 'waiting' && (
        <p className="answer-waiting muted" role="status">
          <span className="spinner" aria-hidden="true" /> Waiting for the first token…
        </p>
      )}
      {answer.status === 'stopped' && (
        <p className="answer-stopped" data-testid="answer-stopped">
          <span className="badge">Stopped</span>{' '}
          {answer.content === '' ? 'Stopped before any answer arrived.' : 'The answer was cut short here.'}
        </p>
      )}
      {answer.status === 'error' && (
        <div className="answer-error" role="alert" data-testid="answer-error" data-error-status={answer.error?.status}>
          <span>{answer.error?.message ?? 'The request failed.'}</span>
          {onRetry !== undefined && (
            <button type="button" className="btn btn-small" onClick={onRetry} data-testid="answer-retry">
              Retry
            </button>
          )}
        </div>
      )}
      <AnswerMeta answer={answer} startedAt={startedAt} />
    </div>
  );
}
