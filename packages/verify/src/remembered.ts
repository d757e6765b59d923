/**
 * Comparing a log's checkpoint with the one this verifier remembered: a key that changed, a
 * smaller size (rollback), a different root at the same size (split view), or a larger size
 * without a valid consistency proof (a rewritten history) fail, with both checkpoints shown. The
 * first sight passes as trust on first use. Witnesses, when configured, must have cosigned the
 * startup checkpoint: the check against a split view shown to other users.
 */
import {
  compareCheckpoints,
  decodeBase64,
  encodeBase64,
  openCheckpoint,
  parseVerifierKey,
  type Checkpoint,
} from '@saferouter/tlog';
import type { Http } from './http.js';
import type { VerifiedLog } from './log-checks.js';
import type { VerifyGatewayOptions } from './options.js';
import type { Outcome } from './runner.js';
import { readRemembered, stateKey, type RememberedLog, type StateStore } from './state.js';

const root = (c: Checkpoint): string => encodeBase64(c.rootHash);

const both = (remembered: RememberedLog, now: string): string =>
  `\n--- remembered (seen ${remembered.seenAt}) ---\n${remembered.note.trimEnd()}\n--- served now ---\n${now.trimEnd()}`;

/** `GET <log>/consistency?from=&to=`: the proof hashes. */
async function fetchProof(http: Http, log: VerifiedLog, from: number, to: number): Promise<Uint8Array[]> {
  const body = await http.getJson(`${log.prefix}consistency?from=${from}&to=${to}`);
  const proof = (body as { proof?: unknown } | null)?.proof;
  if (!Array.isArray(proof) || proof.length > 128 || proof.some((p) => typeof p !== 'string'))
    throw new Error(`${log.prefix}consistency did not answer a proof (an array of base64 hashes)`);
  return proof.map((p: string) => decodeBase64(p));
}

/** The witnesses' cosignatures on the startup checkpoint: a problem, or what they proved. */
async function witnessed(
  log: VerifiedLog,
  options: VerifyGatewayOptions,
): Promise<{ problem?: string; note?: string }> {
  const keys = options.witnesses ?? [];
  if (log.kind !== 'startup' || keys.length === 0) return {};
  const witnesses = keys.map((w, i) => {
    try {
      return parseVerifierKey(w);
    } catch (error) {
      throw new RangeError(`witness ${i + 1} is not a verifier key: ${(error as Error).message}`);
    }
  });
  const quorum = options.quorum ?? witnesses.length;
  try {
    const opened = await openCheckpoint(log.note, {
      verifier: parseVerifierKey(log.vkey),
      witnesses,
      witnessQuorum: quorum,
    });
    return { note: `${opened.cosignatures.length} of ${witnesses.length} witnesses cosigned (quorum ${quorum})` };
  } catch (error) {
    return {
      problem: `the witnesses do not vouch for this checkpoint (quorum ${quorum} of ${witnesses.length}): ${(error as Error).message}`,
    };
  }
}

export async function compareWithRemembered(
  http: Http,
  state: StateStore,
  gateway: string,
  log: VerifiedLog,
  options: VerifyGatewayOptions,
): Promise<Outcome<VerifiedLog>> {
  const witness = await witnessed(log, options);
  if (witness.problem !== undefined) return { status: 'fail', detail: witness.problem };
  const compared = await compareOnly(http, state, gateway, log, options);
  return witness.note === undefined || compared.status === 'fail'
    ? compared
    : { ...compared, detail: `${compared.detail}; ${witness.note}` };
}

async function compareOnly(
  http: Http,
  state: StateStore,
  gateway: string,
  log: VerifiedLog,
  options: VerifyGatewayOptions,
): Promise<Outcome<VerifiedLog>> {
  const now = log.checkpoint;
  const remembered = await readRemembered(state, stateKey(gateway, log.kind));
  if (remembered === undefined)
    return {
      status: 'pass',
      detail: `trust on first use: first sight of ${now.origin} at size ${now.size} (root ${root(now).slice(0, 12)}…); later runs will require it to be extended, never rewritten`,
      value: log,
    };
  if (remembered.vkey !== log.vkey || remembered.origin !== now.origin) {
    const what = `the log's key changed: this verifier remembered ${remembered.origin} signed by ${remembered.vkey}, the gateway now serves ${now.origin} signed by ${log.vkey}`;
    if (options.acceptNewLog === true)
      return {
        status: 'warn',
        detail: `${what}; accepted as asked (accept-new-log): its history starts afresh here`,
        value: log,
      };
    return {
      status: 'fail',
      detail: `${what}. A new build must never be able to start a fresh, empty history; if you expected this change, run again with --accept-new-log (acceptNewLog).`,
    };
  }
  const old = (await openCheckpoint(remembered.note, { verifier: parseVerifierKey(remembered.vkey) })).checkpoint;
  if (now.size < old.size)
    return {
      status: 'fail',
      detail: `ROLLBACK: the log now shows size ${now.size}, smaller than the size ${old.size} this verifier saw signed by the same key: entries were removed from an append-only log.${both(remembered, log.note)}`,
    };
  const proof = now.size > old.size && old.size > 0 ? await fetchProof(http, log, old.size, now.size) : undefined;
  const compared = compareCheckpoints(
    { note: remembered.note, checkpoint: old },
    { note: log.note, checkpoint: now },
    proof,
  );
  const sub = compared.checks.map((c) => ({ id: c.id, ok: c.ok, detail: c.detail }));
  if (compared.equivocation !== undefined)
    return {
      status: 'fail',
      detail: `SPLIT VIEW: two different checkpoints of size ${now.size} are both signed by the log key.${both(remembered, log.note)}`,
      sub,
    };
  if (!compared.ok) {
    const failed = compared.checks.find((c) => !c.ok);
    return {
      status: 'fail',
      detail: `SPLIT VIEW: the size-${old.size} history this verifier saw is not a prefix of the size-${now.size} log served now (${failed?.detail ?? 'inconsistent'}).${both(remembered, log.note)}`,
      sub,
    };
  }
  return {
    status: 'pass',
    detail:
      now.size === old.size
        ? `unchanged since ${remembered.seenAt}: size ${now.size}, same root`
        : `size ${old.size} (seen ${remembered.seenAt}) → ${now.size}: consistent, proof of ${proof?.length ?? 0} hashes`,
    sub,
    value: log,
  };
}

/** Remembers a log's checkpoint (call only after a run in which nothing failed). */
export async function saveRemembered(state: StateStore, gateway: string, log: VerifiedLog): Promise<void> {
  const value: RememberedLog = {
    origin: log.checkpoint.origin,
    vkey: log.vkey,
    note: log.note,
    size: log.checkpoint.size,
    root: root(log.checkpoint),
    seenAt: new Date().toISOString(),
  };
  await state.set(stateKey(gateway, log.kind), JSON.stringify(value));
}
