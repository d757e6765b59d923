/**
 * Key management. Admin only: create (the secret is returned exactly once; the store keeps only
 * its hash), list, rename / set limits, revoke. Any key may read its own record at `GET /v1/key`,
 * which also says whether it may top itself up (`topup_allowed`, `self_topup`).
 * A revoked key is refused on this replica at once and on every other within the key cache TTL.
 */
import { Hono } from 'hono';
import * as v from 'valibot';
import { generateApiKey, type KeyLimits, type KeyRecord, type Store } from '@saferouter/store';
import { formatUsd, parseUsdAmount, type Billing } from '@saferouter/billing';
import type { AppEnv } from '../env.js';
import { readJson } from '../body.js';
import { ApiError } from '../errors.js';
import type { KeyAuth } from '../middleware/auth.js';
import { parseOr400 } from '../validation.js';
import { hasControlCharacter } from '../query.js';
import { keyIdParam, keyNotFound } from './key-id.js';
import { mayTopUp } from './credits.js';

const Name = v.pipe(
  v.string('"name" must be a string'),
  v.trim(),
  v.nonEmpty('"name" must not be empty'),
  v.maxLength(100, '"name" is at most 100 characters'),
  v.check((name) => !hasControlCharacter(name), '"name" must not contain control characters'),
);
const Limit = (field: string, max: number) =>
  v.optional(
    v.nullable(
      v.pipe(
        v.number(`"limits.${field}" must be a number or null`),
        v.integer(`"limits.${field}" must be a whole number`),
        v.minValue(1, `"limits.${field}" must be at least 1`),
        v.maxValue(max, `"limits.${field}" is at most ${max}`),
      ),
    ),
  );
const Limits = v.object(
  { rpm: Limit('rpm', 1_000_000), concurrency: Limit('concurrency', 10_000) },
  '"limits" must be an object',
);

/** `POST /v1/keys`; ../openapi.ts documents the body from it. */
export const CreateKey = v.object({
  name: Name,
  credit_usd: v.optional(v.union([v.number(), v.string()], '"credit_usd" must be a number or a decimal string')),
  limits: v.optional(Limits),
});
/** `PATCH /v1/keys/{id}`; ../openapi.ts documents the body from it. */
export const UpdateKey = v.pipe(
  v.object({ name: v.optional(Name), limits: v.optional(Limits) }),
  v.check((b) => b.name !== undefined || b.limits !== undefined, 'send "name" and/or "limits"'),
);

function limitsOf(input: v.InferOutput<typeof Limits> | undefined, current?: KeyLimits): KeyLimits {
  return {
    rpm: input?.rpm === undefined ? (current?.rpm ?? null) : input.rpm,
    concurrency: input?.concurrency === undefined ? (current?.concurrency ?? null) : input.concurrency,
  };
}

/** A key as the API shows it: record, balance, spend and usage. Never the secret or its hash. */
async function keyView(store: Store, rec: KeyRecord): Promise<Record<string, unknown>> {
  const [account, stats] = await Promise.all([store.billing.balance(rec.id), store.activity.stats({ keyId: rec.id })]);
  return {
    id: rec.id,
    object: 'key',
    name: rec.name,
    prefix: rec.prefix,
    role: rec.role,
    created_at: rec.createdAt,
    last_used_at: rec.lastUsedAt,
    revoked_at: rec.revokedAt,
    request_count: rec.requestCount,
    balance_usd: formatUsd(account.balanceMicros),
    held_usd: formatUsd(account.heldMicros),
    spend_usd: formatUsd(stats.costMicros),
    usage: { requests: stats.total, cost_usd: formatUsd(stats.costMicros) },
    limits: rec.limits,
  };
}

export interface KeyRoutesOptions {
  store: Store;
  /** Initial credit goes through billing, the ledger's one writer. */
  billing: Billing;
  auth: KeyAuth;
  clock: () => number;
}

export function keyRoutes({ store, billing, auth, clock }: KeyRoutesOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const view = (rec: KeyRecord): Promise<Record<string, unknown>> => keyView(store, rec);

  async function found(raw: string): Promise<KeyRecord> {
    const rec = await store.keys.get(keyIdParam(raw));
    if (!rec) throw keyNotFound(raw);
    return rec;
  }

  app.get('/keys', async (c) => {
    const keys = await store.keys.list();
    return c.json({ object: 'list', data: await Promise.all(keys.map(view)) });
  });

  app.post('/keys', async (c) => {
    const input = parseOr400(CreateKey, await readJson(c, 64 * 1024), 'key request');
    const credit = input.credit_usd === undefined ? 0 : parseUsdAmount(input.credit_usd, 'credit_usd');
    const issued = generateApiKey();
    const rec = await store.keys.insert({
      id: issued.id,
      name: input.name,
      prefix: issued.prefix,
      hash: issued.hash,
      role: 'user',
      createdAt: clock(),
      limits: limitsOf(input.limits),
    });
    if (credit > 0)
      await billing.topup({
        keyId: rec.id,
        amountMicros: credit,
        note: 'initial credit',
        requestId: c.get('requestId'),
      });
    return c.json({ ...(await view(rec)), key: issued.secret }, 201);
  });

  app.patch('/keys/:id', async (c) => {
    const rec = await found(c.req.param('id'));
    const input = parseOr400(UpdateKey, await readJson(c, 64 * 1024), 'key request');
    let updated = rec;
    if (input.name !== undefined) updated = (await store.keys.rename(rec.id, input.name)) ?? updated;
    if (input.limits !== undefined)
      updated = (await store.keys.setLimits(rec.id, limitsOf(input.limits, rec.limits))) ?? updated;
    auth.invalidate(rec.hash);
    return c.json(await view(updated));
  });

  app.delete('/keys/:id', async (c) => {
    const rec = await found(c.req.param('id'));
    const revoked = (await store.keys.revoke(rec.id, clock())) ?? rec;
    auth.invalidate(rec.hash);
    return c.json({ id: revoked.id, object: 'key', revoked: true, revoked_at: revoked.revokedAt });
  });

  return app;
}

export interface OwnKeyRouteOptions {
  /** SAFEROUTER_SELF_TOPUP: keys may top themselves up. */
  selfTopup: boolean;
}

/**
 * `GET /v1/key`: the calling key's own record (any key), with `topup_allowed` (may this caller
 * use `POST /v1/credits/topup`; the rule is `mayTopUp`'s) and `self_topup` (the operator's
 * setting), so a client can offer a top-up button only where it would work.
 */
export function ownKeyRoute(store: Store, { selfTopup }: OwnKeyRouteOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/key', async (c) => {
    const caller = c.get('caller');
    const topup = { topup_allowed: mayTopUp(caller, selfTopup), self_topup: selfTopup };
    if (caller.role === 'admin') {
      return c.json({
        id: caller.id,
        object: 'key',
        name: caller.name,
        role: 'admin',
        limits: { rpm: null, concurrency: null },
        ...topup,
      });
    }
    const rec = await store.keys.get(caller.id);
    if (!rec)
      throw new ApiError(401, 'authentication_error', 'invalid_api_key', 'Invalid API key: unknown or revoked.');
    return c.json({ ...(await keyView(store, rec)), ...topup });
  });
  return app;
}
