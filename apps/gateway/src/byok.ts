/**
 * Bring your own key (BYOK), the gateway's side: provider keys that a client sealed to this
 * attested build (`sealProviderKey` in @saferouter/verify), checked here, stored still sealed, and
 * opened for metering one call at a time.
 *
 * - Upload: the HPKE ciphertext (RFC 9180 base mode, X25519 / HKDF-SHA256 / AES-256-GCM) is opened
 *   with the attested X25519 sealing key and the `info` of @saferouter/verify/byok-info (this
 *   build's measurement, the caller's key id, the provider), so a ciphertext made for another
 *   build, key or provider does not open. The key is checked (a usable header value), then
 *   dropped: what is stored is the client's own ciphertext, in an envelope naming the measurement
 *   and the sealing key it is bound to, and the last 4 characters.
 * - Why the client's ciphertext and not a re-seal under the attestor's KeySealer: the sealer's KEK
 *   is bound to the chip (SEV-SNP) or to one data dir (mock), so a key re-sealed on one replica
 *   would open on no other. The HPKE ciphertext opens with the sealing key, which replicas of one
 *   build share (attested key release, docs/attestation.md §14) and each keeps sealed at rest
 *   under its KEK: at rest the key needs that attested key, on any replica of the build.
 * - Status: an envelope bound to another measurement or another sealing key (an upgrade, a new
 *   catalog, a lost deployment key) is `sealed_to_other_build` (no decryption needed): it is never
 *   used, the gateway's key serves as if there were none, and its owner must upload it again.
 * - Use: `ownKeys(keyId)` gives metering the caller's usable keys; each is opened only when an
 *   attempt starts (`OwnKey.credential`), and the string goes no further than that upstream call.
 *   The owner's list is cached for `cacheTtlMs` (default 1 s), which bounds how long a key deleted
 *   on another replica keeps being used here; an upload or delete on this replica takes effect at
 *   once.
 *
 * Nothing here logs, returns or throws a plaintext key: errors name the field, never its value.
 */
import { toHex } from '@saferouter/attest';
import { decodeBase64Url } from '@saferouter/audit';
import type { CatalogProvider, OwnKey } from '@saferouter/router';
import { timeOrderedId, type ByokKeyRecord, type Store } from '@saferouter/store';
import { byokInfo, MAX_PROVIDER_KEY_BYTES } from '@saferouter/verify/byok-info';
import { ApiError } from './errors.js';

/** Whether a stored key can be used by this build. */
export type ByokStatus = 'active' | 'sealed_to_other_build';

/** A stored key as its owner may see it: never the key, never its sealed blob. */
export interface ByokKeyView {
  id: string;
  object: 'byok_key';
  provider: string;
  /** The last 4 characters of the key; empty for a key shorter than 8, which 4 would give away. */
  last4: string;
  always_use: boolean;
  status: ByokStatus;
  created_at: number;
}

export interface ByokUpload {
  provider: string;
  /** HPKE `enc` and ciphertext, unpadded base64url. */
  enc: string;
  ciphertext: string;
  alwaysUse: boolean;
}

export interface ByokOptions {
  store: Pick<Store, 'byok'>;
  /** This build's app measurement (32 bytes): what a key is sealed to, with the sealing key. */
  measurement: Uint8Array;
  /** The X25519 sealing key attestations bind now (a replica adopts the deployment's at start). */
  sealingPublicKey(): Uint8Array;
  /**
   * HPKE (RFC 9180 base mode) open of one message to the attested sealing key: throws when it
   * does not open.
   */
  open(enc: Uint8Array, ciphertext: Uint8Array, info: Uint8Array): Uint8Array;
  /** The catalog's providers: a key can only be brought for one of them (not a demo). */
  providers(): readonly CatalogProvider[];
  clock: () => number;
  /** How long an owner's stored keys are cached for routing; default 1000 ms. */
  cacheTtlMs?: number | undefined;
  /** Where a key that cannot be opened is reported (never with the key). */
  warn?: ((message: string) => void) | undefined;
}

export interface Byok {
  /**
   * Opens and checks a provider key for `keyId`, and stores it sealed, replacing its earlier key
   * for the same provider.
   *
   * @throws {ApiError} 400 `unknown_provider`, `invalid_value` (enc or ciphertext of the wrong
   *   size), `invalid_ciphertext` (does not open here), `invalid_provider_key` (not a usable key).
   */
  upload(keyId: string, input: ByokUpload): Promise<ByokKeyView>;
  /** The owner's keys, by provider. */
  list(keyId: string): Promise<ByokKeyView[]>;
  /** Deletes one of the owner's keys; false when the owner has none with this id. */
  remove(keyId: string, id: string): Promise<boolean>;
  /** The owner's usable keys by provider, for metering (see the file header). */
  ownKeys(keyId: string): Promise<ReadonlyMap<string, OwnKey>>;
}

