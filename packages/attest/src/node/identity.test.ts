/**
 * The on-disk identity: creation, modes, reuse, concurrent first start, corrupt files.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { readFile, stat, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { useTempDirs } from '../testing/temp-dir.js';
import { attestDir, loadOrCreateIdentity, SEALING_KEY_FILE, SIGNING_KEY_FILE } from './identity.js';

const tempDir = useTempDirs();

describe('loadOrCreateIdentity', () => {
  it('creates ed25519 and X25519 keys with mode 0600 in a 0700 directory, and reloads them', async () => {
    const dataDir = await tempDir();
    const logs: string[] = [];
    const a = await loadOrCreateIdentity(dataDir, (_l, m) => logs.push(m));
    expect(logs.filter((m) => m.startsWith('created'))).toHaveLength(2);
    for (const file of [SIGNING_KEY_FILE, SEALING_KEY_FILE]) {
      const info = await stat(join(attestDir(dataDir), file));
      expect(info.mode & 0o777).toBe(0o600);
      expect(info.size).toBe(32);
    }
    expect((await stat(attestDir(dataDir))).mode & 0o777).toBe(0o700);
    const b = await loadOrCreateIdentity(dataDir);
    expect(toHex(b.signingPublicKey)).toBe(toHex(a.signingPublicKey));
    expect(toHex(b.sealingPublicKey)).toBe(toHex(a.sealingPublicKey));
  });

  it('signs with ed25519 and derives X25519 shared secrets', async () => {
    const id = await loadOrCreateIdentity(await tempDir());
    const msg = new TextEncoder().encode('hello');
    expect(ed25519.verify(id.sign(msg), msg, id.signingPublicKey)).toBe(true);
    const peer = x25519.utils.randomSecretKey();
    expect(toHex(id.sealingSharedSecret(x25519.getPublicKey(peer)))).toBe(
      toHex(x25519.getSharedSecret(peer, id.sealingPublicKey)),
    );
    expect(() => id.sealingSharedSecret(new Uint8Array(31))).toThrow(RangeError);
  });

  it('signs exactly as RFC 8032 Ed25519 does for the stored seed (node:crypto and noble agree)', async () => {
    const dataDir = await tempDir();
    const id = await loadOrCreateIdentity(dataDir);
    const seed = new Uint8Array(await readFile(id.files.signing));
    for (const text of ['', 'hello', 'x'.repeat(10_000)]) {
      const msg = new TextEncoder().encode(text);
      expect(toHex(id.sign(msg))).toBe(toHex(ed25519.sign(msg, seed)));
    }
  });

  it('two concurrent first starts agree on one key', async () => {
    const dataDir = await tempDir();
    const [a, b] = await Promise.all([loadOrCreateIdentity(dataDir), loadOrCreateIdentity(dataDir)]);
    expect(toHex(a.signingPublicKey)).toBe(toHex(b.signingPublicKey));
  });

  it('tightens a loose file mode and refuses a corrupt key file', async () => {
    const dataDir = await tempDir();
    await loadOrCreateIdentity(dataDir);
    const file = join(attestDir(dataDir), SIGNING_KEY_FILE);
    await chmod(file, 0o644);
    const warnings: string[] = [];
    await loadOrCreateIdentity(dataDir, (level, m) => level === 'warn' && warnings.push(m));
    expect(warnings.join()).toMatch(/tightened to 0600/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await writeFile(file, (await readFile(file)).subarray(0, 10));
    await expect(loadOrCreateIdentity(dataDir)).rejects.toThrow(/expected 32/);
  });

  it('validates dataDir', async () => {
    await expect(loadOrCreateIdentity('')).rejects.toThrow(RangeError);
    await expect(loadOrCreateIdentity(3 as unknown as string)).rejects.toThrow(TypeError);
  });
});
