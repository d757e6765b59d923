/**
 * Signed notes against the golang.org/x/mod/sumdb/note vectors in ../shared/vectors/signed-note
 * (byte-for-byte signing, verification, every tampered note rejected), plus the c2sp rules:
 * unknown signers ignored, a failing known signature rejects, no known signature rejects, and
 * malformed notes and keys are refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../encoding/base64.js';
import { TlogError } from '../errors.js';
import { vectorsDir } from '../testing/vectors.js';
import { computeKeyId } from './key-id.js';
import { formatSignerKey, generateSignerKey, parseSignerKey, parseVerifierKey } from './keys.js';
import { formatNote, parseNote, MAX_NOTE_SIGNATURES } from './note.js';
import { addNoteSignatures, openNote, signNote, verifyNote } from './open.js';
import { SIGNATURE_TYPE_ED25519 } from './signer.js';

interface NoteVectors {
  cases: { name: string; skey: string; vkey: string; text: string; signed: string }[];
  tampered: { why: string; signed: string; vkey: string }[];
}
const vectors = JSON.parse(readFileSync(join(vectorsDir(), 'signed-note', 'vectors.json'), 'utf8')) as NoteVectors;

async function expectTlogError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(TlogError.isInstance(error), `expected a TlogError, got ${String(error)}`).toBe(true);
  expect((error as TlogError).code).toBe(code);
}

const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);

describe('signed-note vectors', () => {
  it('has cases and tampered notes', () => {
    expect(vectors.cases.length).toBeGreaterThan(0);
    expect(vectors.tampered.length).toBeGreaterThan(0);
  });

  it.each(vectors.cases)('signs $name byte for byte and verifies it', async (c) => {
    const signer = await parseSignerKey(c.skey);
    expect(signer.verifier.vkey).toBe(c.vkey);
    expect(await signNote(c.text, [signer])).toBe(c.signed);
    const opened = await openNote(c.signed, [parseVerifierKey(c.vkey)]);
    expect(opened.text).toBe(c.text);
    expect(opened.verified.map((s) => s.name)).toEqual([c.name]);
    expect((await openNote(new TextEncoder().encode(c.signed), [parseVerifierKey(c.vkey)])).text).toBe(c.text);
  });

  it.each(vectors.tampered)('rejects a tampered note: $why', async (t) => {
    const verifier = parseVerifierKey(t.vkey);
    await expect(openNote(t.signed, [verifier])).rejects.toThrow();
    const result = await verifyNote(t.signed, [verifier]);
    expect(result.ok).toBe(false);
    expect(result.checks[0]).toMatchObject({ id: 'note.signature', ok: false });
  });
});

describe('signed-note rules', () => {
  const text = 'hello world\n\nsecond paragraph\n';

  it('ignores unknown signers but requires a known one', async () => {
    const a = await generateSignerKey('a.example/log', { seed: seed(1) });
    const b = await generateSignerKey('b.example/log', { seed: seed(2) });
    const note = await signNote(text, [b.signer, a.signer]);
    const opened = await openNote(note, [a.verifier]);
    expect(opened.text).toBe(text);
    expect(opened.verified.map((s) => s.name)).toEqual(['a.example/log']);
    expect(opened.unverified.map((s) => s.name)).toEqual(['b.example/log']);
    await expectTlogError(
      openNote(note, [(await generateSignerKey('c.example/log', { seed: seed(3) })).verifier]),
      'unverified',
    );
  });

  it('treats a key sharing only the name (or only the ID) as unknown', async () => {
    const a = await generateSignerKey('a.example/log', { seed: seed(1) });
    const impostor = await generateSignerKey('a.example/log', { seed: seed(9) });
    const note = await signNote(text, [impostor.signer]);
    await expectTlogError(openNote(note, [a.verifier]), 'unverified');
  });

  it('rejects the whole note when a known key signature fails, even beside a good one', async () => {
    const a = await generateSignerKey('a.example/log', { seed: seed(1) });
    const b = await generateSignerKey('b.example/log', { seed: seed(2) });
    const good = await signNote(text, [a.signer, b.signer]);
    const lines = good.split('\n');
    const bLine = lines.findIndex((l) => l.startsWith('— b.example/log '));
    const sig = decodeBase64(lines[bLine]!.split(' ')[2]!);
    sig[10]! ^= 0x40;
    lines[bLine] = `— b.example/log ${encodeBase64(sig)}`;
    await expectTlogError(openNote(lines.join('\n'), [a.verifier, b.verifier]), 'signature');
    expect((await openNote(lines.join('\n'), [a.verifier])).verified).toHaveLength(1);
  });

  it('rejects a changed text and a duplicated known signature', async () => {
    const a = await generateSignerKey('a.example/log', { seed: seed(1) });
    const note = await signNote(text, [a.signer]);
    await expectTlogError(openNote(note.replace('hello', 'hellO'), [a.verifier]), 'signature');
    const sigLine = note.slice(note.lastIndexOf('—'));
    await expectTlogError(openNote(note + sigLine, [a.verifier]), 'malformed');
  });

  it('adds signatures to a signed note without disturbing the existing ones', async () => {
    const a = await generateSignerKey('a.example/log', { seed: seed(1) });
    const b = await generateSignerKey('b.example/log', { seed: seed(2) });
    const once = await signNote(text, [a.signer]);
    const twice = await addNoteSignatures(once, [b.signer]);
    expect(twice.startsWith(once)).toBe(true);
    expect((await openNote(twice, [a.verifier, b.verifier])).verified).toHaveLength(2);
  });

  it.each([
    ['no blank line', 'text\n— a AAAAAAA=\n'],
    ['no signatures', 'text\n\n'],
    ['no final newline', 'text\n\n— a.example/log AAAAAAA='],
    ['a line without the em dash', 'text\n\n- a.example/log AAAAAAA=\n'],
    ['a signature without a name', 'text\n\n— AAAAAAA=\n'],
    ['invalid base64', 'text\n\n— a.example/log AAAA*AA=\n'],
    ['a signature of 4 bytes', 'text\n\n— a.example/log AAAAAA==\n'],
    ['a control character', 'te\u0007xt\n\n— a.example/log AAAAAAA=\n'],
    ['a carriage return', 'text\r\n\n— a.example/log AAAAAAA=\n'],
    ['a name with +', 'text\n\n— a+b AAAAAAA=\n'],
  ])('rejects a malformed note: %s', async (_why, note) => {
    expect(() => parseNote(note)).toThrow(TlogError);
    await expectTlogError(openNote(note, []), 'malformed');
  });

  it('splits text from signatures at the last blank line', () => {
    const parsed = parseNote('text\n\n— a.example/log AAAAAAA=\n\n— b AAAAAAA=\n');
    expect(parsed.text).toBe('text\n\n— a.example/log AAAAAAA=\n');
    expect(parsed.signatures.map((s) => s.name)).toEqual(['b']);
  });

  it('rejects invalid UTF-8, oversized notes and too many signatures', async () => {
    expect(() => parseNote(new Uint8Array([0x61, 0x0a, 0x0a, 0xff, 0x0a]))).toThrow(/UTF-8/);
    expect(() => parseNote('a'.repeat((1 << 20) + 1))).toThrow(/larger than/);
    const line = '— a.example/log AAAAAAA=\n';
    expect(() => parseNote(`text\n\n${line.repeat(MAX_NOTE_SIGNATURES + 1)}`)).toThrow(/more than 100 signatures/);
    expect(parseNote(`text\n\n${line.repeat(16)}`).signatures).toHaveLength(16);
  });

  it('refuses to sign an invalid text', async () => {
    const a = await generateSignerKey('a.example/log', { seed: seed(1) });
    await expectTlogError(signNote('no newline', [a.signer]), 'malformed');
    await expectTlogError(signNote('bell\u0007\n', [a.signer]), 'malformed');
    await expectTlogError(signNote('lone \ud800 surrogate\n', [a.signer]), 'malformed');
    await expect(signNote('ok\n', [])).rejects.toThrow(RangeError);
    expect(() => formatNote('ok\n', [{ name: 'a', keyId: 2 ** 32, signature: new Uint8Array(1) }])).toThrow(RangeError);
  });
});

describe('note keys', () => {
  const vkey = vectors.cases[0]!.vkey;

  it('computes the key ID from name, type and public key', () => {
    const v = parseVerifierKey(vkey);
    expect(v.keyId).toBe(0xc74f20a3);
    expect(computeKeyId(v.name, SIGNATURE_TYPE_ED25519, v.publicKey)).toBe(0xc74f20a3);
  });

  it('round-trips generated keys', async () => {
    const k = await generateSignerKey('example.com/log');
    expect(k.skey).toMatch(/^PRIVATE\+KEY\+example\.com\/log\+[0-9a-f]{8}\+/);
    expect(parseVerifierKey(k.vkey).keyId).toBe(k.signer.keyId);
    expect((await parseSignerKey(k.skey)).verifier.vkey).toBe(k.vkey);
    expect(await formatSignerKey('example.com/log', SIGNATURE_TYPE_ED25519, seed(5))).toBe(
      (await generateSignerKey('example.com/log', { seed: seed(5) })).skey,
    );
  });

  it.each([
    ['a wrong key ID', vkey.replace('c74f20a3', 'c74f20a4')],
    ['a short key ID', vkey.replace('c74f20a3', 'c74f20a')],
    ['another name', vkey.replace('PeterNeumann', 'PeterNeuman')],
    ['no key material', 'PeterNeumann+c74f20a3+'],
    ['an unsupported type', `PeterNeumann+c74f20a3+${encodeBase64(new Uint8Array([7, ...new Uint8Array(32)]))}`],
    ['a short public key', `PeterNeumann+c74f20a3+${encodeBase64(new Uint8Array([1, 2, 3]))}`],
    ['a name with a space', 'Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'],
  ])('rejects a verifier key with %s', (_why, key) => {
    expect(() => parseVerifierKey(key)).toThrow(TlogError);
  });

  it('rejects malformed signer keys and wrong argument types', async () => {
    const skey = vectors.cases[0]!.skey;
    await expectTlogError(parseSignerKey(skey.replace('PRIVATE+KEY+', 'PRIVATE+KEYS+')), 'malformed');
    await expectTlogError(parseSignerKey(skey.replace('c74f20a3', '00000000')), 'malformed');
    await expect(parseSignerKey(42 as unknown as string)).rejects.toThrow(TypeError);
    expect(() => parseVerifierKey('')).toThrow(RangeError);
  });
});