/**
 * A stored key (the `sealed` column): the client's HPKE ciphertext and what it is bound to.
 * `{"v":1,"alg":"HPKE-X25519-SHA256-A256GCM","measurement":<hex>,"sealing_key":<hex>,"enc":<b64url>,"ct":<b64url>}`
 */
export interface ByokEnvelope {
  v: 1;
  alg: typeof ENVELOPE_ALG;
  /** The app measurement the HPKE `info` binds (64 hex). */
  measurement: string;
  /** The X25519 sealing key it was sealed to (64 hex). */
  sealing_key: string;
  enc: string;
  ct: string;
}

const ENVELOPE_ALG = 'HPKE-X25519-SHA256-A256GCM';
const ENC_LENGTH = 32;
const TAG_LENGTH = 16;
/** What an `Authorization: Bearer` header carries unmangled: printable ASCII, no space. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;
const HEX32 = /^[0-9a-f]{64}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;
const MAX_CACHE = 10_000;
const NONE: ReadonlyMap<string, OwnKey> = new Map();

const invalid = (code: string, message: string, param?: string): ApiError =>
  new ApiError(400, 'invalid_request_error', code, message, {}, param);

/** The envelope of a stored key, or undefined when the text is not one. */
export function parseEnvelope(text: string): ByokEnvelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const e = value as Record<string, unknown>;
  const ok =
    e['v'] === 1 &&
    e['alg'] === ENVELOPE_ALG &&
    typeof e['measurement'] === 'string' &&
    HEX32.test(e['measurement']) &&
    typeof e['sealing_key'] === 'string' &&
    HEX32.test(e['sealing_key']) &&
    typeof e['enc'] === 'string' &&
    B64URL.test(e['enc']) &&
    typeof e['ct'] === 'string' &&
    B64URL.test(e['ct']);
  return ok ? (e as unknown as ByokEnvelope) : undefined;
}

/** The last 4 characters of a key of 8 or more; shorter keys show nothing. */
export function lastFour(key: string): string {
  return key.length >= 8 ? key.slice(-4) : '';
}

/**
 * @example
 * const byok = createByok({ store, measurement: attestor.measurement, sealingPublicKey: () => attestor.sealingPublicKey, open, providers: () => catalog.providers(), clock: Date.now });
 * createMeteredChat({ …, byok: (keyId) => byok.ownKeys(keyId) });
 */
