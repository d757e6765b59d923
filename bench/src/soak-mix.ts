/**
 * The soak's mixed load: weighted operations drawn at random by a fixed number of workers until
 * the deadline. Each operation is one thing an operator's traffic does: a chat answer, a stream,
 * a primary that fails so its fallback answers, a client that leaves mid-stream, a Responses API
 * call, a key with too little credit (402), keys over their rpm or concurrency limit (429), and a
 * key created, used, revoked and refused (401). Keys are created and revoked through the admin
 * API and registered here with the credit they were given, for the books.
 */
import { send, type Outcome, type SendSpec } from './soak-client.js';
import { SOAK_MODELS } from './soak-catalog.js';

/** A key the soak made, with what it was credited (integer micro-dollars). */
export interface SoakKey {
  id: string;
  secret: string;
  name: string;
  creditedMicros: number;
  revoked: boolean;
}

/** What the admin calls need: where, with which key, and where keys and failures go. */
export interface AdminContext {
  baseUrl: string;
  adminKey: string;
  /** Every key made, by id (the books go through all of them). */
  keys: Map<string, SoakKey>;
  record(o: Outcome): void;
  timeoutMs: number;
}

export interface MixContext extends AdminContext {
  /** Ample credit, no limits: the ordinary traffic. */
  mainKeys: SoakKey[];
  /** Limited to RPM_LIMIT requests a minute. */
  rpmKey: SoakKey;
  /** Limited to CONCURRENCY_LIMIT requests at once. */
  concurrencyKey: SoakKey;
}

export const RPM_LIMIT = 60;
export const CONCURRENCY_LIMIT = 2;
/** Enough for about two `tiny` requests (hold ≈ 55 µ$ at max_tokens 32), never three. */
const TINY_CREDIT_USD = '0.0001';
const REVOKED_CREDIT_USD = '0.01';

const messages = [{ role: 'user', content: 'Soak: say something short.' }];
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
const coin = (p: number): boolean => Math.random() < p;

type Op = (ctx: MixContext) => Promise<void>;

function chatSpec(
  ctx: MixContext,
  op: string,
  key: SoakKey,
  body: Record<string, unknown>,
  extra: Partial<SendSpec> = {},
): SendSpec {
  return {
    op,
    baseUrl: ctx.baseUrl,
    keyId: key.id,
    secret: key.secret,
    path: '/v1/chat/completions',
    body: { model: SOAK_MODELS.main, messages, max_tokens: 64, ...body },
    accept: [200],
    timeoutMs: ctx.timeoutMs,
    ...extra,
  };
}

async function fire(ctx: MixContext, spec: SendSpec): Promise<Outcome> {
  const o = await send(spec);
  ctx.record(o);
  return o;
}

/** The operations and their weights (relative frequency). */
export const OPS: Record<string, { weight: number; run: Op }> = {
  chat: { weight: 24, run: (ctx) => fire(ctx, chatSpec(ctx, 'chat', pick(ctx.mainKeys), {})).then(() => undefined) },
  stream: {
    weight: 24,
    run: (ctx) =>
      fire(
        ctx,
        chatSpec(ctx, 'stream', pick(ctx.mainKeys), {
          stream: true,
          ...(coin(0.5) ? { stream_options: { include_usage: true } } : {}),
        }),
      ).then(() => undefined),
  },
  fallback: {
    weight: 10,
    run: (ctx) =>
      fire(
        ctx,
        chatSpec(
          ctx,
          'fallback',
          pick(ctx.mainKeys),
          { model: SOAK_MODELS.flaky, stream: coin(0.5) },
          { fallbackTo: SOAK_MODELS.backup },
        ),
      ).then(() => undefined),
  },
  disconnect: {
    weight: 8,
    run: (ctx) =>
      fire(
        ctx,
        chatSpec(
          ctx,
          'disconnect',
          pick(ctx.mainKeys),
          { model: SOAK_MODELS.slow, stream: true, max_tokens: 256 },
          { disconnectAfterFirstChunk: true },
        ),
      ).then(() => undefined),
  },
  responses: {
    weight: 8,
    run: (ctx) => {
      const key = pick(ctx.mainKeys);
      return fire(ctx, {
        op: 'responses',
        baseUrl: ctx.baseUrl,
        keyId: key.id,
        secret: key.secret,
        path: '/v1/responses',
        body: {
          model: SOAK_MODELS.main,
          input: 'Soak: say something short.',
          max_output_tokens: 64,
          stream: coin(0.25),
        },
        accept: [200],
        timeoutMs: ctx.timeoutMs,
      }).then(() => undefined);
    },
  },
  /** A fresh key with credit for about two requests, sent three: 200, 200, 402 as a rule. */
  tiny: {
    weight: 2,
    run: async (ctx) => {
      const key = await createKey(ctx, 'soak-tiny', TINY_CREDIT_USD);
      if (key === undefined) return;
      for (let i = 0; i < 3; i++)
        await fire(ctx, chatSpec(ctx, 'tiny', key, { max_tokens: 32, stream: i === 1 }, { accept: [200, 402] }));
    },
  },
  rpm: {
    weight: 8,
    run: (ctx) =>
      fire(ctx, chatSpec(ctx, 'rpm', ctx.rpmKey, { stream: coin(0.5) }, { accept: [200, 429] })).then(() => undefined),
  },
  /** Three at once on a key allowed two, against an upstream that takes 250 ms: one 429 at least. */
  concurrency: {
    weight: 5,
    run: async (ctx) => {
      await Promise.all(
        Array.from({ length: CONCURRENCY_LIMIT + 1 }, () =>
          fire(
            ctx,
            chatSpec(ctx, 'concurrency', ctx.concurrencyKey, { model: SOAK_MODELS.held }, { accept: [200, 429] }),
          ),
        ),
      );
    },
  },
  /** Create a key, use it, revoke it, and check it is refused at once. */
  revoke: {
    weight: 2,
    run: async (ctx) => {
      const key = await createKey(ctx, 'soak-revoked', REVOKED_CREDIT_USD);
      if (key === undefined) return;
      await fire(ctx, chatSpec(ctx, 'revoke', key, { stream: coin(0.5) }));
      if (!(await revokeKey(ctx, key))) return;
      await fire(ctx, chatSpec(ctx, 'revoke', key, {}, { accept: [401] }));
    },
  },
};

