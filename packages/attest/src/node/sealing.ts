/**
 * Secrets sealed at rest: AES-256-GCM under a key-encryption key (KEK) that only this build can
 * re-derive.
 *
 *   KEK = HKDF-SHA256(ikm, salt = UTF-8("saferouter-seal-v1"), info = app measurement, 32 bytes)
 *
 * On SEV-SNP, `ikm` is the 32-byte key the AMD secure processor derives (SNP_GET_DERIVED_KEY) from
 * the chip's VCEK root with `SEALING_FIELD_SELECT`: it depends on the chip, the launch MEASUREMENT
 * and the guest POLICY, so only the same launch on the same chip gets it back; the HKDF info adds
 * the app measurement. On the mock backend `ikm` is a random file next to the keys: a DEMO that
 * protects nothing from whoever reads the data dir.
 *
 * A sealed blob is a small JSON document (a file's content, a database column):
 * `{"v":1,"alg":"A256GCM","backend":…,"measurement":"<hex>","context":…,"iv":"<b64url>","ct":"<b64url>"}`,
 * with `ct` = ciphertext ‖ 16-byte tag and AAD = UTF-8(JSON.stringify([v, alg, backend, measurement,
 * context])), so a blob opens only for the purpose (`context`) it was sealed for.
 */
import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import * as v from 'valibot';
import { fromHex, toBase64Url, toHex, utf8 } from '../bytes.js';
import { MEASUREMENT_LENGTH } from '../measurement.js';
import { assertBytes, assertNonEmptyString, assertOptionalFunction, checkObject, isRecord } from '../validate.js';
import { attestDir, createExclusive, readPrivate, type Log } from './secure-files.js';
import { DEFAULT_SEV_GUEST_PATH, SEALING_FIELD_SELECT } from './sev-guest-abi.js';
import { openSevGuest } from './sev-guest-device.js';

/** HKDF salt: names this scheme and its version. */
export const SEAL_SALT = 'saferouter-seal-v1';
/** The mock backend's sealing secret under `<dataDir>/attest/`. DEMO only. */
export const MOCK_SEAL_SECRET_FILE = 'mock-seal-secret.key';

export type SealBackend = 'sev-snp' | 'mock';

const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const KEY_LENGTH = 32;
const MAX_CONTEXT_LENGTH = 256;
const B64URL = /^[A-Za-z0-9_-]*$/;

const SealedBlobSchema = v.object({
  v: v.literal(1, 'v must be 1'),
  alg: v.literal('A256GCM', 'alg must be A256GCM'),
  backend: v.picklist(['mock', 'sev-snp'], "backend must be 'mock' or 'sev-snp'"),
  measurement: v.pipe(
    v.string(),
    v.regex(/^[0-9a-f]*$/, 'measurement must be lowercase hex'),
    v.length(MEASUREMENT_LENGTH * 2, `measurement must be ${MEASUREMENT_LENGTH * 2} hex characters`),
  ),
  context: v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_CONTEXT_LENGTH)),
  iv: v.pipe(v.string(), v.regex(B64URL, 'iv must be base64url'), v.length(16, 'iv must be 12 bytes')),
  ct: v.pipe(v.string(), v.regex(B64URL, 'ct must be base64url'), v.minLength(22, 'ct is shorter than its tag')),
});

/** A sealed secret, as stored (JSON). */
export type SealedBlob = v.InferOutput<typeof SealedBlobSchema>;

export interface KeySealer {
  readonly backend: SealBackend;
  /** The app measurement the KEK is bound to (a copy). */
  readonly measurement: Uint8Array;
  /**
   * Seals `plaintext` for `context` (what it is, e.g. 'identity.signing', 'byok:<id>'), with a
   * fresh random IV.
   *
   * @throws {TypeError | RangeError} when `plaintext` is not bytes or `context` is not a non-empty
   *   string of at most 256 characters.
   */
  seal(plaintext: Uint8Array, context: string): SealedBlob;
  /**
   * Opens a blob (the object or its JSON text) sealed for `context`. `where` names it in errors
   * (default 'sealed blob'), e.g. `sealed key file /var/lib/…`.
   *
   * @throws {SealedToOtherBuildError} when another build (measurement or backend) sealed it.
   * @throws {UnsealError} when it is malformed, was sealed for another context, or fails
   *   authentication (tampered, or sealed on another chip or under another mock secret).
   */
  open(blob: SealedBlob | string, context: string, where?: string): Uint8Array;
}

