/**
 * The facts under an answer: the model that answered (and a fallback, if one did), tokens,
 * cost (reported, or estimated from the catalog's prices), time to first token and total time.
 * The timers run live while the answer streams. A stopped answer has no usage chunk: its billed
 * tokens and cost are read back from the gateway's activity log by request id.
 */
import { useQuery } from '@tanstack/react-query';
import { api } from '../../lib/api';
import { ms, tokens, usd } from '../../lib/format';
import { useModels } from '../../lib/queries';
import { useSignedIn } from '../../session';
import { costOf, isBusy, smallUsd, type Answer } from './answer';
import { useNow } from './use-now';

/** How often, and how many times, a stopped request is looked up while the gateway settles it. */
const LOOKUP_INTERVAL_MS = 1000;
const LOOKUP_TRIES = 5;

function useBilledActivity(answer: Answer) {
  const { key } = useSignedIn();
  const requestId = answer.requestId;
  const enabled = answer.usage === undefined && answer.status === 'stopped' && requestId !== undefined;
  return useQuery({
    queryKey: ['activity-request', key, requestId],
    queryFn: async () => (await api.activity(key, { request_id: requestId, limit: 5 })).data,
    enabled,
    staleTime: Infinity,
    refetchInterval: (q) =>
      (q.state.data?.length ?? 0) > 0 || q.state.dataUpdateCount >= LOOKUP_TRIES ? false : LOOKUP_INTERVAL_MS,
  });
}

export function AnswerMeta({ answer, startedAt }: { answer: Answer; startedAt: number | undefined }) {
  const models = useModels();
  const live = isBusy(answer) && startedAt !== undefined;
  const now = useNow(live);
  const elapsed = live ? Math.max(0, now - startedAt) : undefined;
  const ttft = answer.ttftMs ?? (answer.status === 'waiting' ? elapsed : undefined);
  const total = answer.totalMs ?? elapsed;
  const cost = costOf(answer, models.data);
  const billed = useBilledActivity(answer).data?.[0];
  const answeredBy = answer.fallbackTo ?? answer.answeredBy ?? answer.model;
  const prompt = answer.usage?.prompt_tokens ?? billed?.prompt_tokens;
  const completion = answer.usage?.completion_tokens ?? billed?.completion_tokens;
  return (
    <dl className="answer-meta" data-testid="answer-meta">
      <div>
        <dt>Model</dt>
        <dd data-testid="answer-model">
          {answeredBy}
          {answer.fallbackTo !== undefined && (
            <span className="badge answer-fallback"> fallback for {answer.model}</span>
          )}
        </dd>
      </div>
      <div>
        <dt>Tokens</dt>
        <dd data-testid="answer-tokens">
          {prompt === undefined || completion === undefined ? '—' : `${tokens(prompt)} in · ${tokens(completion)} out`}
        </dd>
      </div>
      <div>
        <dt>Cost</dt>
        <dd data-testid="answer-cost">
          {cost !== undefined
            ? `${smallUsd(cost.usd)}${cost.estimated ? ' est.' : ''}`
            : billed !== undefined
              ? `${usd(billed.cost_usd)} billed`
              : '—'}
        </dd>
      </div>
      <div>
        <dt>First token</dt>
        <dd data-testid="answer-ttft" data-live={answer.status === 'waiting' && live ? 'true' : undefined}>
          {ms(ttft)}
        </dd>
      </div>
      <div>
        <dt>Total</dt>
        <dd data-testid="answer-total" data-live={live ? 'true' : undefined}>
          {ms(total)}
        </dd>
      </div>
    </dl>
  );
}
