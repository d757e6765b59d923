/**
 * Credits: `GET /v1/credits` (the caller's balance, held amount and per-model usage; the admin
 * may pass `?key_id=`), and `POST /v1/credits/topup` (admin only, or the key itself when the
 * operator set SAFEROUTER_SELF_TOPUP=1 for demos). Amounts are exact decimal USD strings on the
 * wire and integer micro-dollars in the ledger.
 */
import { Hono } from 'hono';
import * as v from 'valibot';
import type { Store } from '@saferouter/store';
import { formatUsd, parseUsdAmount, type Billing } from '@saferouter/billing';
import type { AppEnv, Caller } from '../env.js';
import { readJson } from '../body.js';
import { ApiError } from '../errors.js';
import { parseOr400 } from '../validation.js';
import { keyIdParam, keyNotFound } from './key-id.js';

/** `POST /v1/credits/topup`; ../openapi.ts documents the body from it. */
export const Topup = v.object({
  key_id: v.optional(v.pipe(v.string('"key_id" must be a string'), v.nonEmpty('"key_id" must not be empty'))),
  amount_usd: v.union([v.number(), v.string()], '"amount_usd" must be a number or a decimal string'),
});

export interface CreditRoutesOptions {
  store: Store;
  /** Top-ups go through billing, the ledger's one writer. */
  billing: Billing;
  selfTopup: boolean;
}

/**
 * Whether `caller` may top up: the admin (any key), or a key itself when the operator allowed
 * self top-up. `POST /v1/credits/topup` enforces it; `GET /v1/key` reports it.
 */
export function mayTopUp(caller: Caller, selfTopup: boolean): boolean {
  return caller.role === 'admin' || selfTopup;
}

/** The key a request is about: the caller's own, or any key for the admin. */
function targetKey(caller: Caller, requested: string | undefined): string {
  if (caller.role === 'admin') {
    if (requested === undefined)
      throw new ApiError(
        400,
        'invalid_request_error',
        'missing_required_parameter',
        "The admin key has no balance of its own: pass 'key_id'.",
      );
    return keyIdParam(requested);
  }
  if (requested !== undefined && requested !== caller.id)
    throw new ApiError(403, 'permission_error', 'forbidden', 'A key can only see and top up its own credits.');
  return caller.id;
}

export function creditRoutes({ store, billing, selfTopup }: CreditRoutesOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/credits', async (c) => {
    const keyId = targetKey(c.get('caller'), c.req.query('key_id'));
    if (!(await store.keys.get(keyId))) throw keyNotFound(keyId);
    const [account, stats] = await Promise.all([store.billing.balance(keyId), store.activity.stats({ keyId })]);
    return c.json({
      key_id: keyId,
      balance_usd: formatUsd(account.balanceMicros),
      held_usd: formatUsd(account.heldMicros),
      available_usd: formatUsd(Math.max(0, account.balanceMicros - account.heldMicros)),
      usage: stats.byModel.map((m) => ({
        model: m.key,
        requests: m.requests,
        prompt_tokens: m.promptTokens,
        completion_tokens: m.completionTokens,
        cost_usd: formatUsd(m.costMicros),
      })),
    });
  });

  app.post('/credits/topup', async (c) => {
    const caller = c.get('caller');
    if (!mayTopUp(caller, selfTopup)) {
      throw new ApiError(
        403,
        'permission_error',
        'admin_required',
        'Top-ups need the admin key (the operator can allow self top-up with SAFEROUTER_SELF_TOPUP=1).',
      );
    }
    const input = parseOr400(Topup, await readJson(c, 16 * 1024), 'top-up');
    const keyId = targetKey(caller, input.key_id);
    const amount = parseUsdAmount(input.amount_usd, 'amount_usd');
    const key = await store.keys.get(keyId);
    if (!key) throw keyNotFound(keyId);
    if (key.revokedAt !== null)
      throw new ApiError(409, 'invalid_request_error', 'key_revoked', `Key '${keyId}' is revoked.`);
    const entry = await billing.topup({
      keyId,
      amountMicros: amount,
      note: caller.role === 'admin' ? 'admin top-up' : 'self top-up',
      requestId: c.get('requestId'),
    });
    const account = await store.billing.balance(keyId);
    return c.json({
      key_id: keyId,
      balance_usd: formatUsd(account.balanceMicros),
      held_usd: formatUsd(account.heldMicros),
      entry: { id: entry.id, kind: entry.kind, amount_usd: formatUsd(entry.amountMicros), ts: entry.ts },
    });
  });

  return app;
}
