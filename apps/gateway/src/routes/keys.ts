/**
 * Key issuance, admin only. The secret is returned exactly once, in this response; the store
 * keeps only its hash. Full key management (list, rename, revoke) arrives with billing.
 */
import { Hono } from 'hono';
import * as v from 'valibot';
import { generateApiKey, type Store } from '@saferouter/store';
import type { AppEnv } from '../env.js';
import { readJson } from '../body.js';
import { ApiError } from '../errors.js';

const CreateKey = v.object({
  name: v.pipe(v.string('"name" must be a string'), v.trim(), v.nonEmpty('"name" must not be empty'), v.maxLength(100, '"name" is at most 100 characters')),
});

export function keyRoutes(store: Store, clock: () => number): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/keys', async (c) => {
    const parsed = v.safeParse(CreateKey, await readJson(c, 64 * 1024));
    if (!parsed.success) {
      throw new ApiError(400, 'invalid_request_error', 'invalid_value', `Invalid key request: ${parsed.issues[0].message}`);
    }
    const issued = generateApiKey();
    const rec = await store.keys.insert({
      id: issued.id,
      name: parsed.output.name,
      prefix: issued.prefix,
      hash: issued.hash,
      role: 'user',
      createdAt: clock(),
    });
    return c.json({ id: rec.id, key: issued.secret, name: rec.name, prefix: rec.prefix, created_at: rec.createdAt }, 201);
  });
  return app;
}
