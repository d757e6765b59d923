/**
 * Checkpoint bodies (c2sp.org/tlog-checkpoint) and checkpoints as signed notes: round trips,
 * every malformed body rejected, tampered checkpoints rejected, the log key required.
 */
import { describe, expect, it } from 'vitest';
import { encodeBase64 } from '../encoding/base64.js';
import { TlogError } from '../errors.js';
import { EMPTY_ROOT } from '../merkle/hash.js';
import { generateSignerKey } from '../note/keys.js';
import { addNoteSignatures, signNote } from '../note/open.js';
import { formatCheckpoint, parseCheckpoint, type Checkpoint } from './checkpoint.js';
import { openCheckpoint, signCheckpoint, verifyCheckpoint } from './signed-checkpoint.js';

const root = Uint8Array.from({ length: 32 }, (_, i) => i);
const body = `example.com/behind-the-sofa\n20852163\n${encodeBase64(root)}\n`;
const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);

describe('checkpoint body', () => {
  it('parses and formats, extensions included', () => {
    const cp = parseCheckpoint(body);
    expect(cp).toMatchObject({ origin: 'example.com/behind-the-sofa', size: 20852163, extensions: [] });
    expect([...cp.rootHash]).toEqual([...root]);
    expect(formatCheckpoint(cp)).toBe(body);
    const ext = `${body}ext one\nextension two\n`;
    expect(parseCheckpoint(ext).extensions).toEqual(['ext one', 'extension two']);
    expect(formatCheckpoint(parseCheckpoint(ext))).toBe(ext);
    expect(parseCheckpoint(`o\n0\n${encodeBase64(EMPTY_ROOT)}\n`).size).toBe(0);
  });

  it.each([
    ['no final newline', body.slice(0, -1)],
    ['two lines', 'origin\n5\n'],
    ['an empty origin', `\n5\n${encodeBase64(root)}\n`],
    ['a leading zero', `o\n05\n${encodeBase64(root)}\n`],
    ['a signed size', `o\n+5\n${encodeBase64(root)}\n`],
    ['an exponent', `o\n1e3\n${encodeBase64(root)}\n`],
    ['a size past 2^53', `o\n9007199254740993\n${encodeBase64(root)}\n`],
    ['a short root', `o\n5\n${encodeBase64(root.subarray(1))}\n`],
    ['a non-canonical root', `o\n5\n${encodeBase64(root).replace('=', '')}\n`],
    ['an empty extension line', `${body}ext\n\n`],
  ])('rejects a body with %s', (_why, text) => {
    expect(() => parseCheckpoint(text)).toThrow(TlogError);
  });

  it('refuses to format invalid fields, naming them', () => {
    const cp: Checkpoint = { origin: 'o', size: 1, rootHash: root, extensions: [] };
    expect(() => formatCheckpoint({ ...cp, origin: 'a\nb' })).toThrow(/checkpoint.origin/);
    expect(() => formatCheckpoint({ ...cp, size: -1 })).toThrow(/checkpoint.size/);
    expect(() => formatCheckpoint({ ...cp, rootHash: root.subarray(2) })).toThrow(
      /checkpoint.rootHash must be 32 bytes/,
    );
    expect(() => formatCheckpoint({ ...cp, extensions: [''] })).toThrow(/checkpoint.extensions\[0\]/);
  });
});

describe('signed checkpoints', () => {
  it('signs and opens with the log key, and rejects tampering', async () => {
    const log = await generateSignerKey('example.com/log', { seed: seed(1) });
    const cp: Checkpoint = { origin: 'example.com/log', size: 12, rootHash: root, extensions: [] };
    const note = await signCheckpoint(cp, [log.signer]);
    const opened = await openCheckpoint(note, { verifier: log.verifier, origin: 'example.com/log' });
    expect(opened.checkpoint.size).toBe(12);
    expect(opened.text).toBe(formatCheckpoint(cp));

    for (const tampered of [
      note.replace('\n12\n', '\n13\n'),
      note.replace(encodeBase64(root), encodeBase64(EMPTY_ROOT)),
      note.replace('example.com/log\n12', 'example.com/lag\n12'),
    ]) {
      const result = await verifyCheckpoint(tampered, { verifier: log.verifier });
      expect(result.ok).toBe(false);
      expect(result.checks[0]).toMatchObject({ id: 'checkpoint.signature', ok: false });
      await expect(openCheckpoint(tampered, { verifier: log.verifier })).rejects.toMatchObject({ code: 'signature' });
    }
  });

  it('requires the log key itself, not just any configured key', async () => {
    const log = await generateSignerKey('example.com/log', { seed: seed(1) });
    const other = await generateSignerKey('other.example/key', { seed: seed(2) });
    const note = await signCheckpoint({ origin: 'example.com/log', size: 1, rootHash: root, extensions: [] }, [
      other.signer,
    ]);
    await expect(openCheckpoint(note, { verifier: log.verifier, witnesses: [other.verifier] })).rejects.toMatchObject({
      code: 'unverified',
    });
  });

  it('checks the origin when asked, and the body format', async () => {
    const log = await generateSignerKey('example.com/log', { seed: seed(1) });
    const note = await signCheckpoint({ origin: 'example.com/log', size: 1, rootHash: root, extensions: [] }, [
      log.signer,
    ]);
    const wrongOrigin = await verifyCheckpoint(note, { verifier: log.verifier, origin: 'example.com/other' });
    expect(wrongOrigin.checks).toMatchObject([
      { id: 'checkpoint.signature', ok: true },
      { id: 'checkpoint.body', ok: false },
    ]);
    const notACheckpoint = await signNote('just some text\n', [log.signer]);
    await expect(openCheckpoint(notACheckpoint, { verifier: log.verifier })).rejects.toMatchObject({
      code: 'malformed',
    });
  });

  it('keeps unknown signatures aside', async () => {
    const log = await generateSignerKey('example.com/log', { seed: seed(1) });
    const stranger = await generateSignerKey('stranger.example/w', { seed: seed(3) });
    const note = await addNoteSignatures(
      await signCheckpoint({ origin: 'example.com/log', size: 1, rootHash: root, extensions: [] }, [log.signer]),
      [stranger.signer],
    );
    const opened = await openCheckpoint(note, { verifier: log.verifier });
    expect(opened.unverified.map((s) => s.name)).toEqual(['stranger.example/w']);
    expect(opened.cosignatures).toEqual([]);
  });
});
