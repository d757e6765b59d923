/**
 * The sealer: round trips, the documented format opened by an independent implementation (noble
 * HKDF + WebCrypto AES-GCM), every way a blob must refuse to open, the mock's DEMO secret file,
 * and the SEV-SNP sealer over an injected derived key. The real SNP_GET_DERIVED_KEY cannot run
 * here (no SEV-SNP guest): only its failure on a file that is not the device is exercised.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../bytes.js';
import { AttestationError } from '../errors.js';
import { useTempDirs } from '../testing/temp-dir.js';
import { attestDir } from './secure-files.js';
import {
  createKeySealer,
  MOCK_SEAL_SECRET_FILE,
  parseSealedBlob,
  SEAL_SALT,
  sealedBlobToJson,
  SealedToOtherBuildError,
  UnsealError,
  type KeySealer,
  type SealedBlob,
} from './sealing.js';

const tempDir = useTempDirs();
const M1 = new Uint8Array(32).fill(0x11);
const M2 = new Uint8Array(32).fill(0x22);
const SECRET = new TextEncoder().encode('sk-provider-key-0123456789');

const mock = async (dataDir: string, measurement = M1, logs?: string[]): Promise<KeySealer> =>
  createKeySealer({
    backend: 'mock',
    measurement,
    dataDir,
    ...(logs ? { log: (level: string, m: string) => logs.push(`${level}:${m}`) } : {}),
  });

const snp = (derived: Uint8Array, measurement = M1, dataDir = '/nonexistent'): Promise<KeySealer> =>
  createKeySealer({ backend: 'sev-snp', measurement, dataDir, derivedKey: () => derived.slice() });

/** The error `fn` throws. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('did not throw');
}

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');
const unb64url = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64url'));

describe('createKeySealer (mock)', () => {
  it('seals and opens, with a fresh IV each time, as an object or as its JSON text', async () => {
    const sealer = await mock(await tempDir());
    const a = sealer.seal(SECRET, 'byok:key_1');
    const b = sealer.seal(SECRET, 'byok:key_1');
    expect(a).toMatchObject({ v: 1, alg: 'A256GCM', backend: 'mock', measurement: toHex(M1), context: 'byok:key_1' });
    expect(unb64url(a.iv)).toHaveLength(12);
    expect(unb64url(a.ct)).toHaveLength(SECRET.length + 16);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ct).not.toBe(b.ct);
    expect(toHex(sealer.open(a, 'byok:key_1'))).toBe(toHex(SECRET));
    const text = sealedBlobToJson(b);
    expect(Object.keys(JSON.parse(text) as object)).toEqual([
      'v',
      'alg',
      'backend',
      'measurement',
      'context',
      'iv',
      'ct',
    ]);
    expect(toHex(sealer.open(text, 'byok:key_1'))).toBe(toHex(SECRET));
    expect(text).not.toContain(Buffer.from(SECRET).toString('base64url'));
    expect(toHex(sealer.open(sealer.seal(new Uint8Array(0), 'empty'), 'empty'))).toBe('');
  });

  it('is the documented format: noble HKDF + WebCrypto AES-GCM open it with the AAD as specified', async () => {
    const dataDir = await tempDir();
    const sealer = await mock(dataDir);
    const blob = sealer.seal(SECRET, 'identity.signing-ed25519');
    const secretFile = await readFile(join(attestDir(dataDir), MOCK_SEAL_SECRET_FILE), 'utf8');
    const ikm = fromHex(secretFile.split('\n').find((l) => /^[0-9a-f]{64}$/.test(l))!);
    const kek = hkdf(sha256, ikm, new TextEncoder().encode(SEAL_SALT), M1, 32);
    const aad = new TextEncoder().encode(JSON.stringify([1, 'A256GCM', 'mock', toHex(M1), 'identity.signing-ed25519']));
    const key = await crypto.subtle.importKey('raw', kek, 'AES-GCM', false, ['decrypt']);
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: unb64url(blob.iv), additionalData: aad },
      key,
      unb64url(blob.ct),
    );
    expect(toHex(new Uint8Array(plain))).toBe(toHex(SECRET));
  });

  it('keeps a DEMO secret file (0600, says so inside) that a later start reuses, and logs DEMO', async () => {
    const dataDir = await tempDir();
    const logs: string[] = [];
    const first = await mock(dataDir, M1, logs);
    const file = join(attestDir(dataDir), MOCK_SEAL_SECRET_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(attestDir(dataDir))).mode & 0o777).toBe(0o700);
    expect(await readFile(file, 'utf8')).toMatch(/^# SafeRouter MOCK sealing secret: DEMO ONLY, not hardware\./);
    expect(logs).toContain('warn:DEMO: keys sealed under a local secret file, not hardware');
    const blob = first.seal(SECRET, 'x');
    const second = await mock(dataDir);
    expect(toHex(second.open(blob, 'x'))).toBe(toHex(SECRET));
    // Another data dir is another secret: the blob fails authentication there.
    const elsewhere = await mock(await tempDir());
    expect(thrown(() => elsewhere.open(blob, 'x'))).toMatchObject({ reason: 'authentication' });
  });

  it('refuses a corrupt secret file', async () => {
    const dataDir = await tempDir();
    await mock(dataDir);
    await writeFile(join(attestDir(dataDir), MOCK_SEAL_SECRET_FILE), '# DEMO\nnot-hex\n');
    await expect(mock(dataDir)).rejects.toThrow(/is not a mock sealing secret/);
  });
});

describe('opening a blob that must not open', () => {
  it('for another context: refused before decrypting; with the context member edited: authentication', async () => {
    const sealer = await mock(await tempDir());
    const blob = sealer.seal(SECRET, 'byok:key_1');
    const wrong = thrown(() => sealer.open(blob, 'byok:key_2'));
    expect(UnsealError.isInstance(wrong)).toBe(true);
    expect(wrong).toMatchObject({ reason: 'context' });
    expect(wrong.message).toMatch(/sealed for 'byok:key_1', not for 'byok:key_2'/);
    const moved = thrown(() => sealer.open({ ...blob, context: 'byok:key_2' }, 'byok:key_2'));
    expect(moved).toMatchObject({ reason: 'authentication' });
  });

  it.each([
    ['ct', (b: SealedBlob) => ({ ...b, ct: flip(b.ct, 0) })],
    ['tag', (b: SealedBlob) => ({ ...b, ct: flip(b.ct, unb64url(b.ct).length - 1) })],
    ['iv', (b: SealedBlob) => ({ ...b, iv: flip(b.iv, 3) })],
  ])('with a tampered %s: fails authentication', async (_name, tamper) => {
    const sealer = await mock(await tempDir());
    const error = thrown(() => sealer.open(tamper(sealer.seal(SECRET, 'k')), 'k', 'sealed key file /x/y'));
    expect(UnsealError.isInstance(error)).toBe(true);
    expect(error.message).toBe(
      'sealed key file /x/y failed authentication: tampered, or sealed on another chip/secret (mock)',
    );
  });

  it('with the measurement or backend member edited: tampering, not another build', async () => {
    const sealer = await mock(await tempDir());
    const blob = sealer.seal(SECRET, 'k');
    for (const edited of [
      { ...blob, measurement: toHex(M2) },
      { ...blob, backend: 'sev-snp' as const },
    ]) {
      const error = thrown(() => sealer.open(edited, 'k'));
      expect(SealedToOtherBuildError.isInstance(error)).toBe(false);
      expect(error).toMatchObject({ reason: 'authentication' });
      expect(error.message).toMatch(/measurement or backend member was edited/);
    }
  });

  it('sealed under another measurement: SealedToOtherBuildError naming both builds', async () => {
    const dataDir = await tempDir();
    const blob = (await mock(dataDir, M1)).seal(SECRET, 'k');
    const other = await mock(dataDir, M2);
    const e = thrown(() => other.open(blob, 'k'));
    expect(e).toBeInstanceOf(SealedToOtherBuildError);
    expect(SealedToOtherBuildError.isInstance(e)).toBe(true);
    expect(e).toMatchObject({
      sealedMeasurement: toHex(M1),
      currentMeasurement: toHex(M2),
      sealedBackend: 'mock',
      currentBackend: 'mock',
    });
    expect(e.message).toBe(
      'sealed blob was sealed by build 11111111…; this build is 22222222…: it cannot be unsealed here',
    );
  });

  it('sealed on the other backend: SealedToOtherBuildError naming the backends', async () => {
    const blob = (await mock(await tempDir(), M1)).seal(SECRET, 'k');
    const snpSealer = await snp(new Uint8Array(32).fill(0xa1));
    const e = thrown(() => snpSealer.open(blob, 'k'));
    expect(SealedToOtherBuildError.isInstance(e)).toBe(true);
    expect(e.message).toMatch(/sealed by build 11111111… \(mock\); this build is 11111111… \(sev-snp\)/);
  });

  it.each([
    ['not JSON', 'SECRET-{'],
    ['an array', '[1]'],
    ['a missing member', JSON.stringify({ v: 1, alg: 'A256GCM' })],
    ['another version', JSON.stringify({ v: 2 })],
    ['a short iv', 'IV'],
  ])('malformed (%s): UnsealError, never quoting the input', async (name, text) => {
    const sealer = await mock(await tempDir());
    const input =
      name === 'a short iv' ? { ...sealer.seal(SECRET, 'k'), iv: b64url(new Uint8Array(8)) } : (text as string);
    const error = thrown(() => sealer.open(input, 'k', 'the file F'));
    expect(error).toMatchObject({ reason: 'malformed' });
    expect(error.message).toMatch(/^the file F is not a sealed blob/);
    expect(error.message).not.toMatch(/SECRET/);
    expect(() => parseSealedBlob(input)).toThrow(UnsealError);
  });
});

/** `text` (base64url) with one bit of byte `index` flipped. */
function flip(text: string, index: number): string {
  const bytes = unb64url(text);
  bytes[index] = (bytes[index] ?? 0) ^ 1;
  return b64url(bytes);
}