export interface KeySealerOptions {
  backend: SealBackend;
  /** The app measurement (32 bytes, `computeMeasurement`): the HKDF info. */
  measurement: Uint8Array;
  /** The gateway data dir; the mock secret lives in `<dataDir>/attest/`. */
  dataDir: string;
  /**
   * SEV-SNP only: where the 32-byte derived key comes from. Default: SNP_GET_DERIVED_KEY on
   * `sevGuestPath` with `SEALING_FIELD_SELECT` (VCEK root, policy | measurement, VMPL 0).
   */
  derivedKey?: (() => Promise<Uint8Array> | Uint8Array) | undefined;
  /** SEV-SNP only: the guest device. Default '/dev/sev-guest'. */
  sevGuestPath?: string | undefined;
  log?: Log | undefined;
}

const marker = Symbol.for('saferouter.attest.sealed-to-other-build');
const unsealMarker = Symbol.for('saferouter.attest.unseal-error');

const short = (hex: string): string => `${hex.slice(0, 8)}…`;

/**
 * A blob sealed by another build (another app measurement, or the other backend): this build
 * cannot derive its KEK. Not an attack by itself; callers decide (fresh identity keys, a BYOK key
 * marked `sealed_to_other_build`).
 */
export class SealedToOtherBuildError extends Error {
  readonly [marker] = true;
  /** Hex measurement the blob names. */
  readonly sealedMeasurement: string;
  /** Hex measurement of this build. */
  readonly currentMeasurement: string;
  readonly sealedBackend: SealBackend;
  readonly currentBackend: SealBackend;

  constructor(
    where: string,
    sealed: { measurement: string; backend: SealBackend },
    current: { measurement: string; backend: SealBackend },
  ) {
    const tag = (b: SealBackend) => (sealed.backend === current.backend ? '' : ` (${b})`);
    super(
      `${where} was sealed by build ${short(sealed.measurement)}${tag(sealed.backend)}; this build is ${short(current.measurement)}${tag(current.backend)}: it cannot be unsealed here`,
    );
    this.name = 'SealedToOtherBuildError';
    this.sealedMeasurement = sealed.measurement;
    this.currentMeasurement = current.measurement;
    this.sealedBackend = sealed.backend;
    this.currentBackend = current.backend;
  }

  /** True for this error, also across duplicated copies of the package. */
  static isInstance(error: unknown): error is SealedToOtherBuildError {
    return typeof error === 'object' && error !== null && (error as { [marker]?: unknown })[marker] === true;
  }
}

/** A blob that cannot be opened: malformed, for another context, or failing authentication. */
export class UnsealError extends Error {
  readonly [unsealMarker] = true;
  readonly reason: 'malformed' | 'context' | 'authentication';

  constructor(reason: UnsealError['reason'], message: string) {
    super(message);
    this.name = 'UnsealError';
    this.reason = reason;
  }

  static isInstance(error: unknown): error is UnsealError {
    return (
      typeof error === 'object' && error !== null && (error as { [unsealMarker]?: unknown })[unsealMarker] === true
    );
  }
}

/** The blob as the JSON text to store (members in a fixed order). */
export function sealedBlobToJson(blob: SealedBlob): string {
  const { v: version, alg, backend, measurement, context, iv, ct } = blob;
  return JSON.stringify({ v: version, alg, backend, measurement, context, iv, ct });
}

/**
 * Parses a stored blob (JSON text or object) without opening it.
 *
 * @throws {UnsealError} (reason 'malformed') naming `where`, never quoting the input.
 */