const TOTAL_WEIGHT = Object.values(OPS).reduce((s, o) => s + o.weight, 0);

function drawOp(): [string, Op] {
  let r = Math.random() * TOTAL_WEIGHT;
  for (const [name, o] of Object.entries(OPS)) {
    r -= o.weight;
    if (r < 0) return [name, o.run];
  }
  return ['chat', OPS['chat']!.run];
}

/** Runs `workers` loops of random operations until `deadline` (ms epoch); returns ops per name. */
export async function runMix(ctx: MixContext, workers: number, deadline: number): Promise<Record<string, number>> {
  const ran: Record<string, number> = {};
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < deadline) {
        const [name, run] = drawOp();
        ran[name] = (ran[name] ?? 0) + 1;
        await run(ctx);
      }
    }),
  );
  return ran;
}

const adminHeaders = (ctx: AdminContext): Record<string, string> => ({
  authorization: `Bearer ${ctx.adminKey}`,
  'content-type': 'application/json',
});

/** `POST /v1/keys` as the admin; registers the key. Undefined (and an `admin` outcome) on failure. */
export async function createKey(
  ctx: AdminContext,
  name: string,
  creditUsd: string,
  limits?: { rpm?: number; concurrency?: number },
): Promise<SoakKey | undefined> {
  const res = await adminCall(ctx, 'POST', '/v1/keys', { name, credit_usd: creditUsd, ...(limits ? { limits } : {}) });
  if (res === undefined) return undefined;
  const body = res.body as { id?: unknown; key?: unknown };
  if (res.status !== 201 || typeof body.id !== 'string' || typeof body.key !== 'string') {
    ctx.record(adminFailure(`POST /v1/keys answered ${res.status}: ${res.text}`, res.status));
    return undefined;
  }
  const key: SoakKey = { id: body.id, secret: body.key, name, creditedMicros: usdToMicros(creditUsd), revoked: false };
  ctx.keys.set(key.id, key);
  return key;
}

async function revokeKey(ctx: AdminContext, key: SoakKey): Promise<boolean> {
  const res = await adminCall(ctx, 'DELETE', `/v1/keys/${key.id}`);
  if (res === undefined) return false;
  if (res.status !== 200 || (res.body as { revoked?: unknown }).revoked !== true) {
    ctx.record(adminFailure(`DELETE /v1/keys/${key.id} answered ${res.status}: ${res.text}`, res.status));
    return false;
  }
  key.revoked = true;
  return true;
}

async function adminCall(
  ctx: AdminContext,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string; body: unknown } | undefined> {
  try {
    const res = await fetch(`${ctx.baseUrl}${path}`, {
      method,
      headers: adminHeaders(ctx),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      // judged by the caller
    }
    return { status: res.status, text, body: parsed };
  } catch (e) {
    ctx.record(adminFailure(`${method} ${path}: ${e instanceof Error ? e.message : String(e)}`, undefined));
    return undefined;
  }
}

function adminFailure(detail: string, status: number | undefined): Outcome {
  return {
    op: 'admin',
    kind: status === undefined ? 'connection' : status >= 500 ? 'http-5xx' : 'http-unexpected',
    keyId: 'admin',
    requestId: undefined,
    status,
    detail: detail.slice(0, 300),
  };
}

/** `"0.0001"` → 100; exact, no float. */
export function usdToMicros(usd: string): number {
  const m = /^(-?)(\d+)(?:\.(\d{1,6}))?$/.exec(usd);
  if (!m) throw new RangeError(`not a USD amount with at most 6 decimals: ${JSON.stringify(usd)}`);
  const micros = Number(m[2]) * 1_000_000 + Number((m[3] ?? '').padEnd(6, '0'));
  return m[1] === '-' ? -micros : micros;
}
