/**
 * Key management. Admin only: create (the secret is returned exactly once; the store keeps only
 * its hash), list, rename / set limits, revoke. Any key may read its own record at `GET /v1/key`.
 * A revoked key is refused on this replica at once and on every other within the key cache TTL.
 */
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import * as v from 'valibot';
import { generateApiKey, type KeyLimits, type KeyRecord, type Store } from '@saferouter/store';
import { formatUsd, parseUsdAmount } from '@saferouter/billing';
import type { AppEnv } from '../env.js';
import { readJson } from '../body.js';
import { ApiError } from '../errors.js';
import type { KeyAuth } from '../middleware/auth.js';

const Name = v.pipe(v.string('"name" must be a string'), v.trim(), v.nonEmpty('"name" must not be empty'), v.maxLength(100, '"name" is at most 100 characters'));
const Limit = (field: string, max: number) =>
  v.optional(v.nullable(v.pipe(v.number(`"limits.${field}" must be a number or null`), v.integer(`"limits.${field}" must be a whole number`), v.minValue(1, `"limits.${field}" must be at least 1`), v.maxValue(max, `"limits.${field}" is at most ${max}`))));
const Limits = v.object({ rpm: Limit('rpm', 1_000_000), concurrency: Limit('concurrency', 10_000) }, '"limits" must be an object');

const CreateKey = v.object({
  name: Name,
  credit_usd: v.optional(v.union([v.number(), v.string()], '"credit_usd" must be a number or a decimal string')),
  limits: v.optional(Limits),
});
const UpdateKey = v.pipe(
  v.object({ name: v.optional(Name), limits: v.optional(Limits) }),
  v.check((b) => b.name !== undefined || b.limits !== undefined, 'send "name" and/or "limits"'),
);

function invalid(issues: readonly v.BaseIssue<unknown>[]): ApiError {
  const issue = issues[0];
  const path = issue?.path?.map((p) => String(p.key)).join('.') ?? '';
  const message = issue === undefined ? 'malformed body' : path !== '' && issue.input === undefined ? `"${path}" is required` : issue.message;
  return new ApiError(400, 'invalid_request_error', 'invalid_value', `Invalid key request: ${message}`);
}

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
  auth: KeyAuth;
  clock: () => number;
}

export function keyRoutes({ store, auth, clock }: KeyRoutesOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const view = (rec: KeyRecord): Promise<Record<string, unknown>> => keyView(store, rec);

  async function found(id: string): Promise<KeyRecord> {
    const rec = await store.keys.get(id);
    if (!rec) throw new ApiError(404, 'not_found_error', 'key_not_found', `No key with id '${id}'.`);
    return rec;
  }

  app.get('/keys', async (c) => {
    const keys = await store.keys.list();
    return c.json({ object: 'list', data: await Promise.all(keys.map(view)) });
  });

  app.post('/keys', async (c) => {
    const parsed = v.safeParse(CreateKey, await readJson(c, 64 * 1024));
    if (!parsed.success) throw invalid(parsed.issues);
    let credit = 0;
    if (parsed.output.credit_usd !== undefined) {
      try {
        credit = parseUsdAmount(parsed.output.credit_usd);
      } catch (err) {
        throw new ApiError(400, 'invalid_request_error', 'invalid_value', `Invalid "credit_usd": ${(err as Error).message}`);
      }
    }
    const issued = generateApiKey();
    const now = clock();
    const rec = await store.keys.insert({
      id: issued.id,
      name: parsed.output.name,
      prefix: issued.prefix,
      hash: issued.hash,
      role: 'user',
      createdAt: now,
      limits: limitsOf(parsed.output.limits),
    });
    if (credit > 0) {
      await store.billing.credit({ id: `led_${randomBytes(12).toString('hex')}`, keyId: rec.id, amountMicros: credit, kind: 'topup', ts: now, note: 'initial credit' });
    }
    return c.json({ ...(await view(rec)), key: issued.secret }, 201);
  });

  app.patch('/keys/:id', async (c) => {
    const rec = await found(c.req.param('id'));
    const parsed = v.safeParse(UpdateKey, await readJson(c, 64 * 1024));
    if (!parsed.success) throw invalid(parsed.issues);
    let updated = rec;
    if (parsed.output.name !== undefined) updated = (await store.keys.rename(rec.id, parsed.output.name)) ?? updated;
    if (parsed.output.limits !== undefined) updated = (await store.keys.setLimits(rec.id, limitsOf(parsed.output.limits, rec.limits))) ?? updated;
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

/** `GET /v1/key`: the calling key's own record (any key). */
export function ownKeyRoute(store: Store): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/key', async (c) => {
    const caller = c.get('caller');
    if (caller.role === 'admin') {
      return c.json({ id: caller.id, object: 'key', name: caller.name, role: 'admin', limits: { rpm: null, concurrency: null } });
    }
    const rec = await store.keys.get(caller.id);
    if (!rec) throw new ApiError(401, 'authentication_error', 'invalid_api_key', 'Invalid API key: unknown or revoked.');
    return c.json(await keyView(store, rec));
  });
  return app;
}
