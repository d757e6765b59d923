/**
 * The on-disk identity, sealed at rest: creation, modes, reuse, concurrent first start, tampered
 * files, migration from the plaintext files of older versions, and a new build's fresh keys.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { useTempDirs } from '../testing/temp-dir.js';
import {
  attestDir,
  IDENTITY_SEAL_CONTEXTS,
  LEGACY_KEY_FILES,
  loadOrCreateIdentity,
  SEALING_KEY_FILE,
  SIGNING_KEY_FILE,
} from './identity.js';
import { createKeySealer, parseSealedBlob, type KeySealer } from './sealing.js';

const tempDir = useTempDirs();
const M1 = new Uint8Array(32).fill(0x31);
const M2 = new Uint8Array(32).fill(0x32);

const sealerFor = (dataDir: string, measurement = M1): Promise<KeySealer> =>
  createKeySealer({ backend: 'mock', measurement, dataDir });

async function load(dataDir: string, measurement = M1, logs?: string[]) {
  const sealer = await sealerFor(dataDir, measurement);
  return loadOrCreateIdentity(dataDir, {
    sealer,
    ...(logs ? { log: (level: string, m: string) => logs.push(`${level}:${m}`) } : {}),
  });
}

/** The stored ed25519 seed, opened the way the module does (test-only). */
async function storedSeed(dataDir: string, measurement = M1): Promise<Uint8Array> {
  const text = await readFile(join(attestDir(dataDir), SIGNING_KEY_FILE), 'utf8');
  return (await sealerFor(dataDir, measurement)).open(text, IDENTITY_SEAL_CONTEXTS.signing);
}

