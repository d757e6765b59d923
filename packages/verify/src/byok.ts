/**
 * Bring your own key (BYOK), the client side: a provider API key sealed so that only the attested
 * gateway build can open it. `sealProviderKey` verifies the gateway first (every check, mock
 * refused unless allowed), then seals with HPKE (RFC 9180 base mode: DHKEM(X25519, HKDF-SHA256),
 * HKDF-SHA256, AES-256-GCM, @hpke/core on WebCrypto) to the X25519 sealing key the verified
 * report binds, with the `info` of ./byok-info.ts (the measurement, the caller's key id, the
 * provider). `uploadProviderKey` hands the result to `POST /v1/byok`. Browser-safe.
 *
 * Neither secret (the provider key, the SafeRouter key) is sent anywhere before the verification
 * passed, and neither ever appears in an error message: argument errors name the argument, and
 * a gateway's answer that echoes one is redacted.
 */
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { fromHex } from '@saferouter/attest';
import { decodeBase64Url, encodeBase64Url } from '@saferouter/audit';
import { assertProvider, BYOK_KEY_ID, byokInfo, MAX_PROVIDER_KEY_BYTES } from './byok-info.js';
import { VerifyError } from './errors.js';
import { createHttp, type Http } from './http.js';
import { checkOptions, type VerifyGatewayOptions } from './options.js';
import { assertGateway } from './verify-gateway.js';

export interface SealProviderKeyOptions extends VerifyGatewayOptions {
  /** The provider the key is for (`openai`, `anthropic`, …): 1–64 of `a-z 0-9 . _ -`. */
  readonly provider: string;
  /** The provider API key to seal: 1–4096 UTF-8 bytes. */
  readonly apiKey: string;
  /** The caller's SafeRouter API key: the sealed key is bound to its id (`GET /v1/key`). */
  readonly saferouterKey: string;
  /**
   * Seal to a mock (demo) gateway: for development only. Nothing protects the key in hardware
   * there; whoever runs the host can read it.
   */
  readonly allowMock?: boolean | undefined;
}

/** A sealed provider key, and what it is bound to. */
export interface SealedProviderKey {
  readonly provider: string;
  /** HPKE encapsulated key, base64url without padding (32 bytes). */
  readonly enc: string;
  /** The sealed provider key, base64url without padding (its length plus a 16-byte tag). */
  readonly ciphertext: string;
  /** The SafeRouter key id the ciphertext is bound to. */
  readonly keyId: string;
  /** The attested app measurement the ciphertext is bound to (64 hex). */
  readonly measurement: string;
  /** `demo` when it was sealed to a mock gateway (with `allowMock`). */
  readonly verdict: 'verified' | 'demo';
}

export interface UploadProviderKeyOptions {
  /** The same SafeRouter API key the key was sealed for. */
  readonly saferouterKey: string;
  /** Never fall back to the gateway's own provider key, not even when this one fails retryably. */
  readonly alwaysUse?: boolean | undefined;
  /** The fetch to use (default `globalThis.fetch`). */
  readonly fetch?: typeof globalThis.fetch | undefined;
  /** Timeout of the request, in milliseconds (default 10,000). */
  readonly timeoutMs?: number | undefined;
}

/** `POST /v1/byok`'s answer: at least the stored key's id, its provider and its last 4 characters. */
export interface UploadedProviderKey {
  readonly id: string;
  readonly provider: string;
  readonly last4: string;
  readonly [field: string]: unknown;
}

/** The body of `POST /v1/byok`. */
export interface ByokUploadBody {
  provider: string;
  ciphertext: string;
  enc: string;
  always_use?: boolean;
}

const DEMO_REFUSAL =
  'refusing to seal a provider key to a DEMO gateway: it runs the MOCK attestation backend, not AMD SEV-SNP hardware, so nothing is hardware-protected and whoever runs its host can read the key. Pass allowMock (--allow-mock) to seal to it anyway, for development only.';

const encoder = new TextEncoder();
/** X25519's encapsulated key, and AES-GCM's tag. */
const ENC_LENGTH = 32;
const TAG_LENGTH = 16;

/** Printable ASCII, no spaces: what an `Authorization: Bearer` value can carry unmangled. */
const BEARER = /^[\x21-\x7e]{1,1024}$/;

