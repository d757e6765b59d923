/**
 * Runs the checks of one verification: times each, turns an exception inside a check into that
 * check's failure, attaches the fixed title and sentences from CHECK_TEXT, and records skips.
 */
import { UnreachableError } from './http.js';
import { CHECK_TEXT, type CheckId, type SubCheck, type VerifyCheck } from './checks.js';

/** What a check's body returns: its status and detail, sub-results, and a value for later checks. */
export interface Outcome<T> {
  readonly status: 'pass' | 'fail' | 'warn';
  readonly detail: string;
  readonly sub?: readonly SubCheck[];
  readonly value?: T;
}

export class Runner {
  readonly checks: VerifyCheck[] = [];
  /** Set when a check failed because the gateway could not be reached at all. */
  unreachable = false;

  skip(id: CheckId, reason: string): void {
    this.push(id, 'skip', reason, 0);
  }

  /** Runs one check; an exception inside it is that check's failure, never the run's. */
  async run<T>(id: CheckId, body: () => Promise<Outcome<T>>): Promise<T | undefined> {
    const start = performance.now();
    let outcome: Outcome<T>;
    try {
      outcome = await body();
    } catch (error) {
      if (error instanceof UnreachableError) this.unreachable = true;
      outcome = { status: 'fail', detail: error instanceof Error ? error.message : String(error) };
    }
    this.push(id, outcome.status, outcome.detail, performance.now() - start, outcome.sub);
    return outcome.status === 'fail' ? undefined : outcome.value;
  }

  status(id: CheckId): VerifyCheck['status'] | undefined {
    return this.checks.find((c) => c.id === id)?.status;
  }

  private push(
    id: CheckId,
    status: VerifyCheck['status'],
    detail: string,
    ms: number,
    sub?: readonly SubCheck[],
  ): void {
    const text = CHECK_TEXT[id];
    this.checks.push({
      id,
      status,
      title: text.title,
      proves: text.proves,
      doesNotProve: text.doesNotProve,
      detail,
      ms: Math.round(ms * 10) / 10,
      ...(sub === undefined || sub.length === 0 ? {} : { sub }),
    });
  }
}

export const failedBecause = (id: CheckId): string => `skipped: it needs the result of "${id}", which failed`;