describe('loadOrCreateIdentity', () => {
  it('creates sealed ed25519 and X25519 keys, mode 0600 in a 0700 directory, and reloads them', async () => {
    const dataDir = await tempDir();
    const logs: string[] = [];
    const a = await load(dataDir, M1, logs);
    expect(logs.filter((m) => m.startsWith('info:created') && m.endsWith('.sealed'))).toHaveLength(2);
    expect(a.origin).toEqual({ signing: 'created', sealing: 'created' });
    for (const [file, context] of [
      [SIGNING_KEY_FILE, IDENTITY_SEAL_CONTEXTS.signing],
      [SEALING_KEY_FILE, IDENTITY_SEAL_CONTEXTS.sealing],
    ] as const) {
      const path = join(attestDir(dataDir), file);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(parseSealedBlob(await readFile(path, 'utf8'))).toMatchObject({
        backend: 'mock',
        measurement: toHex(M1),
        context,
      });
    }
    expect((await stat(attestDir(dataDir))).mode & 0o777).toBe(0o700);
    const b = await load(dataDir);
    expect(b.origin).toEqual({ signing: 'loaded', sealing: 'loaded' });
    expect(toHex(b.signingPublicKey)).toBe(toHex(a.signingPublicKey));
    expect(toHex(b.sealingPublicKey)).toBe(toHex(a.sealingPublicKey));
  });

  it('signs with ed25519 and derives X25519 shared secrets', async () => {
    const id = await load(await tempDir());
    const msg = new TextEncoder().encode('hello');
    expect(ed25519.verify(id.sign(msg), msg, id.signingPublicKey)).toBe(true);
    const peer = x25519.utils.randomSecretKey();
    expect(toHex(id.sealingSharedSecret(x25519.getPublicKey(peer)))).toBe(
      toHex(x25519.getSharedSecret(peer, id.sealingPublicKey)),
    );
    expect(() => id.sealingSharedSecret(new Uint8Array(31))).toThrow(RangeError);
  });

  it('signs exactly as RFC 8032 Ed25519 does for the sealed seed (node:crypto and noble agree)', async () => {
    const dataDir = await tempDir();
    const id = await load(dataDir);
    const seed = await storedSeed(dataDir);
    expect(toHex(ed25519.getPublicKey(seed))).toBe(toHex(id.signingPublicKey));
    for (const text of ['', 'hello', 'x'.repeat(10_000)]) {
      const msg = new TextEncoder().encode(text);
      expect(toHex(id.sign(msg))).toBe(toHex(ed25519.sign(msg, seed)));
    }
  });

  it('two concurrent first starts agree on one key', async () => {
    const dataDir = await tempDir();
    const [a, b] = await Promise.all([load(dataDir), load(dataDir)]);
    expect(toHex(a.signingPublicKey)).toBe(toHex(b.signingPublicKey));
    expect(toHex(a.sealingPublicKey)).toBe(toHex(b.sealingPublicKey));
  });

  it('tightens a loose file mode, and refuses a tampered key file without replacing it', async () => {
    const dataDir = await tempDir();
    await load(dataDir);
    const file = join(attestDir(dataDir), SIGNING_KEY_FILE);
    await chmod(file, 0o644);
    const logs: string[] = [];
    await load(dataDir, M1, logs);
    expect(logs.join()).toMatch(/tightened to 0600/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const blob = parseSealedBlob(await readFile(file, 'utf8'));
    const ct = Buffer.from(blob.ct, 'base64url');
    ct[0]! ^= 0x80;
    const tampered = JSON.stringify({ ...blob, ct: ct.toString('base64url') });
    await writeFile(file, tampered);
    await expect(load(dataDir)).rejects.toThrow(
      new RegExp(
        `^sealed key file ${file} failed authentication: tampered, or sealed on another chip/secret \\(mock\\)\\. Refusing to use it`,
      ),
    );
    expect(await readFile(file, 'utf8')).toBe(tampered);
    await writeFile(file, 'not json');
    await expect(load(dataDir)).rejects.toThrow(/is not a sealed blob \(not JSON\)/);
  });

  it('seals the plaintext key files an older version left, and removes them', async () => {
    const dataDir = await tempDir();
    const dir = attestDir(dataDir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const seed = ed25519.utils.randomSecretKey();
    const scalar = x25519.utils.randomSecretKey();
    await writeFile(join(dir, LEGACY_KEY_FILES.signing), seed, { mode: 0o600 });
    await writeFile(join(dir, LEGACY_KEY_FILES.sealing), scalar, { mode: 0o600 });
    const logs: string[] = [];
    const id = await load(dataDir, M1, logs);
    expect(id.origin).toEqual({ signing: 'migrated', sealing: 'migrated' });
    expect(toHex(id.signingPublicKey)).toBe(toHex(ed25519.getPublicKey(seed)));
    expect(toHex(id.sealingPublicKey)).toBe(toHex(x25519.getPublicKey(scalar)));
    expect((await readdir(dir)).sort()).toEqual(['mock-seal-secret.key', SEALING_KEY_FILE, SIGNING_KEY_FILE].sort());
    expect(
      logs.filter((l) => /^info:sealed the plaintext key .* and removed the plaintext file$/.test(l)),
    ).toHaveLength(2);
    expect(toHex(await storedSeed(dataDir))).toBe(toHex(seed));
    // A corrupt plaintext file is refused as before, and left for the operator.
    const corrupt = await tempDir();
    await mkdir(attestDir(corrupt), { recursive: true });
    await writeFile(join(attestDir(corrupt), LEGACY_KEY_FILES.signing), seed.subarray(0, 10), { mode: 0o600 });
    await expect(load(corrupt)).rejects.toThrow(/holds 10 bytes, expected 32/);
  });

  it('a new build (another measurement) gets fresh keys, keeping the old sealed files', async () => {
    const dataDir = await tempDir();
    const old = await load(dataDir, M1);
    const logs: string[] = [];
    const fresh = await load(dataDir, M2, logs);
    expect(fresh.origin).toEqual({ signing: 'replaced', sealing: 'replaced' });
    expect(toHex(fresh.signingPublicKey)).not.toBe(toHex(old.signingPublicKey));
    expect(toHex(fresh.sealingPublicKey)).not.toBe(toHex(old.sealingPublicKey));
    const warnings = logs.filter((l) => l.startsWith('warn:') && l.includes('sealed by build'));
    expect(warnings).toHaveLength(2);
    for (const w of warnings) {
      expect(w).toContain(`sealed by build ${toHex(M1)} (mock); this build is ${toHex(M2)} (mock)`);
      expect(w).toMatch(/a fresh key replaces it .*; the old sealed file is kept as .*\.sealed\.31313131\.old$/);
    }
    // The old keys are still there, openable by the old build.
    const kept = join(attestDir(dataDir), `${SIGNING_KEY_FILE}.31313131.old`);
    const oldSeed = (await sealerFor(dataDir, M1)).open(await readFile(kept, 'utf8'), IDENTITY_SEAL_CONTEXTS.signing);
    expect(toHex(ed25519.getPublicKey(oldSeed))).toBe(toHex(old.signingPublicKey));
    expect((await stat(kept)).mode & 0o777).toBe(0o600);
    // The new build's keys are stable from then on.
    const again = await load(dataDir, M2);
    expect(again.origin.signing).toBe('loaded');
    expect(toHex(again.signingPublicKey)).toBe(toHex(fresh.signingPublicKey));
  });

  it('two concurrent starts of a new build agree on its fresh keys', async () => {
    const dataDir = await tempDir();
    await load(dataDir, M1);
    const [a, b] = await Promise.all([load(dataDir, M2), load(dataDir, M2)]);
    expect(toHex(a.signingPublicKey)).toBe(toHex(b.signingPublicKey));
    expect(toHex(a.sealingPublicKey)).toBe(toHex(b.sealingPublicKey));
  });

  it('validates dataDir and the sealer', async () => {
    const sealer = await sealerFor(await tempDir());
    await expect(loadOrCreateIdentity('', { sealer })).rejects.toThrow(RangeError);
    await expect(loadOrCreateIdentity(3 as unknown as string, { sealer })).rejects.toThrow(TypeError);
    await expect(loadOrCreateIdentity(await tempDir(), undefined as never)).rejects.toThrow(TypeError);
    await expect(loadOrCreateIdentity(await tempDir(), {} as never)).rejects.toThrow(
      /options.sealer must be an object/,
    );
  });
});
