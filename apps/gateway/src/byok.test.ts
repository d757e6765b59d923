// The gateway's BYOK service (./byok.ts) over a real SQLite store and real HPKE: what opens, what
// is refused and why, what is stored (never the key), and which keys routing may use.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeBase64Url } from '@saferouter/audit';
import { setupRecipient, setupSender, x25519 } from '@saferouter/ehbp/server';
import type { CatalogProvider } from '@saferouter/router';
import type { Store } from '@saferouter/store';
import { openSqliteStore } from '@saferouter/store/sqlite';
import { byokInfo } from '@saferouter/verify/byok-info';
import { createByok, lastFour, parseEnvelope, type Byok } from './byok.js';
import { ApiError } from './errors.js';

const PROVIDER_KEY = 'sk-proj-PLAINTEXT-0123456789abcdef';
const PROVIDERS: CatalogProvider[] = [
  { id: 'openai', kind: 'openai-compatible', available: true },
  { id: 'deepseek', kind: 'deepseek', available: false },
  { id: 'saferouter', kind: 'demo', available: true },
];
const MEASUREMENT = new Uint8Array(32).fill(7);
const OTHER_MEASUREMENT = new Uint8Array(32).fill(9);

let dir: string;
let store: Store;
let owner: string;
let now: number;
let warnings: string[];

/** An X25519 key pair: the attested sealing key, as the attestor holds it. */
function x25519Pair() {
  const pair = generateKeyPairSync('x25519');
  const publicKey = new Uint8Array(Buffer.from(pair.publicKey.export({ format: 'jwk' }).x ?? '', 'base64url'));
  return { privateKey: pair.privateKey, publicKey };
}
const sealing = x25519Pair();
const sealingPublic = sealing.publicKey;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sr-byok-'));
  store = await openSqliteStore({ dataDir: dir });
  owner = 'key_owner0001';
  await store.keys.insert({
    id: owner,
    name: 'o',
    prefix: 'sk-sr-xxxxxx…',
    hash: 'b'.repeat(64),
    role: 'user',
    createdAt: 1,
  });
  now = 1_700_000_000_000;
  warnings = [];
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function service(
  over: { measurement?: Uint8Array; key?: ReturnType<typeof x25519Pair>; cacheTtlMs?: number } = {},
): Byok {
  const key = over.key ?? sealing;
  return createByok({
    store,
    measurement: over.measurement ?? MEASUREMENT,
    sealingPublicKey: () => key.publicKey,
    open: (enc, ciphertext, info) =>
      setupRecipient((peer) => x25519(key.privateKey, peer), key.publicKey, enc, info).open(ciphertext),
    providers: () => PROVIDERS,
    clock: () => now,
    cacheTtlMs: over.cacheTtlMs,
    warn: (m) => warnings.push(m),
  });
}

