/**
 * Key authentication through `app.request()`: 401s that never echo the token, 403 for user keys
 * on admin routes, revocation bounded by the cache TTL, and batched usage counters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_KEY, createFixture, expectError, type Fixture } from '../test-fixture.js';

let fx: Fixture | undefined;
async function setup(options: Parameters<typeof createFixture>[0] = {}): Promise<Fixture> {
  fx = await createFixture(options);
  return fx;
}
afterEach(async () => {
  await fx?.dispose();
  fx = undefined;
});

describe('401', () => {
  it('missing Authorization', async () => {
    const f = await setup();
    const res = await f.call('/v1/models', { key: null });
    await expectError(res, 401, 'missing_api_key', 'authentication_error');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });

  const malformed: [label: string, header: string][] = [
    ['Basic scheme', 'Basic c2VjcmV0LXRva2VuLXZhbHVl'],
    ['Basic x', 'Basic x'],
    ['Bearer with an empty token', 'Bearer '],
    ['Bearer with only spaces', 'Bearer    '],
    ['a bare token', 'sk-sr-baretokenbaretokenbaretokenbaretokenbaret'],
    ['empty header', ''],
  ];
  it.each(malformed)('malformed Authorization: %s', async (_label, header) => {
    const f = await setup();
    const res = await f.call('/v1/models', { key: null, headers: { authorization: header } });
    const json = await expectError(res, 401, 'missing_api_key', 'authentication_error');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    const token = header.split(' ').at(-1) ?? '';
    if (token.length > 1) expect(JSON.stringify(json)).not.toContain(token);
  });

  it('unknown key in SafeRouter format, never echoed', async () => {
    const f = await setup();
    const bogus = 'sk-sr-bogusbogusbogusbogusbogusbogusbogusbogusbog';
    const res = await f.call('/v1/models', { key: bogus });
    const json = await expectError(res, 401, 'invalid_api_key', 'authentication_error');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(json.error.message).toContain('unknown or revoked');
    expect(JSON.stringify(json)).not.toContain(bogus);
    expect(JSON.stringify(json)).not.toContain('bogusbogus');
  });

  it('a token that is not a SafeRouter key, never echoed', async () => {
    const f = await setup();
    const token = 'my-openai-key-0123456789';
    const json = await expectError(await f.call('/v1/models', { key: token }), 401, 'invalid_api_key');
    expect(json.error.message).toContain('sk-sr-');
    expect(JSON.stringify(json)).not.toContain(token);
  });

  it('applies to every /v1 route, chat included', async () => {
    const f = await setup();
    await expectError(
      await f.call('/v1/chat/completions', { key: null, body: { model: 'saferouter/demo', messages: [] } }),
      401,
      'missing_api_key',
    );
    await expectError(await f.call('/v1/models/saferouter/demo', { key: null }), 401, 'missing_api_key');
    await expectError(await f.call('/v1/keys', { key: null, body: { name: 'x' } }), 401, 'missing_api_key');
  });

  it('the Bearer scheme is case-insensitive', async () => {
    const f = await setup();
    expect(
      (await f.call('/v1/models', { key: null, headers: { authorization: `bearer ${f.user.secret}` } })).status,
    ).toBe(200);
  });
});

describe('403', () => {
  it('a user key on /v1/keys', async () => {
    const f = await setup();
    const res = await f.call('/v1/keys', { body: { name: 'mine' } });
    const json = await expectError(res, 403, 'admin_required', 'permission_error');
    expect(JSON.stringify(json)).not.toContain(f.user.secret);
    expect(await f.store.keys.list()).toHaveLength(1);
  });

  it('only /v1/keys and paths below it are admin-only, not look-alike prefixes', async () => {
    const f = await setup();
    await expectError(await f.call('/v1/keys/key_abc', { method: 'GET' }), 403, 'admin_required');
    await expectError(await f.call('/v1/keysX', { method: 'GET' }), 404);
  });
});

describe('revocation', () => {
  it('with keyCacheTtlMs 0, a revoked key stops working on the next request', async () => {
    const f = await setup({ keyCacheTtlMs: 0 });
    expect((await f.call('/v1/models')).status).toBe(200);
    await f.store.keys.revoke(f.user.id, f.now());
    const json = await expectError(await f.call('/v1/models'), 401, 'invalid_api_key');
    expect(json.error.message).toContain('revoked');
  });

  it('with a cache, a revoked key works until the TTL passes, then stops', async () => {
    const f = await setup({ keyCacheTtlMs: 1000 });
    expect((await f.call('/v1/models')).status).toBe(200);
    await f.store.keys.revoke(f.user.id, f.now());
    f.advance(999);
    expect((await f.call('/v1/models')).status).toBe(200);
    f.advance(1);
    await expectError(await f.call('/v1/models'), 401, 'invalid_api_key');
    f.advance(10_000);
    await expectError(await f.call('/v1/models'), 401, 'invalid_api_key');
  });

  it('the admin key is never cached away', async () => {
    const f = await setup({ keyCacheTtlMs: 0 });
    expect((await f.call('/v1/models', { key: ADMIN_KEY })).status).toBe(200);
  });
});

describe('usage counters', () => {
  it('after N requests and flush(), requestCount is N and lastUsedAt is the clock', async () => {
    const f = await setup();
    const before = await f.store.keys.get(f.user.id);
    expect(before?.requestCount).toBe(0);
    expect(before?.lastUsedAt).toBeNull();
    const n = 5;
    for (let i = 0; i < n; i++) {
      f.advance(10);
      expect((await f.call('/v1/models')).status).toBe(200);
    }
    // Batched: nothing written until a flush.
    expect((await f.store.keys.get(f.user.id))?.requestCount).toBe(0);
    await f.auth.flush();
    const after = await f.store.keys.get(f.user.id);
    expect(after?.requestCount).toBe(n);
    expect(after?.lastUsedAt).toBe(f.now());
  });

  it('counts across flushes, and authenticated requests that fail later still count', async () => {
    const f = await setup();
    await f.call('/v1/models');
    await f.auth.flush();
    await f.call('/v1/models/nope');
    await f.call('/v1/chat/completions', { body: { model: 'saferouter/demo', messages: 'x' } });
    await f.auth.flush();
    expect((await f.store.keys.get(f.user.id))?.requestCount).toBe(3);
  });

  it('rejected and admin requests do not count; close() flushes what is pending', async () => {
    const f = await setup();
    await f.call('/v1/models', { key: 'sk-sr-bogusbogusbogusbogusbogusbogusbogusbogusbog' });
    await f.call('/v1/models', { key: ADMIN_KEY });
    await f.call('/v1/models');
    await f.call('/v1/keys', { body: { name: 'x' } }); // 403 for the user, but authenticated
    await f.auth.close();
    const rec = await f.store.keys.get(f.user.id);
    expect(rec?.requestCount).toBe(2);
    expect(rec?.lastUsedAt).toBe(f.now());
  });
});