export function parseSealedBlob(input: unknown, where = 'sealed blob'): SealedBlob {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw new UnsealError('malformed', `${where} is not a sealed blob (not JSON)`);
    }
  }
  if (!isRecord(value)) throw new UnsealError('malformed', `${where} is not a sealed blob (not a JSON object)`);
  const parsed = v.safeParse(SealedBlobSchema, value);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
    throw new UnsealError('malformed', `${where} is not a sealed blob (${path ? `${path}: ` : ''}${issue.message})`);
  }
  return parsed.output;
}

function aad(backend: SealBackend, measurementHex: string, context: string): Uint8Array {
  return utf8(JSON.stringify([1, 'A256GCM', backend, measurementHex, context]));
}

function assertContext(context: unknown): asserts context is string {
  assertNonEmptyString(context, 'context');
  if (context.length > MAX_CONTEXT_LENGTH)
    throw new RangeError(`context must be at most ${MAX_CONTEXT_LENGTH} characters`);
}

/** AES-256-GCM decryption; undefined when the tag does not verify. */
function decrypt(kek: KeyObject, iv: Uint8Array, sealed: Uint8Array, additional: Uint8Array): Uint8Array | undefined {
  const decipher = createDecipheriv('aes-256-gcm', kek, iv, { authTagLength: TAG_LENGTH });
  decipher.setAAD(additional);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
  const head = decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH));
  try {
    const joined = Buffer.concat([head, decipher.final()]);
    const plaintext = new Uint8Array(joined);
    joined.fill(0);
    return plaintext;
  } catch {
    return undefined;
  } finally {
    head.fill(0);
  }
}

/** The sealer over the input keying material `ikm`, which is zeroed. */
function sealerFromIkm(backend: SealBackend, measurement: Uint8Array, ikm: Uint8Array): KeySealer {
  const kekBytes = new Uint8Array(hkdfSync('sha256', ikm, utf8(SEAL_SALT), measurement, KEY_LENGTH));
  ikm.fill(0);
  const kek = createSecretKey(kekBytes);
  kekBytes.fill(0);
  const measurementHex = toHex(measurement);
  return {
    backend,
    measurement: measurement.slice(),
    seal(plaintext, context) {
      assertBytes(plaintext, 'plaintext');
      assertContext(context);
      const iv = new Uint8Array(randomBytes(IV_LENGTH));
      const cipher = createCipheriv('aes-256-gcm', kek, iv, { authTagLength: TAG_LENGTH });
      cipher.setAAD(aad(backend, measurementHex, context));
      const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      const blob: SealedBlob = {
        v: 1,
        alg: 'A256GCM',
        backend,
        measurement: measurementHex,
        context,
        iv: toBase64Url(iv),
        ct: toBase64Url(ct),
      };
      ct.fill(0);
      return blob;
    },
    open(input, context, where = 'sealed blob') {
      assertContext(context);
      assertNonEmptyString(where, 'where');
      const blob = parseSealedBlob(input, where);
      const iv = new Uint8Array(Buffer.from(blob.iv, 'base64url'));
      const sealed = new Uint8Array(Buffer.from(blob.ct, 'base64url'));
      if (iv.length !== IV_LENGTH || sealed.length < TAG_LENGTH)
        throw new UnsealError('malformed', `${where} is not a sealed blob (iv or ct has the wrong length)`);
      if (blob.backend !== backend || blob.measurement !== measurementHex) {
        // The measurement and backend members are authenticated only by the AAD. If the blob opens
        // under this build's own values, it was sealed here and someone edited those members.
        if (decrypt(kek, iv, sealed, aad(backend, measurementHex, blob.context)) !== undefined)
          throw new UnsealError(
            'authentication',
            `${where} failed authentication: its measurement or backend member was edited (it was sealed by this build)`,
          );
        throw new SealedToOtherBuildError(where, blob, { measurement: measurementHex, backend });
      }
      if (blob.context !== context)
        throw new UnsealError('context', `${where} was sealed for '${blob.context}', not for '${context}'`);
      const plaintext = decrypt(kek, iv, sealed, aad(backend, measurementHex, context));
      if (plaintext === undefined)
        throw new UnsealError(
          'authentication',
          `${where} failed authentication: tampered, or sealed on another chip/secret (${backend})`,
        );
      return plaintext;
    },
  };
}

