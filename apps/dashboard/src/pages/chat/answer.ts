/**
 * One assistant answer as chat and compare keep it: what streamed, how it ended, and the facts
 * shown under it (model, tokens, cost, timings). Plain JSON, so chat can keep answers in
 * localStorage; `isAnswer` reads them back defensively.
 */
import { ApiError, describeError, type Model } from '../../lib/api';
import type { ChatMessage, Usage } from '../../lib/chat-stream';

/** `waiting`: sent, nothing back yet; `stopped`: the user pressed Stop (the partial answer stays). */
export type AnswerStatus = 'waiting' | 'streaming' | 'done' | 'stopped' | 'error';

export interface AnswerError {
  message: string;
  status?: number;
  code?: string;
}

export interface Answer {
  /** The model asked for. */
  model: string;
  /** The model that answered, as the stream reported it. */
  answeredBy?: string;
  /** A fallback model that answered instead (`X-SafeRouter-Fallback-To`). */
  fallbackTo?: string;
  status: AnswerStatus;
  content: string;
  reasoning: string;
  usage?: Usage;
  requestId?: string;
  ttftMs?: number;
  totalMs?: number;
  error?: AnswerError;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

const STATUSES: readonly string[] = ['waiting', 'streaming', 'done', 'stopped', 'error'];

export function isAnswer(value: unknown): value is Answer {
  return (
    isRecord(value) &&
    typeof value['model'] === 'string' &&
    typeof value['content'] === 'string' &&
    typeof value['reasoning'] === 'string' &&
    typeof value['status'] === 'string' &&
    STATUSES.includes(value['status'])
  );
}

/** The error as the answer shows it: the gateway's own words, made actionable for 402 and 429. */
export function answerError(error: unknown, partial: boolean): AnswerError {
  const described = describeError(error);
  const interrupted = partial || (error instanceof ApiError && error.code === 'stream_interrupted');
  const message = interrupted ? `The stream was interrupted before the answer was complete: ${described}` : described;
  if (!(error instanceof ApiError)) return { message };
  return { message, status: error.status, code: error.code };
}

export interface Cost {
  usd: number;
  /** Computed here from the catalog's prices, not reported by the gateway. */
  estimated: boolean;
}

/**
 * The answer's cost: `usage.cost` when the gateway reports it, else the answering model's
 * per-token prices times the tokens, marked as an estimate.
 */
export function costOf(answer: Answer, models: readonly Model[] | undefined): Cost | undefined {
  const usage = answer.usage;
  if (usage === undefined) return undefined;
  if (typeof usage.cost === 'number' && Number.isFinite(usage.cost)) return { usd: usage.cost, estimated: false };
  const id = answer.fallbackTo ?? answer.answeredBy ?? answer.model;
  const model = models?.find((m) => m.id === id) ?? models?.find((m) => m.id === answer.model);
  if (model === undefined) return undefined;
  const usd =
    usage.prompt_tokens * Number(model.pricing.prompt) + usage.completion_tokens * Number(model.pricing.completion);
  return Number.isFinite(usd) ? { usd, estimated: true } : undefined;
}

/** A USD amount small enough for per-request costs: `$0.000123`, `$0` when free. */
export function smallUsd(usd: number): string {
  if (usd === 0) return '$0';
  const text = usd
    .toFixed(usd >= 0.01 ? 4 : usd >= 0.0001 ? 6 : 8)
    .replace(/0+$/, '')
    .replace(/\.$/, '');
  return Number(text) === 0 ? '< $0.00000001' : `$${text}`;
}

/** One turn of a chat conversation. */
export type Turn = { role: 'user'; content: string } | { role: 'assistant'; answer: Answer };

/** What is sent back to the model as history: the text of every turn, errors and empty answers left out. */
export function historyOf(turns: readonly Turn[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const turn of turns) {
    if (turn.role === 'user') out.push({ role: 'user', content: turn.content });
    else if (turn.answer.content !== '') out.push({ role: 'assistant', content: turn.answer.content });
  }
  return out;
}

export const isBusy = (answer: Answer | undefined): boolean =>
  answer !== undefined && (answer.status === 'waiting' || answer.status === 'streaming');
