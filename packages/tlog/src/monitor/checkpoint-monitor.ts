/**
 * Watches the checkpoints one log publishes and reports split views. Two different checkpoints
 * of the same size signed by the log key are equivocation (both notes are returned as evidence);
 * a checkpoint whose tree is not an extension of (or prefix of) one seen before is an
 * inconsistency (both notes and the failed proof are returned). Consistency is checked against
 * the nearest smaller and nearest larger checkpoint seen, with proofs from `proveConsistency`
 * (e.g. `appender.consistencyProof` or a tile-backed reader); without it only equivocation is
 * detected. `compareCheckpoints` is the pure core.
 */
import { checkCheckpoint, type OpenCheckpointOptions, type OpenedCheckpoint } from '../checkpoint/signed-checkpoint.js';
import type { Checkpoint } from '../checkpoint/checkpoint.js';
import { bytesEqual, utf8Decode } from '../encoding/bytes.js';
import { encodeBase64 } from '../encoding/base64.js';
import { assertConsistency } from '../merkle/consistency.js';
import { EMPTY_ROOT } from '../merkle/hash.js';
import { assertFunction, checkObject } from '../validate.js';
import { CheckList, errorMessage, failure, type Verification } from '../verification.js';

/** Produces a consistency proof from `size1` to `size2` (0 < size1 < size2). */
export type ConsistencyProver = (size1: number, size2: number) => Promise<readonly Uint8Array[]>;

export interface SeenCheckpoint {
  readonly note: string;
  readonly checkpoint: Checkpoint;
}

export interface CheckpointComparison extends Verification {
  /** Set when the two are different checkpoints of the same size: the evidence. */
  readonly equivocation?: { readonly first: SeenCheckpoint; readonly second: SeenCheckpoint };
  /** Set when the consistency proof between them fails: the evidence. */
  readonly inconsistency?: {
    readonly older: SeenCheckpoint;
    readonly newer: SeenCheckpoint;
    readonly proof: readonly Uint8Array[];
  };
}

/**
 * Compares two checkpoints of one log (already signature-checked). Checks: `monitor.origin`, then
 * `monitor.equivocation` (same size) or `monitor.consistency` (different sizes; needs `proof`
 * unless the smaller tree is empty).
 *
 * @example
 * const result = compareCheckpoints(seen, incoming, await appender.consistencyProof(seen.checkpoint.size));
 * if (result.equivocation) publish(result.equivocation);
 */
export function compareCheckpoints(
  first: SeenCheckpoint,
  second: SeenCheckpoint,
  proof?: readonly Uint8Array[],
): CheckpointComparison {
  const checks = new CheckList();
  const a = first.checkpoint;
  const b = second.checkpoint;
  if (a.origin !== b.origin) {
    checks.fail('monitor.origin', `checkpoints are for different logs (${a.origin}, ${b.origin})`);
    return checks.result();
  }
  if (a.size === b.size) {
    if (bytesEqual(a.rootHash, b.rootHash)) {
      checks.pass('monitor.equivocation', `both checkpoints at size ${a.size} have root ${encodeBase64(a.rootHash)}`);
      return checks.result();
    }
    checks.fail('monitor.equivocation', `equivocation: two different checkpoints of size ${a.size} signed by the log`);
    return { ...checks.result(), equivocation: { first, second } };
  }
  const [older, newer] = a.size < b.size ? [first, second] : [second, first];
  const o = older.checkpoint;
  const n = newer.checkpoint;
  if (o.size === 0) {
    if (bytesEqual(o.rootHash, EMPTY_ROOT))
      checks.pass('monitor.consistency', 'the empty tree is a prefix of every tree');
    else checks.fail('monitor.consistency', 'checkpoint of size 0 does not carry the empty tree root');
    return checks.result();
  }
  if (proof === undefined) {
    checks.fail('monitor.consistency', `no consistency proof from size ${o.size} to ${n.size}`);
    return checks.result();
  }
  try {
    assertConsistency({ size1: o.size, size2: n.size, proof, rootHash1: o.rootHash, rootHash2: n.rootHash });
    checks.pass('monitor.consistency', `size ${o.size} is a prefix of size ${n.size}`);
    return checks.result();
  } catch (error) {
    checks.fail('monitor.consistency', `inconsistent: ${errorMessage(error)}`);
    return { ...checks.result(), inconsistency: { older, newer, proof } };
  }
}

export interface CheckpointMonitorOptions extends OpenCheckpointOptions {
  readonly proveConsistency?: ConsistencyProver;
}