/** What a client sends: the key sealed with HPKE to the sealing key, bound to (measurement, key id, provider). */
function sealed(
  key: string | Uint8Array,
  bind: { keyId?: string; provider?: string; measurement?: Uint8Array } = {},
): { enc: string; ciphertext: string } {
  const info = byokInfo(bind.measurement ?? MEASUREMENT, bind.keyId ?? owner, bind.provider ?? 'openai');
  const { enc, context } = setupSender(sealingPublic, info);
  const bytes = typeof key === 'string' ? new TextEncoder().encode(key) : key;
  return { enc: encodeBase64Url(enc), ciphertext: encodeBase64Url(context.seal(bytes)) };
}

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('upload', () => {
  it('opens the key, stores it sealed with its last 4 characters, and answers without it', async () => {
    const byok = service();
    const view = await byok.upload(owner, { provider: 'openai', ...sealed(PROVIDER_KEY), alwaysUse: true });
    expect(view).toEqual({
      id: expect.stringMatching(/^byok_[0-9a-f]{32}$/) as string,
      object: 'byok_key',
      provider: 'openai',
      last4: 'cdef',
      always_use: true,
      status: 'active',
      created_at: now,
    });
    const [stored] = await store.byok.list(owner);
    expect(JSON.stringify(stored)).not.toContain(PROVIDER_KEY.slice(0, -4));
    expect(JSON.stringify(stored)).not.toContain(Buffer.from(PROVIDER_KEY).toString('base64url').slice(0, 20));
    // Stored: the client's ciphertext, and the build and sealing key it is bound to.
    const sent = sealed(PROVIDER_KEY);
    expect(parseEnvelope(stored?.sealed ?? '')).toMatchObject({
      v: 1,
      alg: 'HPKE-X25519-SHA256-A256GCM',
      measurement: Buffer.from(MEASUREMENT).toString('hex'),
      sealing_key: Buffer.from(sealingPublic).toString('hex'),
    });
    expect(sent.ciphertext).not.toBe(parseEnvelope(stored?.sealed ?? '')?.ct); // fresh HPKE per seal
    expect(await byok.list(owner)).toEqual([view]);
  });

  it('a provider that has no gateway key of its own takes a key; a second upload replaces the first', async () => {
    const byok = service();
    const first = await byok.upload(owner, {
      provider: 'deepseek',
      ...sealed('ds-key-1-aaaaaaaa', { provider: 'deepseek' }),
      alwaysUse: false,
    });
    const second = await byok.upload(owner, {
      provider: 'deepseek',
      ...sealed('ds-key-2-bbbbbbbb', { provider: 'deepseek' }),
      alwaysUse: false,
    });
    expect(second.id).not.toBe(first.id);
    expect((await byok.list(owner)).map((k) => [k.id, k.last4])).toEqual([[second.id, 'bbbb']]);
  });

  it.each([
    ['another SafeRouter key', { keyId: 'key_someone_else' }],
    ['another provider', { provider: 'deepseek' }],
    ['another build', { measurement: OTHER_MEASUREMENT }],
  ])('refuses a key sealed for %s: invalid_ciphertext, nothing stored', async (_what, bind) => {
    const error = await refusal(
      service().upload(owner, { provider: 'openai', ...sealed(PROVIDER_KEY, bind), alwaysUse: false }),
    );
    expect(error).toMatchObject({ statusCode: 400, code: 'invalid_ciphertext', param: 'ciphertext' });
    expect(error.message).toMatch(
      /could not be opened: it was sealed to another build, another SafeRouter key or another provider, or it is corrupted/,
    );
    expect(await store.byok.list(owner)).toEqual([]);
  });

  it('refuses a corrupted ciphertext, an unknown or demo provider, and enc or ciphertext of the wrong size', async () => {
    const byok = service();
    const good = sealed(PROVIDER_KEY);
    const flipped = Buffer.from(good.ciphertext, 'base64url');
    flipped[3] = (flipped[3] as number) ^ 1;
    const cases: [Parameters<Byok['upload']>[1], string, string][] = [
      [
        { provider: 'openai', enc: good.enc, ciphertext: flipped.toString('base64url'), alwaysUse: false },
        'invalid_ciphertext',
        'ciphertext',
      ],
      [{ provider: 'anthropic', ...good, alwaysUse: false }, 'unknown_provider', 'provider'],
      [
        { provider: 'saferouter', ...sealed(PROVIDER_KEY, { provider: 'saferouter' }), alwaysUse: false },
        'unknown_provider',
        'provider',
      ],
      [
        { provider: 'openai', enc: good.enc.slice(0, 40), ciphertext: good.ciphertext, alwaysUse: false },
        'invalid_value',
        'enc',
      ],
      [{ provider: 'openai', enc: good.enc, ciphertext: 'AAAA', alwaysUse: false }, 'invalid_value', 'ciphertext'],
      [
        { provider: 'openai', enc: good.enc, ciphertext: 'A'.repeat(5_600), alwaysUse: false },
        'invalid_value',
        'ciphertext',
      ],
      [
        { provider: 'openai', enc: '!'.repeat(43), ciphertext: good.ciphertext, alwaysUse: false },
        'invalid_value',
        'enc',
      ],
    ];
    for (const [input, code, param] of cases) {
      expect(await refusal(byok.upload(owner, input)), code).toMatchObject({ statusCode: 400, code, param });
    }
    expect(await store.byok.list(owner)).toEqual([]);
  });

  it('refuses a key that opens but could not go in a header, without quoting it', async () => {
    for (const key of [
      'has space-0123456789',
      'line\nbreak-0123456789',
      'ключ-0123456789',
      new Uint8Array([0xff, 0xfe, 0x41]),
    ]) {
      const error = await refusal(service().upload(owner, { provider: 'openai', ...sealed(key), alwaysUse: false }));
      expect(error).toMatchObject({ statusCode: 400, code: 'invalid_provider_key' });
      if (typeof key === 'string') expect(error.message).not.toContain(key.slice(0, 8));
    }
    expect(await store.byok.list(owner)).toEqual([]);
  });

  it('shows 4 characters only of a key of 8 or more', () => {
    expect(lastFour('sk-1234567')).toBe('4567');
    expect(lastFour('abcdefgh')).toBe('efgh');
    expect(lastFour('abcdefg')).toBe('');
  });
});

