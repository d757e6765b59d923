/**
 * `POST /v1/keys` through `app.request()`: body validation, the 201 answer, and that the issued
 * key works at once while only its hash is stored. `GET /v1/key`: the caller's own record, and
 * whether it may top itself up.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashApiKey, isApiKeyFormat } from '@saferouter/store';
import { ADMIN_KEY, createFixture, expectError, type Fixture } from '../test-fixture.js';

let fx: Fixture;
beforeEach(async () => {
  fx = await createFixture();
});
afterEach(async () => {
  await fx.dispose();
});

function createKey(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fx.call('/v1/keys', { key: ADMIN_KEY, method: 'POST', body, headers });
}

describe('POST /v1/keys validation', () => {
  const invalid: [label: string, body: unknown][] = [
    ['no name', {}],
    ['empty name', { name: '' }],
    ['blank name', { name: '   ' }],
    ['name over 100 characters', { name: 'n'.repeat(101) }],
    ['numeric name', { name: 42 }],
    ['null name', { name: null }],
    ['array name', { name: ['a'] }],
    ['a JSON array', [{ name: 'a' }]],
    ['a JSON string', '"name"'],
    ['JSON null', 'null'],
  ];
  it.each(invalid)('%s → 400', async (_label, body) => {
    const json = await expectError(await createKey(body), 400, undefined, 'invalid_request_error');
    expect(['invalid_value', 'missing_required_parameter']).toContain(json.error.code);
    expect(json.error.message).toMatch(
      /^(Invalid key request: |Invalid parameter 'name': |Missing required parameter: 'name'\.)/,
    );
    expect(await fx.store.keys.list()).toHaveLength(1);
  });

  it('names the name field, in the message and as `param`', async () => {
    const missing = await expectError(await createKey({}), 400, 'missing_required_parameter');
    expect(missing.error).toMatchObject({ message: "Missing required parameter: 'name'.", param: 'name' });
    for (const body of [{ name: '' }, { name: 'n'.repeat(101) }, { name: 1 }]) {
      const json = await expectError(await createKey(body), 400, 'invalid_value');
      expect(json.error.message).toContain('"name"');
      expect(json.error.param).toBe('name');
    }
  });

  it('a body that is not JSON → 400 invalid_json', async () => {
    await expectError(
      await createKey('name=laptop', { 'content-type': 'application/x-www-form-urlencoded' }),
      400,
      'invalid_json',
    );
    await expectError(await createKey('{"name":'), 400, 'invalid_json');
  });

  it('an empty body → 400 invalid_json', async () => {
    const res = await fx.call('/v1/keys', { key: ADMIN_KEY, method: 'POST' });
    await expectError(res, 400, 'invalid_json');
  });

  it('a body over 64 KiB → 413', async () => {
    await expectError(await createKey({ name: 'x', pad: 'p'.repeat(65 * 1024) }), 413, 'request_too_large');
  });
});

describe('POST /v1/keys success', () => {
  it('201 with an sk-sr- key that works at once for /v1/models', async () => {
    const res = await createKey({ name: 'laptop' });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; key: string; name: string; prefix: string; created_at: number };
    expect(body.key.startsWith('sk-sr-')).toBe(true);
    expect(isApiKeyFormat(body.key)).toBe(true);
    expect(body.id).toMatch(/^key_[0-9a-f]{16}$/);
    expect(body.name).toBe('laptop');
    expect(body.prefix).toBe(`${body.key.slice(0, 12)}…`);
    expect(body.created_at).toBe(fx.now());

    const models = await fx.call('/v1/models', { key: body.key });
    expect(models.status).toBe(200);

    const rec = await fx.store.keys.get(body.id);
    expect(rec).toMatchObject({ name: 'laptop', role: 'user', hash: hashApiKey(body.key), revokedAt: null });
    // The secret itself is stored nowhere in the record.
    expect(JSON.stringify(rec)).not.toContain(body.key);
  });

  it('a key issued after its hash was looked up (and cached as unknown) still works', async () => {
    // Any earlier 401 for some other token must not affect the new key.
    await fx.call('/v1/models', { key: 'sk-sr-bogusbogusbogusbogusbogusbogusbogusbogusbog' });
    const { key } = (await (await createKey({ name: 'fresh' })).json()) as { key: string };
    expect((await fx.call('/v1/models', { key })).status).toBe(200);
  });

  it('trims the name and accepts exactly 100 characters', async () => {
    const trimmed = (await (await createKey({ name: '  ci  ' })).json()) as { name: string };
    expect(trimmed.name).toBe('ci');
    const long = await createKey({ name: 'n'.repeat(100) });
    expect(long.status).toBe(201);
  });

  it('ignores extra fields and issues a user key, never an admin one', async () => {
    const res = await createKey({ name: 'sneaky', role: 'admin' });
    expect(res.status).toBe(201);
    const { id, key } = (await res.json()) as { id: string; key: string };
    expect((await fx.store.keys.get(id))?.role).toBe('user');
    await expectError(await fx.call('/v1/keys', { key, body: { name: 'x' } }), 403, 'admin_required');
  });

  it('each call issues a distinct key', async () => {
    const a = (await (await createKey({ name: 'a' })).json()) as { id: string; key: string };
    const b = (await (await createKey({ name: 'a' })).json()) as { id: string; key: string };
    expect(a.key).not.toBe(b.key);
    expect(a.id).not.toBe(b.id);
    expect(await fx.store.keys.list()).toHaveLength(3);
  });
});

describe('GET /v1/key: may this caller top up?', () => {
  interface OwnKey {
    id: string;
    role: string;
    topup_allowed: boolean;
    self_topup: boolean;
  }
  const ownKey = async (f: Fixture, key?: string): Promise<OwnKey> => {
    const res = await f.call('/v1/key', key === undefined ? {} : { key });
    expect(res.status).toBe(200);
    return (await res.json()) as OwnKey;
  };
  const topup = (f: Fixture) => f.call('/v1/credits/topup', { body: { amount_usd: '1' } });

  it('without SAFEROUTER_SELF_TOPUP: the admin may, a key may not, and the top-up route agrees', async () => {
    expect(await ownKey(fx)).toMatchObject({ id: fx.user.id, role: 'user', topup_allowed: false, self_topup: false });
    expect(await ownKey(fx, ADMIN_KEY)).toMatchObject({ role: 'admin', topup_allowed: true, self_topup: false });
    await expectError(await topup(fx), 403, 'admin_required');
  });

  it('with SAFEROUTER_SELF_TOPUP=1: a key may too, and its top-up succeeds', async () => {
    const selfService = await createFixture({ selfTopup: true });
    try {
      const own = await ownKey(selfService);
      expect(own).toMatchObject({ id: selfService.user.id, topup_allowed: true, self_topup: true });
      // The rest of the record is still there.
      expect(own).toHaveProperty('balance_usd', '100');
      expect(await ownKey(selfService, ADMIN_KEY)).toMatchObject({ topup_allowed: true, self_topup: true });
      expect((await topup(selfService)).status).toBe(200);
    } finally {
      await selfService.dispose();
    }
  });
});
