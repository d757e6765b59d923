/**
 * `GET /ready`: readiness, for a load balancer or an orchestrator deciding whether to send this
 * gateway traffic. `GET /health` stays liveness only (the process answers at all).
 *
 * - 200 `{ "status": "ready", "checks": { "postgres": "ok", "redis": "ok" } }` when every
 *   dependency answered within `timeoutMs`;
 * - 503 `{ "status": "unavailable", "checks": { "postgres": "failed", … } }` when one did not
 *   (`failed`: it answered with an error; `timeout`: it did not answer in time);
 * - 503 `{ "status": "draining" }` from the first SIGTERM on (./shutdown.ts), without asking
 *   anything.
 *
 * A small JSON, not OpenAI's error shape: a probe reads the status code, a person reads which
 * dependency is down. Nothing else (no error text, no host name) is shown: the route is public.
 * Probes that arrive while a check runs share its answer, so a dead database is not asked once
 * per probe.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';

/** One dependency /ready asks, by the name its answer shows. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export type CheckOutcome = 'ok' | 'failed' | 'timeout';

export interface ReadyOptions {
  checks: readonly ReadinessCheck[];
  draining(): boolean;
  /** How long a check may take before it counts as `timeout`; default 1000 ms. */
  timeoutMs?: number | undefined;
}

/**
 * @example app.route('/', readyRoutes({ checks: [{ name: 'sqlite', check: () => store.ping() }], draining: () => false }));
 */
export function readyRoutes(options: ReadyOptions): Hono<AppEnv> {
  const timeoutMs = options.timeoutMs ?? 1000;
  let running: Promise<Record<string, CheckOutcome>> | undefined;

  const runChecks = async (): Promise<Record<string, CheckOutcome>> => {
    const outcomes = await Promise.all(options.checks.map((c) => outcomeOf(c, timeoutMs)));
    return Object.fromEntries(options.checks.map((c, i) => [c.name, outcomes[i] ?? 'failed']));
  };

  const app = new Hono<AppEnv>();
  app.get('/ready', async (c) => {
    c.header('cache-control', 'no-store');
    if (options.draining()) return c.json({ status: 'draining' }, 503);
    running ??= runChecks().finally(() => {
      running = undefined;
    });
    const checks = await running;
    if (options.draining()) return c.json({ status: 'draining' }, 503);
    const ready = Object.values(checks).every((outcome) => outcome === 'ok');
    return c.json({ status: ready ? 'ready' : 'unavailable', checks }, ready ? 200 : 503);
  });
  return app;
}

async function outcomeOf(check: ReadinessCheck, timeoutMs: number): Promise<CheckOutcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<CheckOutcome>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    return await Promise.race([
      Promise.resolve()
        .then(() => check.check())
        .then(
          (): CheckOutcome => 'ok',
          (): CheckOutcome => 'failed',
        ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
