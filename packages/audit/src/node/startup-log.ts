/**
 * The startup log: at every start the gateway builds its startup record (the format is in
 * ../startup/startup-record.ts), appends it to the `startup` transparency log and signs a new
 * checkpoint. Appends run under the storage's append lock, so replicas sharing Postgres take
 * turns; the store commits tiles and the checkpoint in one transaction, so a kill at any point
 * leaves a log that still verifies.
 */
import { hostname } from 'node:os';
import { toHex } from '@saferouter/attest';
import type { Attestor } from '@saferouter/attest/node';
import { createAppender } from '@saferouter/tlog';
import { logOrigin } from '../log-origin.js';
import { createLogReader, type LogReader } from '../log-reader.js';
import {
  bundleSha256,
  encodeStartupRecord,
  parseStartupRecord,
  STARTUP_RECORD_TYPE,
  startupNonce,
  type StartupRecord,
} from '../startup/startup-record.js';
import { storedOrigin, type AppendableLog } from './appendable-log.js';
import { resolveLogKey, type LogKey } from './log-key.js';

/** The parts of an attestor a startup record needs. */
export type StartupAttestor = Pick<Attestor, 'quote' | 'measurement' | 'signingPublicKey' | 'sealingPublicKey'>;

export interface StartupLog {
  origin: string;
  key: LogKey;
  reader: LogReader;
  /** This start's record and its index in the log. */
  record: StartupRecord;
  index: number;
}

/**
 * A start's record and its entry bytes; the attestation answers `startupNonce(time, audience)`.
 *
 * @example
 * const { record, entry } = await buildStartupRecord({ attestor, audience, buildId, logKey: key.verifier.vkey, now: new Date() });
 */
export async function buildStartupRecord(input: {
  attestor: StartupAttestor;
  audience: string;
  /** SHA-256 of the measured binary, hex. */
  buildId: string;
  /** The log key's C2SP verifier key. */
  logKey: string;
  now: Date;
}): Promise<{ record: StartupRecord; entry: Uint8Array }> {
  const time = input.now.toISOString();
  const bundle = await input.attestor.quote(startupNonce(time, input.audience));
  const record: StartupRecord = {
    type: STARTUP_RECORD_TYPE,
    time,
    audience: input.audience,
    build: { id: input.buildId, measurement: toHex(input.attestor.measurement) },
    keys: {
      signing: toHex(input.attestor.signingPublicKey),
      sealing: toHex(input.attestor.sealingPublicKey),
      log: input.logKey,
    },
    attestation: { backend: bundle.backend, hardware: bundle.hardware, sha256: bundleSha256(bundle), bundle },
  };
  return { record, entry: encodeStartupRecord(record) };
}

/**
 * Appends this start's record to the startup log (created, with origin
 * `<audience>/saferouter/startup`, by its first append).
 *
 * @example
 * const startupLog = await appendStartupRecord({ storage: store.tlog.log(STARTUP_LOG), attestor, buildId, audience, logSignerKey });
 * @throws {Error} naming SAFEROUTER_LOG_KEY when that key does not parse.
 * @throws {TlogError} when the stored log cannot be loaded or the commit fails.
 */
export async function appendStartupRecord(input: {
  storage: AppendableLog;
  attestor: StartupAttestor & { identity: Parameters<typeof resolveLogKey>[1] };
  buildId: string;
  /** Default: the host name. */
  audience: string | undefined;
  logSignerKey: string | undefined;
  now?: Date;
}): Promise<StartupLog> {
  const audience = input.audience ?? hostname();
  const { storage } = input;
  const origin = await storedOrigin(storage, logOrigin(audience, 'startup'));
  const key = await resolveLogKey(origin, input.attestor.identity, input.logSignerKey);
  const { record, entry } = await buildStartupRecord({
    attestor: input.attestor,
    audience,
    buildId: input.buildId,
    logKey: key.verifier.vkey,
    now: input.now ?? new Date(),
  });
  const index = await storage.withAppendLock(async () => {
    const appender = await createAppender({ storage, signer: key.signer, origin });
    return (await appender.append([entry])).firstIndex;
  });
  return { origin, key, reader: createLogReader(storage, key.verifier), record, index };
}

/**
 * This start's record when another process of the same start already appended it: a worker of a
 * multi-process gateway (`SAFEROUTER_WORKERS`) shares its primary's identity and its one startup
 * entry, so it opens the log at `index` instead of appending. The entry must be in the signed
 * checkpoint and name this process's signing key.
 *
 * @example const startupLog = await openStartupRecord({ storage, attestor, audience, logSignerKey, index: 41 });
 * @throws {Error} when the entry is missing, not a startup record, or names another signing key.
 */
export async function openStartupRecord(input: {
  storage: AppendableLog;
  attestor: Pick<StartupAttestor, 'signingPublicKey'> & { identity: Parameters<typeof resolveLogKey>[1] };
  audience: string | undefined;
  logSignerKey: string | undefined;
  index: number;
}): Promise<StartupLog> {
  const audience = input.audience ?? hostname();
  const { storage, index } = input;
  const origin = await storedOrigin(storage, logOrigin(audience, 'startup'));
  const key = await resolveLogKey(origin, input.attestor.identity, input.logSignerKey);
  const reader = createLogReader(storage, key.verifier);
  const head = await reader.latest();
  if (head === null || index >= head.size) throw new Error(`the startup log has no entry ${index}`);
  const [entry] = await reader.entries(index, 1, head.size);
  if (entry === undefined) throw new Error(`the startup log has no entry ${index}`);
  const record = parseStartupRecord(entry.entry);
  if (record.keys.signing !== toHex(input.attestor.signingPublicKey)) {
    throw new Error(`startup log entry ${index} names another signing key than this process's`);
  }
  return { origin, key, reader, record, index };
}