describe('createKeySealer (SEV-SNP, injected derived key)', () => {
  it('derives the KEK from the derived key and the measurement', async () => {
    const chipA = new Uint8Array(32).fill(0xa1);
    const snpSealer = await snp(chipA);
    expect(snpSealer.backend).toBe('sev-snp');
    expect(toHex(snpSealer.measurement)).toBe(toHex(M1));
    const blob = snpSealer.seal(SECRET, 'k');
    expect(blob.backend).toBe('sev-snp');
    // Same chip, launch and build (same derived key, same measurement): it opens.
    expect(toHex((await snp(chipA)).open(blob, 'k'))).toBe(toHex(SECRET));
    // Another chip, or another launch (another derived key), same app measurement: authentication fails.
    const other = await snp(new Uint8Array(32).fill(0xa2));
    const e = thrown(() => other.open(blob, 'k'));
    expect(e).toMatchObject({ reason: 'authentication' });
    expect(e.message).toMatch(/tampered, or sealed on another chip\/secret \(sev-snp\)/);
    // Same chip, another app build: another build.
    const newBuild = await snp(chipA, M2);
    expect(SealedToOtherBuildError.isInstance(thrown(() => newBuild.open(blob, 'k')))).toBe(true);
  });

  it('leaves the caller’s derived key alone and refuses one of the wrong size', async () => {
    const derived = new Uint8Array(32).fill(7);
    await createKeySealer({ backend: 'sev-snp', measurement: M1, dataDir: '/x', derivedKey: () => derived });
    expect(derived.every((b) => b === 7)).toBe(true);
    await expect(
      createKeySealer({
        backend: 'sev-snp',
        measurement: M1,
        dataDir: '/x',
        derivedKey: async () => new Uint8Array(31),
      }),
    ).rejects.toThrow(/the SEV-SNP derived key must be 32 bytes/);
  });

  it.runIf(process.platform === 'linux')(
    'without one, asks the guest device (real FFI; a regular file is not the device: ENOTTY)',
    async () => {
      const dir = await tempDir();
      const device = join(dir, 'sev-guest');
      await writeFile(device, '');
      const error = await createKeySealer({
        backend: 'sev-snp',
        measurement: M1,
        dataDir: dir,
        sevGuestPath: device,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(AttestationError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/SNP_GET_DERIVED_KEY on .* does not support this ioctl/);
      await expect(
        createKeySealer({ backend: 'sev-snp', measurement: M1, dataDir: dir, sevGuestPath: join(dir, 'none') }),
      ).rejects.toThrow(/cannot open/);
    },
  );
});

describe('createKeySealer options', () => {
  it('validates', async () => {
    const dataDir = await tempDir();
    await expect(createKeySealer({ backend: 'tpm' as never, measurement: M1, dataDir })).rejects.toThrow(RangeError);
    await expect(createKeySealer({ backend: 'mock', measurement: new Uint8Array(48), dataDir })).rejects.toThrow(
      /options.measurement must be 32 bytes/,
    );
    await expect(createKeySealer({ backend: 'mock', measurement: M1, dataDir: '' })).rejects.toThrow(RangeError);
    await expect(createKeySealer(null as never)).rejects.toThrow(TypeError);
    const sealer = await mock(dataDir);
    expect(() => sealer.seal('text' as never, 'k')).toThrow(TypeError);
    expect(() => sealer.seal(SECRET, '')).toThrow(RangeError);
    expect(() => sealer.seal(SECRET, 'x'.repeat(257))).toThrow(RangeError);
    expect(() => sealer.open(sealer.seal(SECRET, 'k'), 7 as never)).toThrow(TypeError);
  });
});