export interface MonitorVerification extends CheckpointComparison {
  readonly checkpoint?: OpenedCheckpoint;
}

/**
 * @example
 * const monitor = new CheckpointMonitor({ verifier, proveConsistency: (a, b) => appender.consistencyProof(a, b) });
 * const result = await monitor.observe(await fetchCheckpoint());
 * if (result.equivocation) alarm(result.equivocation.first.note, result.equivocation.second.note);
 */
export class CheckpointMonitor {
  readonly #options: CheckpointMonitorOptions;
  readonly #seen = new Map<number, SeenCheckpoint>();

  /**
   * @throws {TypeError} when an option has the wrong type.
   */
  constructor(options: CheckpointMonitorOptions) {
    checkObject(options, 'options');
    checkObject(options.verifier, 'options.verifier');
    if (options.proveConsistency !== undefined) assertFunction(options.proveConsistency, 'options.proveConsistency');
    this.#options = options;
  }

  /** Every checkpoint accepted so far, by increasing size. */
  seen(): SeenCheckpoint[] {
    return [...this.#seen.values()].sort((x, y) => x.checkpoint.size - y.checkpoint.size);
  }

  /** The largest checkpoint accepted so far. */
  get latest(): SeenCheckpoint | undefined {
    return this.seen().at(-1);
  }

  /**
   * Verifies a checkpoint and compares it with those seen. Never throws on bad data; a checkpoint
   * is remembered only when every check passes, so the first view seen stays the reference.
   */
  async observe(note: string | Uint8Array): Promise<MonitorVerification> {
    return (await this.#observe(note)).result;
  }

  /**
   * `observe` that throws instead of reporting.
   *
   * @throws {TlogError} `equivocation`, `inconsistent`, or the checkpoint's own verification error.
   */
  async assertObserve(note: string | Uint8Array): Promise<OpenedCheckpoint> {
    const { result, firstError } = await this.#observe(note);
    if (result.ok && result.checkpoint !== undefined) return result.checkpoint;
    if (result.equivocation !== undefined) throw failure(result, undefined, 'equivocation');
    throw failure(result, firstError, 'inconsistent');
  }

  async #observe(note: string | Uint8Array): Promise<{ result: MonitorVerification; firstError: unknown }> {
    const checks = new CheckList();
    const opened = await checkCheckpoint(note, this.#options, checks);
    if (opened === undefined) return { result: checks.result(), firstError: checks.firstError };
    const incoming: SeenCheckpoint = {
      note: typeof note === 'string' ? note : utf8Decode(note),
      checkpoint: opened.checkpoint,
    };
    const size = opened.checkpoint.size;
    const seen = this.seen();
    const same = this.#seen.get(size);
    const neighbours =
      same !== undefined
        ? [same]
        : [seen.filter((s) => s.checkpoint.size < size).at(-1), seen.find((s) => s.checkpoint.size > size)];
    let evidence: Omit<CheckpointComparison, keyof Verification> = {};
    for (const other of neighbours) {
      if (other === undefined) continue;
      const comparison = await this.#compare(other, incoming);
      for (const c of comparison.checks) (c.ok ? checks.pass : checks.fail).call(checks, c.id, c.detail);
      if (comparison.equivocation !== undefined) evidence = { ...evidence, equivocation: comparison.equivocation };
      if (comparison.inconsistency !== undefined) evidence = { ...evidence, inconsistency: comparison.inconsistency };
    }
    const result = checks.result();
    if (result.ok) this.#seen.set(size, incoming);
    return { result: { ...result, ...evidence, checkpoint: opened }, firstError: checks.firstError };
  }

  async #compare(seen: SeenCheckpoint, incoming: SeenCheckpoint): Promise<CheckpointComparison> {
    const smaller = Math.min(seen.checkpoint.size, incoming.checkpoint.size);
    const larger = Math.max(seen.checkpoint.size, incoming.checkpoint.size);
    if (smaller === larger || smaller === 0) return compareCheckpoints(seen, incoming);
    const prove = this.#options.proveConsistency;
    // Without a proof source this monitor only detects equivocation.
    if (prove === undefined) return { ok: true, checks: [], issues: [] };
    let proof: readonly Uint8Array[];
    try {
      proof = await prove(smaller, larger);
    } catch (error) {
      const checks = new CheckList();
      checks.fail(
        'monitor.consistency',
        `no consistency proof from size ${smaller} to ${larger}: ${errorMessage(error)}`,
      );
      return checks.result();
    }
    return compareCheckpoints(seen, incoming, proof);
  }
}
