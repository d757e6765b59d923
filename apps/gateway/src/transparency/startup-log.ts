/**
 * The startup log: at every start the gateway appends its startup record (startup-record.ts) to
 * the `startup` transparency log in the store and signs a new checkpoint. Appends run under the
 * store's append lock, so replicas sharing Postgres take turns; the store commits tiles and the
 * checkpoint in one transaction, so a kill at any point leaves a log that still verifies.
 */
import { hostname } from 'node:os';
import { createAppender } from '@saferouter/tlog';
import type { Attestor } from '@saferouter/attest/node';
import type { Store } from '@saferouter/store';
import { resolveLogKey, type LogKey } from './log-key.js';
import { createLogReader, type LogReader } from './log-reader.js';
import { buildStartupRecord, type StartupRecord } from './startup-record.js';

export const STARTUP_LOG = 'startup';

export interface StartupLog {
  origin: string;
  key: LogKey;
  reader: LogReader;
  /** This start's record and its index in the log. */
  record: StartupRecord;
  index: number;
}

export async function appendStartupRecord(input: {
  store: Store;
  attestor: Attestor;
  buildId: string;
  audience: string | undefined;
  logSignerKey: string | undefined;
  now?: Date;
}): Promise<StartupLog> {
  const audience = input.audience ?? hostname();
  const storage = input.store.tlog.log(STARTUP_LOG);
  // The origin is fixed when the log is created: a later change of audience (or of host name,
  // which containers change on every start) goes into the records, never into the log's identity.
  const stored = await storage.readCheckpoint();
  const origin =
    stored === null
      ? `${audience.replace(/[\s+]+/g, '-')}/saferouter/startup`
      : (new TextDecoder().decode(stored).split('\n', 1)[0] ?? '');
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