describe('routing keys', () => {
  it('gives metering the caller’s usable keys, each unsealed when asked', async () => {
    const byok = service();
    await byok.upload(owner, { provider: 'openai', ...sealed(PROVIDER_KEY), alwaysUse: true });
    const keys = await byok.ownKeys(owner);
    expect([...keys.keys()]).toEqual(['openai']);
    expect(keys.get('openai')?.alwaysUse).toBe(true);
    expect(await keys.get('openai')?.credential()).toBe(PROVIDER_KEY);
    expect((await byok.ownKeys('key_nobody')).size).toBe(0);
  });

  it('another replica of the build (the same deployment sealing key) opens it too', async () => {
    await service().upload(owner, { provider: 'openai', ...sealed(PROVIDER_KEY), alwaysUse: false });
    const replica = service();
    expect((await replica.list(owner)).map((k) => k.status)).toEqual(['active']);
    expect(await (await replica.ownKeys(owner)).get('openai')?.credential()).toBe(PROVIDER_KEY);
  });

  it('a key sealed to another sealing key (a lost deployment key) is sealed_to_other_build and unused', async () => {
    await service().upload(owner, { provider: 'openai', ...sealed(PROVIDER_KEY), alwaysUse: true });
    const rekeyed = service({ key: x25519Pair() });
    expect((await rekeyed.list(owner)).map((k) => k.status)).toEqual(['sealed_to_other_build']);
    expect((await rekeyed.ownKeys(owner)).size).toBe(0);
  });

  it('a key sealed by another build is reported sealed_to_other_build and never used', async () => {
    await service().upload(owner, { provider: 'openai', ...sealed(PROVIDER_KEY), alwaysUse: true });
    // The same store, a new build: another measurement.
    const upgraded = service({ measurement: OTHER_MEASUREMENT });
    expect((await upgraded.list(owner)).map((k) => k.status)).toEqual(['sealed_to_other_build']);
    expect((await upgraded.ownKeys(owner)).size).toBe(0);
    // Uploading again (sealed to the new build) makes it active.
    await upgraded.upload(owner, {
      provider: 'openai',
      ...sealed(PROVIDER_KEY, { measurement: OTHER_MEASUREMENT }),
      alwaysUse: false,
    });
    expect((await upgraded.list(owner)).map((k) => k.status)).toEqual(['active']);
    expect(await (await upgraded.ownKeys(owner)).get('openai')?.credential()).toBe(PROVIDER_KEY);
  });

  it('an envelope that fails to open gives no credential, and says so once, without the key', async () => {
    const byok = service();
    await byok.upload(owner, { provider: 'openai', ...sealed(PROVIDER_KEY), alwaysUse: false });
    const [stored] = await store.byok.list(owner);
    const blob = JSON.parse(stored?.sealed ?? '{}') as { ct: string };
    const ct = Buffer.from(blob.ct, 'base64url');
    ct[0] = (ct[0] as number) ^ 1;
    await store.byok.put({
      ...(stored as NonNullable<typeof stored>),
      sealed: JSON.stringify({ ...blob, ct: ct.toString('base64url') }),
    });
    const fresh = service();
    const key = (await fresh.ownKeys(owner)).get('openai');
    expect(await key?.credential()).toBeUndefined();
    expect(await key?.credential()).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/byok: openai key byok_\w+ of key_owner0001 does not open/);
    expect(warnings[0]).not.toContain(PROVIDER_KEY);
  });

  it('a stored envelope moved to another owner or provider (database tampering) does not open there', async () => {
    const byok = service();
    await byok.upload(owner, { provider: 'openai', ...sealed(PROVIDER_KEY), alwaysUse: false });
    const [stored] = await store.byok.list(owner);
    if (stored === undefined) throw new Error('not stored');
    const mallory = 'key_mallory001';
    await store.keys.insert({
      id: mallory,
      name: 'm',
      prefix: 'sk-sr-yyyyyy…',
      hash: 'c'.repeat(64),
      role: 'user',
      createdAt: 1,
    });
    await store.byok.put({ ...stored, id: 'byok_moved', keyId: mallory });
    await store.byok.put({ ...stored, id: 'byok_renamed', provider: 'deepseek' });
    expect(await (await byok.ownKeys(mallory)).get('openai')?.credential()).toBeUndefined();
    expect(await (await byok.ownKeys(owner)).get('deepseek')?.credential()).toBeUndefined();
    expect(await (await byok.ownKeys(owner)).get('openai')?.credential()).toBe(PROVIDER_KEY);
  });

  it('a delete here takes effect at once; on another replica within the cache TTL', async () => {
    const here = service({ cacheTtlMs: 1000 });
    const there = service({ cacheTtlMs: 1000 });
    const view = await here.upload(owner, { provider: 'openai', ...sealed(PROVIDER_KEY), alwaysUse: false });
    expect((await there.ownKeys(owner)).size).toBe(1);
    expect(await here.remove(owner, view.id)).toBe(true);
    expect(await here.remove(owner, view.id)).toBe(false);
    expect((await here.ownKeys(owner)).size).toBe(0);
    expect((await there.ownKeys(owner)).size).toBe(1);
    now += 1001;
    expect((await there.ownKeys(owner)).size).toBe(0);
  });
});
