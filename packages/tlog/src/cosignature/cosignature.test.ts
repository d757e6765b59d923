/**
 * Witness cosignatures (c2sp.org/tlog-cosignature, cosignature/v1): the signed message, the
 * timestamped signature layout, verification for configured witnesses only, quorum, tampering.
 */
import { describe, expect, it } from 'vitest';
import { decodeBase64, encodeBase64 } from '../encoding/base64.js';
import { utf8Decode, utf8Encode } from '../encoding/bytes.js';
import { signCheckpoint, openCheckpoint, verifyCheckpoint } from '../checkpoint/signed-checkpoint.js';
import { generateSignerKey, parseSignerKey, parseVerifierKey } from '../note/keys.js';
import { parseNote } from '../note/note.js';
import { addNoteSignatures } from '../note/open.js';
import { SIGNATURE_TYPE_COSIGNATURE_V1, SIGNATURE_TYPE_ED25519 } from '../note/signer.js';
import { COSIGNATURE_V1_SIZE, cosignatureMessage, cosignatureTimestamp, createCosigner } from './cosignature.js';

const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const root = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
const clock = (): number => 1_679_315_147_999;

async function setup() {
  const log = await generateSignerKey('example.com/log', { seed: seed(1) });
  const witness = await createCosigner({ name: 'witness.example/w1', seed: seed(4), clock });
  const note = await signCheckpoint({ origin: 'example.com/log', size: 20852163, rootHash: root, extensions: [] }, [
    log.signer,
  ]);
  return { log, witness, note, cosigned: await addNoteSignatures(note, [witness]) };
}

describe('cosignature/v1', () => {
  it('signs "cosignature/v1\\ntime <t>\\n" + body', () => {
    const body = 'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';
    expect(utf8Decode(cosignatureMessage(1679315147, utf8Encode(body)))).toBe(
      `cosignature/v1\ntime 1679315147\n${body}`,
    );
    expect(() => cosignatureMessage(-1, new Uint8Array())).toThrow(RangeError);
    expect(() => cosignatureMessage(2n ** 63n, new Uint8Array())).toThrow(RangeError);
  });

  it('reads the timestamp of the spec example line (key ID ‖ u64 time ‖ signature)', () => {
    const sig = decodeBase64(
      'jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==',
    );
    expect(sig.length).toBe(4 + COSIGNATURE_V1_SIZE);
    expect(cosignatureTimestamp(sig.subarray(4))).toBe(1679315147);
  });

  it('verifies configured witnesses and reports their timestamps', async () => {
    const { log, witness, cosigned } = await setup();
    const opened = await openCheckpoint(cosigned, {
      verifier: log.verifier,
      witnesses: [witness.verifier],
      witnessQuorum: 1,
    });
    expect(opened.cosignatures).toEqual([{ name: 'witness.example/w1', keyId: witness.keyId, timestamp: 1679315147 }]);
    const line = parseNote(cosigned).signatures[1]!;
    expect(line.signature.length).toBe(COSIGNATURE_V1_SIZE);
  });

  it('ignores unconfigured witnesses, enforces the quorum', async () => {
    const { log, cosigned } = await setup();
    const opened = await openCheckpoint(cosigned, { verifier: log.verifier });
    expect(opened.cosignatures).toEqual([]);
    expect(opened.unverified.map((s) => s.name)).toEqual(['witness.example/w1']);
    const other = await createCosigner({ name: 'witness.example/w2', seed: seed(5) });
    const result = await verifyCheckpoint(cosigned, {
      verifier: log.verifier,
      witnesses: [other.verifier],
      witnessQuorum: 1,
    });
    expect(result.checks).toMatchObject([
      { id: 'checkpoint.signature', ok: true },
      { id: 'checkpoint.body', ok: true },
      { id: 'checkpoint.cosignatures', ok: false },
    ]);
  });

  it('rejects a tampered cosignature, a moved timestamp, and a cosignature of another checkpoint', async () => {
    const { log, witness, note, cosigned } = await setup();
    const options = { verifier: log.verifier, witnesses: [witness.verifier] };
    const lines = cosigned.trimEnd().split('\n');
    const [dash, name, b64] = lines.at(-1)!.split(' ') as [string, string, string];
    for (const at of [5, 11, 40]) {
      const sig = decodeBase64(b64);
      sig[at]! ^= 1; // 5, 11: timestamp bytes; 40: signature bytes
      const tampered = [...lines.slice(0, -1), `${dash} ${name} ${encodeBase64(sig)}`].join('\n') + '\n';
      await expect(openCheckpoint(tampered, options)).rejects.toMatchObject({ code: 'signature' });
    }
    const other = await signCheckpoint({ origin: 'example.com/log', size: 20852164, rootHash: root, extensions: [] }, [
      log.signer,
    ]);
    const transplanted = `${other}${lines.at(-1)!}\n`;
    await expect(openCheckpoint(transplanted, options)).rejects.toMatchObject({ code: 'signature' });
    expect((await openCheckpoint(note, options)).cosignatures).toEqual([]);
  });

  it('keeps the two key types apart: a 0x01 signature by the witness key is not a cosignature', async () => {
    const { log, witness, note } = await setup();
    const plain = await generateSignerKey('witness.example/w1', { seed: seed(4), type: SIGNATURE_TYPE_ED25519 });
    expect(plain.signer.keyId).not.toBe(witness.keyId);
    const opened = await openCheckpoint(await addNoteSignatures(note, [plain.signer]), {
      verifier: log.verifier,
      witnesses: [witness.verifier],
    });
    expect(opened.cosignatures).toEqual([]);
    expect(opened.unverified).toHaveLength(1);
  });

  it('round-trips cosigner keys as vkey / skey strings with type 0x04', async () => {
    const k = await generateSignerKey('witness.example/w3', {
      seed: seed(6),
      type: SIGNATURE_TYPE_COSIGNATURE_V1,
      clock,
    });
    expect(parseVerifierKey(k.vkey).type).toBe(SIGNATURE_TYPE_COSIGNATURE_V1);
    const signer = await parseSignerKey(k.skey, { clock });
    const sig = await signer.sign(utf8Encode('o\n1\nAAAA\n'));
    expect(cosignatureTimestamp(sig)).toBe(1679315147);
    expect(await parseVerifierKey(k.vkey).verify(utf8Encode('o\n1\nAAAA\n'), sig)).toBe(true);
    expect(await parseVerifierKey(k.vkey).verify(utf8Encode('o\n2\nAAAA\n'), sig)).toBe(false);
  });
});
