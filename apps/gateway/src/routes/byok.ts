/**
 * `/v1/byok`: the caller's own provider keys (BYOK, ../byok.ts). A user key uploads a key it
 * sealed to this attested build (`POST`), lists its keys with their status (`GET`, never the key)
 * and deletes one (`DELETE /v1/byok/{id}`). The admin key is refused (403): it has no account, so
 * there is nothing to route or bill its own keys against, and a key stored for it would be used by
 * whoever holds the operator's key.
 */
import { Hono, type Context } from 'hono';
import * as v from 'valibot';
import { BYOK_PROVIDER } from '@saferouter/verify/byok-info';
import type { AppEnv } from '../env.js';
import { readJson } from '../body.js';
import type { Byok } from '../byok.js';
import { ApiError } from '../errors.js';
import { parseOr400 } from '../validation.js';

/** Largest `POST /v1/byok` body: a sealed 4 KiB key is about 5.5 KiB of JSON. */
export const BYOK_BODY_LIMIT = 16 * 1024;

const B64URL = /^[A-Za-z0-9_-]+$/;

/** `POST /v1/byok`; ../openapi-routes-byok.ts documents the body from it. */
export const ByokUploadRequest = v.object({
  provider: v.pipe(
    v.string('"provider" must be a string'),
    v.regex(BYOK_PROVIDER, '"provider" must be a provider id (1 to 64 of a-z, 0-9, ".", "_" and "-")'),
    v.description('The catalog provider the key is for (`GET /v1/models` names them).'),
  ),
  ciphertext: v.pipe(
    v.string('"ciphertext" must be a string'),
    v.regex(B64URL, '"ciphertext" must be unpadded base64url'),
    v.maxLength(5_500, '"ciphertext" is at most 5500 characters'),
    v.description('The HPKE ciphertext of the key, unpadded base64url (`sealProviderKey`).'),
  ),
  enc: v.pipe(
    v.string('"enc" must be a string'),
    v.regex(/^[A-Za-z0-9_-]{43}$/, '"enc" must be 32 bytes of unpadded base64url'),
    v.description('The HPKE encapsulated key, unpadded base64url.'),
  ),
  always_use: v.optional(
    v.pipe(
      v.boolean('"always_use" must be a boolean'),
      v.description(
        'Never fall back to the gateway’s own key for this provider, not even when yours fails retryably. Default false.',
      ),
    ),
  ),
});

const notFound = (): ApiError =>
  new ApiError(404, 'not_found_error', 'byok_key_not_found', 'No BYOK key with this id belongs to your key.');

/** The caller's key id; the admin key is refused. */
function owner(c: Context<AppEnv>): string {
  const caller = c.get('caller');
  if (caller.role === 'admin')
    throw new ApiError(
      403,
      'permission_error',
      'byok_requires_user_key',
      'Provider keys (BYOK) belong to user keys: the admin key has no account to route and bill them for. Use a user key.',
    );
  return caller.id;
}

export function byokRoutes(byok: Byok): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/byok', async (c) => {
    const keyId = owner(c);
    const input = parseOr400(ByokUploadRequest, await readJson(c, BYOK_BODY_LIMIT), 'BYOK request');
    const stored = await byok.upload(keyId, {
      provider: input.provider,
      enc: input.enc,
      ciphertext: input.ciphertext,
      alwaysUse: input.always_use ?? false,
    });
    return c.json(stored, 201);
  });

  app.get('/byok', async (c) => {
    const keyId = owner(c);
    return c.json({ object: 'list', data: await byok.list(keyId) });
  });

  app.delete('/byok/:id', async (c) => {
    const keyId = owner(c);
    const id = c.req.param('id');
    // An id the store could never hold names nothing: answered as unknown, never echoed.
    if (!/^[\x21-\x7e]{1,64}$/.test(id) || !(await byok.remove(keyId, id))) throw notFound();
    return c.json({ id, object: 'byok_key', deleted: true });
  });

  return app;
}