function assertSaferouterKey(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  // A value fetch would refuse as a header must not reach fetch: its error could quote it.
  if (!BEARER.test(value)) throw new RangeError(`${name} must be 1 to 1024 printable ASCII characters, no spaces`);
}

function assertApiKey(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`);
  const bytes = encoder.encode(value).length;
  if (bytes === 0 || bytes > MAX_PROVIDER_KEY_BYTES)
    throw new RangeError(`${name} must be 1 to ${MAX_PROVIDER_KEY_BYTES} bytes of UTF-8, got ${bytes}`);
}

/** Runs `body`; an error whose message or stack quotes a secret has it replaced by `[redacted]`. */
async function withoutSecrets<T>(secrets: readonly string[], body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof Error)) throw new Error('sealing the provider key failed');
    for (const secret of secrets) {
      error.message = error.message.split(secret).join('[redacted]');
      if (error.stack !== undefined) error.stack = error.stack.split(secret).join('[redacted]');
    }
    throw error;
  }
}

/** The caller's key id, from `GET /v1/key`. */
async function callerKeyId(http: Http, saferouterKey: string): Promise<string> {
  const body = await http.getJson('/v1/key', { authorization: `Bearer ${saferouterKey}` });
  const id = typeof body === 'object' && body !== null ? (body as { id?: unknown }).id : undefined;
  if (typeof id !== 'string' || !BYOK_KEY_ID.test(id))
    throw new Error(`${http.base}/v1/key did not answer a key id (1 to 64 printable ASCII characters in "id")`);
  return id;
}

/** HPKE SetupBaseS + Seal, one message, empty aad. */
async function hpkeSeal(
  recipientPublicKey: Uint8Array,
  info: Uint8Array,
  plaintext: Uint8Array,
): Promise<{ enc: Uint8Array; ciphertext: Uint8Array }> {
  const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
  const sealed = await suite.seal(
    { recipientPublicKey: await suite.kem.deserializePublicKey(recipientPublicKey.slice()), info },
    plaintext,
  );
  return { enc: new Uint8Array(sealed.enc), ciphertext: new Uint8Array(sealed.ct) };
}

/**
 * Verifies the gateway, then seals `apiKey` to the sealing key its attestation binds.
 *
 * @example
 * const sealed = await sealProviderKey('https://router.example.com', {
 *   provider: 'openai',
 *   apiKey: process.env.OPENAI_API_KEY,
 *   saferouterKey: process.env.SAFEROUTER_API_KEY,
 *   expectedMeasurement: '4f1c…', // `pnpm measure` on the source you trust
 * });
 * await uploadProviderKey('https://router.example.com', sealed, { saferouterKey });
 * @throws {TypeError | RangeError} for a malformed argument, before anything is sent; the message
 *   names the argument, never its value.
 * @throws {VerifyError} when a check fails (`code` is its id) or the gateway is a mock without
 *   `allowMock` (`code` `demo`): nothing was sent but the verifier's own requests.
 * @throws {HttpStatusError | UnreachableError | Error} when `GET /v1/key` fails (a rejected
 *   SafeRouter key: HTTP 401).
 */
export async function sealProviderKey(gatewayUrl: string, options: SealProviderKeyOptions): Promise<SealedProviderKey> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const { provider, apiKey, saferouterKey, allowMock, ...verifyOptions } = options;
  assertProvider(provider, 'options.provider');
  assertApiKey(apiKey, 'options.apiKey');
  assertSaferouterKey(saferouterKey, 'options.saferouterKey');
  if (allowMock !== undefined && typeof allowMock !== 'boolean')
    throw new TypeError('options.allowMock must be a boolean');
  checkOptions(gatewayUrl, verifyOptions);

  return withoutSecrets([apiKey, saferouterKey], async () => {
    // Mocks pass here, to be refused below with a sentence about sealing.
    const result = await assertGateway(gatewayUrl, { ...verifyOptions, allowMock: true });
    if (result.verdict === 'demo' && allowMock !== true) throw new VerifyError('demo', DEMO_REFUSAL, result);
    if (result.measurement === undefined || result.sealingKey === undefined)
      throw new VerifyError('binding', 'the verification established no sealing key and measurement', result);
    const http = createHttp(
      result.gateway,
      verifyOptions.timeoutMs ?? 10_000,
      verifyOptions.fetch ?? globalThis.fetch.bind(globalThis),
    );
    const keyId = await callerKeyId(http, saferouterKey);
    const info = byokInfo(fromHex(result.measurement), keyId, provider);
    const sealed = await hpkeSeal(fromHex(result.sealingKey), info, encoder.encode(apiKey));
    return {
      provider,
      enc: encodeBase64Url(sealed.enc),
      ciphertext: encodeBase64Url(sealed.ciphertext),
      keyId,
      measurement: result.measurement,
      verdict: result.verdict === 'verified' ? 'verified' : 'demo',
    };
  });
}

/**
 * The JSON body `POST /v1/byok` takes for a sealed key (what `saferouter-verify seal-key --print` prints).
 *
 * @throws {TypeError | RangeError} when `sealed` is not a sealed provider key.
 */
export function byokUploadBody(
  sealed: Pick<SealedProviderKey, 'provider' | 'enc' | 'ciphertext'>,
  alwaysUse?: boolean,
): ByokUploadBody {
  if (typeof sealed !== 'object' || sealed === null) throw new TypeError('sealed must be an object');
  assertProvider(sealed.provider, 'sealed.provider');
  if (typeof sealed.enc !== 'string') throw new TypeError('sealed.enc must be a string');
  if (decodeBase64Url(sealed.enc)?.length !== ENC_LENGTH)
    throw new RangeError(`sealed.enc must be ${ENC_LENGTH} bytes in unpadded base64url`);
  if (typeof sealed.ciphertext !== 'string') throw new TypeError('sealed.ciphertext must be a string');
  const length = decodeBase64Url(sealed.ciphertext)?.length;
  if (length === undefined || length <= TAG_LENGTH || length > MAX_PROVIDER_KEY_BYTES + TAG_LENGTH)
    throw new RangeError(
      `sealed.ciphertext must be ${TAG_LENGTH + 1} to ${MAX_PROVIDER_KEY_BYTES + TAG_LENGTH} bytes in unpadded base64url`,
    );
  if (alwaysUse !== undefined && typeof alwaysUse !== 'boolean') throw new TypeError('alwaysUse must be a boolean');
  return {
    provider: sealed.provider,
    ciphertext: sealed.ciphertext,
    enc: sealed.enc,
    ...(alwaysUse === undefined ? {} : { always_use: alwaysUse }),
  };
}

/**
 * Stores a sealed key at the gateway: `POST /v1/byok`.
 *
 * @example
 * const stored = await uploadProviderKey(url, sealed, { saferouterKey, alwaysUse: true });
 * stored.last4; // '…x9Qa'
 * @throws {TypeError | RangeError} for a malformed argument, before anything is sent.
 * @throws {HttpStatusError} when the gateway answers outside 2xx; the message carries its own
 *   error message (a key that does not open: 400).
 * @throws {UnreachableError | Error} when it cannot be reached, or does not answer the expected JSON.
 */
export async function uploadProviderKey(
  gatewayUrl: string,
  sealed: Pick<SealedProviderKey, 'provider' | 'enc' | 'ciphertext'>,
  options: UploadProviderKeyOptions,
): Promise<UploadedProviderKey> {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const { saferouterKey, alwaysUse, fetch, timeoutMs } = options;
  assertSaferouterKey(saferouterKey, 'options.saferouterKey');
  if (alwaysUse !== undefined && typeof alwaysUse !== 'boolean')
    throw new TypeError('options.alwaysUse must be a boolean');
  const body = byokUploadBody(sealed, alwaysUse);
  const base = checkOptions(gatewayUrl, { fetch, timeoutMs });

  return withoutSecrets([saferouterKey], async () => {
    const http = createHttp(base, timeoutMs ?? 10_000, fetch ?? globalThis.fetch.bind(globalThis));
    const answer = await http.postJson('/v1/byok', body, { authorization: `Bearer ${saferouterKey}` });
    const a = (typeof answer === 'object' && answer !== null ? answer : {}) as Record<string, unknown>;
    for (const field of ['id', 'provider', 'last4'] as const) {
      if (typeof a[field] !== 'string')
        throw new Error(`${base}/v1/byok answered without a string "${field}": not a stored provider key`);
    }
    return a as UploadedProviderKey;
  });
}
