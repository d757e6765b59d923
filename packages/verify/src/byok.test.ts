/**
 * BYOK, the client side, against a fake gateway built from the real parts (./testing): a key
 * sealed with @hpke/core opens with node:crypto HPKE and the attested identity's X25519 under the
 * same `byokInfo`, and under no other key id, provider or measurement; a mock is refused unless
 * allowed, a failed check refuses to seal, and neither secret reaches an error message or the
 * gateway before verification.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '@saferouter/attest';
import { decodeBase64Url } from '@saferouter/audit';
import { sealProviderKey, uploadProviderKey, type SealedProviderKey } from './byok.js';
import { BYOK_INFO_LABEL, byokInfo } from './byok-info.js';
import { VerifyError } from './errors.js';
import { HttpStatusError } from './http.js';
import { startFakeGateway, type FakeGateway } from './testing/fake-gateway.js';

const API_KEY = 'sk-proj-Zt8q1mV0cXy9-secret-provider-key-Qa7w';
const ALICE = 'sr-test-alice-0123456789';
const BOB = 'sr-test-bob-9876543210';

let gateway: FakeGateway;
const others: FakeGateway[] = [];

beforeAll(async () => {
  gateway = await startFakeGateway();
});
afterAll(async () => {
  await Promise.all([gateway, ...others].map((g) => g.close()));
});

const seal = (g: FakeGateway, extra: Record<string, unknown> = {}): Promise<SealedProviderKey> =>
  sealProviderKey(g.url, { provider: 'openai', apiKey: API_KEY, saferouterKey: ALICE, fetch: g.fetch, ...extra });

/** `fn`'s rejection, for a closer look. */
async function rejection(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

function expectNoSecret(error: Error, ...secrets: string[]): void {
  for (const s of secrets) {
    expect(error.message).not.toContain(s);
    expect(error.stack ?? '').not.toContain(s);
  }
}

describe('byokInfo', () => {
  const measurement = Uint8Array.from({ length: 32 }, (_, i) => i);

  it('is the label, 0x00, the measurement, the key id, 0x00 and the provider', () => {
    const enc = (s: string) => [...new TextEncoder().encode(s)];
    expect([...byokInfo(measurement, 'key_1', 'openai')]).toEqual([
      ...enc('saferouter-byok-v1'),
      0,
      ...measurement,
      ...enc('key_1'),
      0,
      ...enc('openai'),
    ]);
    expect(BYOK_INFO_LABEL).toBe('saferouter-byok-v1');
  });

  it('separates key id and provider, so moving a character between them changes the bytes', () => {
    expect(toHex(byokInfo(measurement, 'key_1o', 'penai'))).not.toBe(toHex(byokInfo(measurement, 'key_1', 'openai')));
  });

  it('refuses malformed arguments with TypeError or RangeError naming them', () => {
    expect(() => byokInfo(new Uint8Array(48), 'k', 'openai')).toThrow(RangeError);
    expect(() => byokInfo('00' as unknown as Uint8Array, 'k', 'openai')).toThrow(TypeError);
    expect(() => byokInfo(measurement, 'key\u0000x', 'openai')).toThrow(/keyId/);
    expect(() => byokInfo(measurement, '', 'openai')).toThrow(RangeError);
    expect(() => byokInfo(measurement, 'k', 'OpenAI')).toThrow(/provider/);
    expect(() => byokInfo(measurement, 'k', 7 as unknown as string)).toThrow(TypeError);
  });
});

describe('sealProviderKey', () => {
  it('seals to the attested key: the gateway opens it under this measurement, key id and provider', async () => {
    const sealed = await seal(gateway, { allowMock: true });
    expect(sealed).toMatchObject({
      provider: 'openai',
      keyId: 'key_a11ce',
      measurement: toHex(gateway.attestor.measurement),
      verdict: 'demo',
    });
    expect(sealed.enc).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(decodeBase64Url(sealed.ciphertext)?.length).toBe(new TextEncoder().encode(API_KEY).length + 16);
    expect(gateway.open(sealed, 'key_a11ce', 'openai')).toBe(API_KEY);
    expect(JSON.stringify(sealed)).not.toContain(API_KEY);
  });

  it('does not open for another key id, provider or measurement, nor when a byte is changed', async () => {
    const sealed = await seal(gateway, { allowMock: true });
    expect(() => gateway.open(sealed, 'key_b0b', 'openai')).toThrow();
    expect(() => gateway.open(sealed, 'key_a11ce', 'anthropic')).toThrow();
    expect(() => gateway.open(sealed, 'key_a11ce', 'openai', new Uint8Array(32).fill(0x43))).toThrow();
    const ct = decodeBase64Url(sealed.ciphertext)!;
    ct[0]! ^= 1;
    const flipped = { ...sealed, ciphertext: Buffer.from(ct).toString('base64url') };
    expect(() => gateway.open(flipped, 'key_a11ce', 'openai')).toThrow();
  });

  it('uses a fresh encapsulated key each time', async () => {
    const [a, b] = await Promise.all([seal(gateway, { allowMock: true }), seal(gateway, { allowMock: true })]);
    expect(a.enc).not.toBe(b.enc);
    expect(gateway.open(b, 'key_a11ce', 'openai')).toBe(API_KEY);
  });

  it('refuses a mock (demo) gateway without allowMock, before sending either key', async () => {
    const g = await startFakeGateway();
    others.push(g);
    const error = await rejection(() => seal(g));
    expect(error).toBeInstanceOf(VerifyError);
    expect((error as VerifyError).code).toBe('demo');
    expect(error.message).toMatch(/DEMO/);
    expect(error.message).toMatch(/nothing is hardware-protected/);
    expect((error as VerifyError).result.verdict).toBe('demo');
    expect(g.requests).not.toContain('GET /v1/key');
  });

  it('refuses when a check fails: a measurement other than the pinned one', async () => {
    const g = await startFakeGateway();
    others.push(g);
    const error = await rejection(() =>
      seal(g, { allowMock: true, expectedMeasurement: toHex(new Uint8Array(32).fill(0x43)) }),
    );
    expect(error).toBeInstanceOf(VerifyError);
    expect((error as VerifyError).code).toBe('measurement');
    expect(g.requests).not.toContain('GET /v1/key');
    // The same gateway, pinned to its real measurement, is sealed to.
    const sealed = await seal(g, { allowMock: true, expectedMeasurement: toHex(g.attestor.measurement) });
    expect(g.open(sealed, 'key_a11ce', 'openai')).toBe(API_KEY);
  });

  it('refuses when a check fails: a host that swaps in its own sealing key fails the binding', async () => {
    const g = await startFakeGateway({
      tamperQuote: (bundle) => {
        bundle['sealingKey'] = toHex(new Uint8Array(32).fill(9));
      },
    });
    others.push(g);
    const error = await rejection(() => seal(g, { allowMock: true }));
    expect(error).toBeInstanceOf(VerifyError);
    expect((error as VerifyError).code).toBe('binding');
    expect(g.requests).not.toContain('GET /v1/key');
  });

  it('refuses a mock with requireHardware even when mocks are allowed', async () => {
    const error = await rejection(() => seal(gateway, { allowMock: true, requireHardware: true }));
    expect((error as VerifyError).code).toBe('hardware');
  });

  it('validates its inputs before any request, never quoting a secret', async () => {
    const g = await startFakeGateway();
    others.push(g);
    const cases: [Record<string, unknown>, ErrorConstructor, RegExp][] = [
      [{ provider: 'OpenAI' }, RangeError, /options\.provider/],
      [{ provider: '' }, RangeError, /options\.provider/],
      [{ provider: undefined }, TypeError, /options\.provider/],
      [{ apiKey: '' }, RangeError, /options\.apiKey/],
      [{ apiKey: API_KEY.repeat(100) }, RangeError, /options\.apiKey must be 1 to 4096 bytes/],
      [{ apiKey: 42 }, TypeError, /options\.apiKey/],
      [{ saferouterKey: undefined }, TypeError, /options\.saferouterKey/],
      [{ saferouterKey: '' }, RangeError, /options\.saferouterKey/],
      [{ saferouterKey: `${ALICE}\r\nx-injected: 1` }, RangeError, /options\.saferouterKey/],
      [{ allowMock: 'yes' }, TypeError, /options\.allowMock/],
      [{ expectedMeasurement: 'zz' }, RangeError, /expectedMeasurement/],
    ];
    for (const [extra, type, message] of cases) {
      const error = await rejection(() => seal(g, { allowMock: true, ...extra }));
      expect(error, JSON.stringify(Object.keys(extra))).toBeInstanceOf(type);
      expect(error.message).toMatch(message);
      expectNoSecret(error, API_KEY, ALICE);
    }
    await expect(sealProviderKey('ftp://x', { provider: 'a', apiKey: 'b', saferouterKey: 'c' })).rejects.toThrow(
      RangeError,
    );
    expect(g.requests).toEqual([]);
  });

  it('fails on a SafeRouter key the gateway rejects, with its message and without the key', async () => {
    const g = await startFakeGateway({ echoRejectedKey: true });
    others.push(g);
    const wrong = 'sr-test-mallory-000000000000';
    const error = await rejection(() => seal(g, { allowMock: true, saferouterKey: wrong }));
    expect(error).toBeInstanceOf(HttpStatusError);
    expect((error as HttpStatusError).status).toBe(401);
    expect(error.message).toMatch(/\/v1\/key answered HTTP 401: Invalid API key '\[redacted\]'/);
    expectNoSecret(error, wrong, API_KEY);
  });
});

describe('uploadProviderKey', () => {
  it('posts the sealed key; the gateway opens it and answers id, provider and last 4', async () => {
    const sealed = await seal(gateway, { allowMock: true });
    const stored = await uploadProviderKey(gateway.url, sealed, {
      saferouterKey: ALICE,
      alwaysUse: true,
      fetch: gateway.fetch,
    });
    expect(stored).toMatchObject({ provider: 'openai', last4: API_KEY.slice(-4), always_use: true });
    expect(stored.id).toMatch(/^byok_/);
    expect(gateway.stored.at(-1)).toMatchObject({ keyId: 'key_a11ce', alwaysUse: true, plaintext: API_KEY });
  });

  it("throws the gateway's error for a key sealed to another caller, or changed", async () => {
    const sealed = await seal(gateway, { allowMock: true });
    const asBob = await rejection(() =>
      uploadProviderKey(gateway.url, sealed, { saferouterKey: BOB, fetch: gateway.fetch }),
    );
    expect(asBob).toBeInstanceOf(HttpStatusError);
    expect((asBob as HttpStatusError).status).toBe(400);
    expect(asBob.message).toMatch(/answered HTTP 400: The sealed key does not open/);
    expectNoSecret(asBob, BOB, API_KEY);

    const otherProvider = await rejection(() =>
      uploadProviderKey(
        gateway.url,
        { ...sealed, provider: 'anthropic' },
        { saferouterKey: ALICE, fetch: gateway.fetch },
      ),
    );
    expect((otherProvider as HttpStatusError).status).toBe(400);
  });

  it('refuses a malformed sealed key or options before sending', async () => {
    const sealed = await seal(gateway, { allowMock: true });
    const before = gateway.requests.length;
    const up = (s: unknown, o: Record<string, unknown> = {}) =>
      rejection(() =>
        uploadProviderKey(gateway.url, s as SealedProviderKey, { saferouterKey: ALICE, fetch: gateway.fetch, ...o }),
      );
    expect(await up({ ...sealed, enc: `${sealed.enc}=` })).toBeInstanceOf(RangeError);
    expect(await up({ ...sealed, enc: sealed.enc.slice(0, 40) })).toBeInstanceOf(RangeError);
    expect(await up({ ...sealed, ciphertext: 'AAAA' })).toBeInstanceOf(RangeError);
    expect(await up({ ...sealed, provider: 'Open AI' })).toBeInstanceOf(RangeError);
    expect(await up(null)).toBeInstanceOf(TypeError);
    expect(await up(sealed, { alwaysUse: 1 })).toBeInstanceOf(TypeError);
    const noKey = await up(sealed, { saferouterKey: undefined });
    expect(noKey).toBeInstanceOf(TypeError);
    expect(gateway.requests.length).toBe(before);
  });
});