export function createByok(options: ByokOptions): Byok {
  const { store, clock } = options;
  const measurement = options.measurement.slice();
  const measurementHex = toHex(measurement);
  const ttl = options.cacheTtlMs ?? 1000;
  const cache = new Map<string, { records: ByokKeyRecord[]; expires: number }>();
  const warned = new Set<string>();

  function statusOf(sealed: string): ByokStatus {
    const envelope = parseEnvelope(sealed);
    return envelope !== undefined &&
      envelope.measurement === measurementHex &&
      envelope.sealing_key === toHex(options.sealingPublicKey())
      ? 'active'
      : 'sealed_to_other_build';
  }

  const view = (r: ByokKeyRecord): ByokKeyView => ({
    id: r.id,
    object: 'byok_key',
    provider: r.provider,
    last4: r.last4,
    always_use: r.alwaysUse,
    status: statusOf(r.sealed),
    created_at: r.createdAt,
  });

  function decode(value: string, param: string, min: number, max: number, what: string): Uint8Array {
    const bytes = decodeBase64Url(value);
    if (bytes === undefined || bytes.length < min || bytes.length > max)
      throw invalid('invalid_value', `Invalid parameter '${param}': ${what}, in unpadded base64url.`, param);
    return bytes;
  }

  /** Opens a ciphertext bound to (this build, `keyId`, `provider`); throws when it does not open. */
  function openKey(enc: Uint8Array, ciphertext: Uint8Array, keyId: string, provider: string): Uint8Array {
    return options.open(enc, ciphertext, byokInfo(measurement, keyId, provider));
  }

  async function records(keyId: string): Promise<ByokKeyRecord[]> {
    const now = clock();
    const hit = cache.get(keyId);
    if (hit !== undefined && hit.expires > now) return hit.records;
    const fresh = await store.byok.list(keyId);
    if (cache.size >= MAX_CACHE) cache.clear();
    cache.set(keyId, { records: fresh, expires: now + ttl });
    return fresh;
  }

  /** The plaintext of one stored key, for one call; undefined (reported once) when it does not open. */
  function unseal(record: ByokKeyRecord): string | undefined {
    let bytes: Uint8Array | undefined;
    try {
      const envelope = parseEnvelope(record.sealed);
      const enc = envelope === undefined ? undefined : decodeBase64Url(envelope.enc);
      const ct = envelope === undefined ? undefined : decodeBase64Url(envelope.ct);
      if (enc === undefined || ct === undefined) throw new Error('it is not a sealed key envelope');
      bytes = openKey(enc, ct, record.keyId, record.provider);
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (error) {
      if (!warned.has(record.id)) {
        warned.add(record.id);
        // Messages from HPKE and the envelope check name no content.
        options.warn?.(
          `byok: ${record.provider} key ${record.id} of ${record.keyId} does not open, the gateway's key serves: ${(error as Error).message}`,
        );
      }
      return undefined;
    } finally {
      bytes?.fill(0);
    }
  }

  return {
    async upload(keyId, input) {
      const provider = options.providers().find((p) => p.id === input.provider);
      if (provider === undefined || provider.kind === 'demo')
        throw invalid(
          'unknown_provider',
          `Invalid parameter 'provider': this gateway has no provider '${input.provider}' that takes a key (GET /v1/models lists them).`,
          'provider',
        );
      const enc = decode(input.enc, 'enc', ENC_LENGTH, ENC_LENGTH, `must be ${ENC_LENGTH} bytes`);
      const ciphertext = decode(
        input.ciphertext,
        'ciphertext',
        TAG_LENGTH + 1,
        MAX_PROVIDER_KEY_BYTES + TAG_LENGTH,
        `must be ${TAG_LENGTH + 1} to ${MAX_PROVIDER_KEY_BYTES + TAG_LENGTH} bytes`,
      );
      // Read once, so the envelope names the key the ciphertext was opened with.
      const sealingKey = toHex(options.sealingPublicKey());
      let plaintext: Uint8Array;
      try {
        plaintext = openKey(enc, ciphertext, keyId, provider.id);
      } catch {
        throw invalid(
          'invalid_ciphertext',
          'The sealed key could not be opened: it was sealed to another build, another SafeRouter key or another provider, or it is corrupted. Seal it again (sealProviderKey, or saferouter-verify seal-key) against this gateway.',
          'ciphertext',
        );
      }
      let last4: string;
      try {
        let key = '';
        try {
          key = new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
        } catch {
          // Not UTF-8: refused below like any other unusable key.
        }
        if (key.length === 0 || key.length > MAX_PROVIDER_KEY_BYTES || !HEADER_SAFE.test(key))
          throw invalid(
            'invalid_provider_key',
            `The sealed key opened, but it is not a provider key this gateway can send: it must be 1 to ${MAX_PROVIDER_KEY_BYTES} printable ASCII characters without spaces.`,
            'ciphertext',
          );
        last4 = lastFour(key);
      } finally {
        plaintext.fill(0);
      }
      const envelope: ByokEnvelope = {
        v: 1,
        alg: ENVELOPE_ALG,
        measurement: measurementHex,
        sealing_key: sealingKey,
        enc: input.enc,
        ct: input.ciphertext,
      };
      const stored = await store.byok.put({
        id: timeOrderedId('byok'),
        keyId,
        provider: provider.id,
        sealed: JSON.stringify(envelope),
        last4,
        alwaysUse: input.alwaysUse,
        createdAt: clock(),
      });
      cache.delete(keyId);
      return view(stored);
    },

    async list(keyId) {
      return (await store.byok.list(keyId)).map(view);
    },

    async remove(keyId, id) {
      const removed = await store.byok.delete(keyId, id);
      cache.delete(keyId);
      return removed;
    },

    async ownKeys(keyId) {
      const stored = await records(keyId);
      if (stored.length === 0) return NONE;
      const keys = new Map<string, OwnKey>();
      for (const record of stored) {
        // A key sealed to another build (or sealing key) is not used at all: as if there were none.
        if (statusOf(record.sealed) !== 'active') continue;
        keys.set(record.provider, {
          alwaysUse: record.alwaysUse,
          credential: () => Promise.resolve(unseal(record)),
        });
      }
      return keys;
    },
  };
}
