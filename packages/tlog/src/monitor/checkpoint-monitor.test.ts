/**
 * The checkpoint monitor: equivocation (same size, different roots, same key) and inconsistency
 * (a forked log) are reported with both notes as evidence; honest growth, seen in any order, is
 * accepted; bad checkpoints are never remembered.
 */
import { describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../checkpoint/checkpoint.js';
import { signCheckpoint } from '../checkpoint/signed-checkpoint.js';
import { utf8Encode } from '../encoding/bytes.js';
import { EMPTY_ROOT } from '../merkle/hash.js';
import { generateSignerKey } from '../note/keys.js';
import { parseNote } from '../note/note.js';
import { createAppender, type Appender } from '../tiles/appender.js';
import { createMemoryTileStorage } from '../tiles/memory-storage.js';
import { CheckpointMonitor, compareCheckpoints, type SeenCheckpoint } from './checkpoint-monitor.js';

const key = generateSignerKey('example.com/log', { seed: new Uint8Array(32).fill(11) });
const entry = (i: number, fork = ''): Uint8Array => utf8Encode(`entry ${i}${fork}`);

/** Appends entries one batch per size in `sizes`, returning the checkpoint at each size. */
async function grow(appender: Appender, sizes: number[], fork?: { at: number }): Promise<Map<number, string>> {
  const notes = new Map<number, string>();
  for (const size of sizes) {
    const from = appender.size;
    const batch = Array.from({ length: size - from }, (_, j) =>
      entry(from + j, fork !== undefined && from + j === fork.at ? ' (forked)' : ''),
    );
    notes.set(size, (await appender.append(batch)).checkpoint);
  }
  return notes;
}

const seen = (note: string): SeenCheckpoint => ({ note, checkpoint: parseCheckpoint(parseNote(note).text) });

describe('CheckpointMonitor', () => {
  it('accepts honest growth observed in any order, checking consistency both ways', async () => {
    const { signer, verifier } = await key;
    const appender = await createAppender({ storage: createMemoryTileStorage(), signer });
    const notes = await grow(appender, [10, 15, 20, 300]);
    const monitor = new CheckpointMonitor({ verifier, proveConsistency: (a, b) => appender.consistencyProof(a, b) });
    for (const size of [15, 300, 10, 20, 15]) {
      const result = await monitor.observe(notes.get(size)!);
      expect(result.issues, `size ${size}`).toEqual([]);
      expect(result.ok).toBe(true);
    }
    expect(monitor.seen().map((s) => s.checkpoint.size)).toEqual([10, 15, 20, 300]);
    expect(monitor.latest?.checkpoint.size).toBe(300);
    const last = await monitor.observe(notes.get(20)!);
    expect(last.checks.map((c) => c.id)).toEqual(['checkpoint.signature', 'checkpoint.body', 'monitor.equivocation']);
  });

  it('reports equivocation with both signed checkpoints', async () => {
    const { signer, verifier } = await key;
    const honest = await grow(await createAppender({ storage: createMemoryTileStorage(), signer }), [12]);
    const forked = await grow(await createAppender({ storage: createMemoryTileStorage(), signer }), [12], { at: 3 });
    const monitor = new CheckpointMonitor({ verifier });
    expect((await monitor.observe(honest.get(12)!)).ok).toBe(true);
    const result = await monitor.observe(forked.get(12)!);
    expect(result.ok).toBe(false);
    expect(result.equivocation?.first.note).toBe(honest.get(12));
    expect(result.equivocation?.second.note).toBe(forked.get(12));
    await expect(monitor.assertObserve(forked.get(12)!)).rejects.toMatchObject({ code: 'equivocation' });
    expect(monitor.seen().map((s) => s.note)).toEqual([honest.get(12)]);
  });

  it('reports a checkpoint that is not consistent with an earlier one', async () => {
    const { signer, verifier } = await key;
    const honest = await grow(await createAppender({ storage: createMemoryTileStorage(), signer }), [10]);
    const forkedLog = await createAppender({ storage: createMemoryTileStorage(), signer });
    const forked = await grow(forkedLog, [10, 40], { at: 4 });
    const monitor = new CheckpointMonitor({ verifier, proveConsistency: (a, b) => forkedLog.consistencyProof(a, b) });
    expect((await monitor.observe(honest.get(10)!)).ok).toBe(true);
    const result = await monitor.observe(forked.get(40)!);
    expect(result.ok).toBe(false);
    expect(result.checks.find((c) => c.id === 'monitor.consistency')).toMatchObject({ ok: false });
    expect(result.inconsistency?.older.note).toBe(honest.get(10));
    expect(result.inconsistency?.newer.note).toBe(forked.get(40));
    await expect(monitor.assertObserve(forked.get(40)!)).rejects.toMatchObject({ code: 'inconsistent' });
    expect(monitor.latest?.checkpoint.size).toBe(10);
  });

  it('fails closed when the proof source fails, and ignores badly signed checkpoints', async () => {
    const { signer, verifier } = await key;
    const appender = await createAppender({ storage: createMemoryTileStorage(), signer });
    const notes = await grow(appender, [5, 9]);
    const monitor = new CheckpointMonitor({
      verifier,
      proveConsistency: () => Promise.reject(new Error('log unreachable')),
    });
    expect((await monitor.observe(notes.get(5)!)).ok).toBe(true);
    const result = await monitor.observe(notes.get(9)!);
    expect(result.issues.join()).toMatch(/log unreachable/);
    const other = await generateSignerKey('example.com/log', { seed: new Uint8Array(32).fill(12) });
    const forged = await signCheckpoint(parseCheckpoint(parseNote(notes.get(9)!).text), [other.signer]);
    const rejected = await monitor.observe(forged);
    expect(rejected.checks[0]).toMatchObject({ id: 'checkpoint.signature', ok: false });
    await expect(monitor.assertObserve(forged)).rejects.toMatchObject({ code: 'unverified' });
    expect(monitor.seen()).toHaveLength(1);
  });

  it('detects only equivocation without a proof source', async () => {
    const { signer, verifier } = await key;
    const a = await grow(await createAppender({ storage: createMemoryTileStorage(), signer }), [0, 3]);
    const monitor = new CheckpointMonitor({ verifier });
    expect((await monitor.observe(a.get(0)!)).ok).toBe(true);
    expect((await monitor.observe(a.get(3)!)).ok).toBe(true);
  });
});

describe('compareCheckpoints', () => {
  it('needs the same origin, a proof for different sizes, and the empty root at size 0', async () => {
    const { signer } = await key;
    const appender = await createAppender({ storage: createMemoryTileStorage(), signer });
    const notes = await grow(appender, [0, 4, 8]);
    const four = seen(notes.get(4)!);
    const eight = seen(notes.get(8)!);
    expect(compareCheckpoints(four, eight, await appender.consistencyProof(4, 8)).ok).toBe(true);
    expect(compareCheckpoints(eight, four, await appender.consistencyProof(4, 8)).ok).toBe(true);
    expect(compareCheckpoints(four, eight).issues).toEqual(['no consistency proof from size 4 to 8']);
    expect(compareCheckpoints(seen(notes.get(0)!), eight).ok).toBe(true);
    const badEmpty: SeenCheckpoint = {
      note: '',
      checkpoint: { ...seen(notes.get(0)!).checkpoint, rootHash: four.checkpoint.rootHash },
    };
    expect(compareCheckpoints(badEmpty, eight).ok).toBe(false);
    const otherLog: SeenCheckpoint = { note: '', checkpoint: { ...four.checkpoint, origin: 'other.example/log' } };
    expect(compareCheckpoints(otherLog, eight).checks[0]).toMatchObject({ id: 'monitor.origin', ok: false });
    expect(seen(notes.get(0)!).checkpoint.rootHash).toEqual(EMPTY_ROOT);
  });
});