const MOCK_SECRET_HEADER = [
  '# SafeRouter MOCK sealing secret: DEMO ONLY, not hardware.',
  '# Every key sealed in this directory opens with this file: whoever reads it can read them all.',
].join('\n');

/** Loads (or makes, 0600) the mock backend's 32-byte secret: a commented text file, hex inside. */
async function loadOrCreateMockSecret(dataDir: string, log: Log | undefined): Promise<Uint8Array> {
  const path = join(attestDir(dataDir), MOCK_SEAL_SECRET_FILE);
  const fresh = new Uint8Array(randomBytes(KEY_LENGTH));
  const created = await createExclusive(path, `${MOCK_SECRET_HEADER}\n${toHex(fresh)}\n`);
  fresh.fill(0);
  if (created) log?.('info', `created ${path} (DEMO sealing secret)`);
  const lines = new TextDecoder()
    .decode(await readPrivate(path, log))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
  const [hex] = lines;
  if (lines.length !== 1 || hex === undefined || !/^[0-9a-f]{64}$/.test(hex))
    throw new Error(`${path} is not a mock sealing secret (one line of 64 hex characters): refusing to use it`);
  return fromHex(hex);
}

async function snpDerivedKey(sevGuestPath: string): Promise<Uint8Array> {
  const device = await openSevGuest(sevGuestPath);
  try {
    return device.getDerivedKey({ fieldSelect: SEALING_FIELD_SELECT, rootKey: 'vcek', vmpl: 0 });
  } finally {
    device.close();
  }
}

/**
 * Builds the sealer for a backend. On SEV-SNP it asks the secure processor for the derived key
 * once, here; on the mock it reads (or makes) `<dataDir>/attest/mock-seal-secret.key` and logs that
 * the keys are sealed under a local file (DEMO).
 *
 * @example
 * const sealer = await createKeySealer({ backend: 'mock', measurement, dataDir });
 * const text = sealedBlobToJson(sealer.seal(secret, 'byok:key_123'));
 * const again = sealer.open(text, 'byok:key_123');
 * @throws {TypeError | RangeError} for malformed options.
 * @throws {AttestationError} (check 'backend') when /dev/sev-guest cannot give a derived key.
 * @throws {Error} when the mock secret file is corrupt.
 */
export async function createKeySealer(options: KeySealerOptions): Promise<KeySealer> {
  checkObject(options, 'options');
  if (options.backend !== 'mock' && options.backend !== 'sev-snp')
    throw new RangeError("options.backend must be 'mock' or 'sev-snp'");
  assertBytes(options.measurement, 'options.measurement', MEASUREMENT_LENGTH);
  assertNonEmptyString(options.dataDir, 'options.dataDir');
  assertOptionalFunction(options.derivedKey, 'options.derivedKey');
  assertOptionalFunction(options.log, 'options.log');
  if (options.sevGuestPath !== undefined) assertNonEmptyString(options.sevGuestPath, 'options.sevGuestPath');
  const measurement = options.measurement.slice();
  if (options.backend === 'mock') {
    const ikm = await loadOrCreateMockSecret(options.dataDir, options.log);
    options.log?.('warn', 'DEMO: keys sealed under a local secret file, not hardware');
    return sealerFromIkm('mock', measurement, ikm);
  }
  if (options.derivedKey !== undefined) {
    const derived = await options.derivedKey();
    assertBytes(derived, 'the SEV-SNP derived key', KEY_LENGTH);
    return sealerFromIkm('sev-snp', measurement, derived.slice());
  }
  // Our own copy from the device: sealerFromIkm zeroes it once the KEK is derived.
  return sealerFromIkm('sev-snp', measurement, await snpDerivedKey(options.sevGuestPath ?? DEFAULT_SEV_GUEST_PATH));
}
