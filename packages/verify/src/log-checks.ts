/**
 * Reading the gateway's two logs through the C2SP tlog-tiles API it serves: the checkpoint's
 * signature by the log key, the root recomputed from the tiles,
 * and, for the startup log, a startup entry proven included that names the attested signing key
 * and measurement and carries its own attestation, itself verified.
 */
import { verifyBundle } from '@saferouter/attest';
import { bundleSha256, parseStartupRecord, startupNonce, type StartupRecord } from '@saferouter/audit';
import {
  createHttpTileFetch,
  encodeBase64,
  parseVerifierKey,
  verifyTileLog,
  type Checkpoint,
  type TileFetch,
} from '@saferouter/tlog';
import type { Attested } from './attestation-checks.js';
import type { SubCheck } from './checks.js';
import type { Http } from './http.js';
import type { VerifyGatewayOptions } from './options.js';
import type { Outcome } from './runner.js';
import type { LogKind } from './state.js';

/** A log whose checkpoint verified, with what the later checks need. */
export interface VerifiedLog {
  readonly kind: LogKind;
  /** Path of the log under the gateway, with a trailing slash. */
  readonly prefix: string;
  readonly vkey: string;
  /** The whole signed checkpoint note, as served. */
  readonly note: string;
  readonly checkpoint: Checkpoint;
  readonly attested: Attested;
  /** Startup log: this instance's entry index and record. */
  readonly entryIndex?: number;
  readonly record?: StartupRecord;
}

export const LOG_PREFIX: Readonly<Record<LogKind, string>> = {
  startup: '/attestation/transparency/',
  audit: '/attestation/audit/',
};

const decoder = new TextDecoder();

/** A tile fetch that keeps the checkpoint bytes it served, so the exact note can be remembered. */
function capturing(fetch: TileFetch): { fetch: TileFetch; note: () => string | undefined } {
  let note: string | undefined;
  return {
    fetch: async (path) => {
      const data = await fetch(path);
      if (path === 'checkpoint' && data !== null) note = decoder.decode(data);
      return data;
    },
    note: () => note,
  };
}

/** Reads a log's checkpoint and tiles (and an entry with its inclusion proof). */
export async function readLog(
  http: Http,
  kind: LogKind,
  vkey: string,
  options: VerifyGatewayOptions,
  entryIndex?: number,
): Promise<{
  ok: boolean;
  detail: string;
  sub: SubCheck[];
  note?: string;
  checkpoint?: Checkpoint;
  entry?: Uint8Array;
}> {
  let verifier;
  try {
    verifier = parseVerifierKey(vkey);
  } catch (error) {
    return {
      ok: false,
      detail: `the published log key is not a C2SP verifier key: ${(error as Error).message}`,
      sub: [],
    };
  }
  const url = http.base + LOG_PREFIX[kind];
  const tiles = capturing(createHttpTileFetch(url, { fetch: http.fetch }));
  const result = await verifyTileLog({
    fetch: tiles.fetch,
    verifier,
    ...(entryIndex === undefined ? {} : { entryIndex }),
  });
  const sub = result.checks.map((c) => ({ id: c.id, ok: c.ok, detail: c.detail }));
  const failed = result.checks.find((c) => !c.ok);
  const note = tiles.note();
  if (!result.ok || failed !== undefined || result.checkpoint === undefined || note === undefined)
    return {
      ok: false,
      detail: `${kind} log at ${url}: ${failed === undefined ? 'not verified' : `${failed.id}: ${failed.detail}`}`,
      sub,
    };
  const checkpoint = result.checkpoint.checkpoint;
  return {
    ok: true,
    detail: `checkpoint ${checkpoint.origin} at size ${checkpoint.size} signed by the log key, root ${encodeBase64(checkpoint.rootHash).slice(0, 12)}… recomputed from the tiles`,
    sub,
    note,
    checkpoint,
    ...(result.entry === undefined ? {} : { entry: result.entry }),
  };
}

/**
 * Checks a startup record against what it must vouch for: the log key it was read with, the
 * measurement attested now, and its own attestation (fresh for a nonce derived from the record,
 * binding the keys it names). Returns a problem, or undefined.
 */
export async function startupRecordProblem(
  record: StartupRecord,
  expected: { vkey: string; measurement: string; backend: string; signingKey?: string },
  options: VerifyGatewayOptions,
): Promise<string | undefined> {
  if (expected.signingKey !== undefined && record.keys.signing !== expected.signingKey)
    return `the startup entry names signing key ${record.keys.signing.slice(0, 16)}…, not the attested ${expected.signingKey.slice(0, 16)}…`;
  if (record.build.measurement !== expected.measurement)
    return `the startup entry names measurement ${record.build.measurement}, not the attested ${expected.measurement}`;
  if (record.keys.log !== expected.vkey)
    return `the startup entry names log key ${record.keys.log}, not the published ${expected.vkey}`;
  const bundle = record.attestation.bundle;
  if (bundle.backend !== expected.backend)
    return `the startup entry was attested by the ${bundle.backend} backend, but the gateway now attests with ${expected.backend}`;
  if (bundle.signingKey !== record.keys.signing || bundle.measurement !== record.build.measurement)
    return "the startup entry's attestation binds other keys or another measurement than the entry names";
  if (bundleSha256(bundle) !== record.attestation.sha256)
    return "the startup entry's attestation.sha256 does not match its bundle";
  const verdict = await verifyBundle(bundle, {
    nonce: startupNonce(record.time, record.audience),
    allowDebug: options.allowDebug === true,
    ...(options.minTcb === undefined ? {} : { minTcb: options.minTcb }),
    now: new Date(record.time),
  });
  const failed = verdict.checks.find((c) => !c.ok);
  if (!verdict.ok)
    return `the startup entry's own attestation fails: ${failed === undefined ? verdict.summary : `${failed.id}: ${failed.detail}`}`;
  return undefined;
}

/** The `startup-log` check (kind startup) or the first half of `audit-log` (kind audit, `vkey` given). */
export async function checkLog(
  http: Http,
  kind: LogKind,
  attested: Attested,
  options: VerifyGatewayOptions,
  auditKey?: string,
): Promise<Outcome<VerifiedLog>> {
  const vkey = kind === 'audit' ? auditKey : attested.published.transparencyLogKey;
  if (vkey === undefined)
    return {
      status: 'fail',
      detail: 'the gateway publishes no transparency log key (transparencyLogKey in /attestation/verifying-key)',
    };
  const index = kind === 'startup' ? attested.published.startupIndex : undefined;
  if (kind === 'startup' && index === undefined)
    return {
      status: 'fail',
      detail: 'the gateway does not say where its start is in the log (startupIndex in /attestation/verifying-key)',
    };
  const read = await readLog(http, kind, vkey, options, index);
  if (!read.ok || read.note === undefined || read.checkpoint === undefined)
    return { status: 'fail', detail: read.detail, sub: read.sub };
  const base = { kind, prefix: LOG_PREFIX[kind], vkey, note: read.note, checkpoint: read.checkpoint, attested };
  if (kind === 'audit') return { status: 'pass', detail: read.detail, sub: read.sub, value: base };

  let record: StartupRecord;
  try {
    record = parseStartupRecord(read.entry ?? new Uint8Array(0));
  } catch (error) {
    return {
      status: 'fail',
      detail: `entry ${index} is not a startup record: ${(error as Error).message}`,
      sub: read.sub,
    };
  }
  const problem = await startupRecordProblem(
    record,
    { vkey, measurement: attested.measurement, backend: attested.backend, signingKey: attested.signingKey },
    options,
  );
  if (problem !== undefined) return { status: 'fail', detail: `entry ${index}: ${problem}`, sub: read.sub };
  return {
    status: 'pass',
    detail: `${read.detail}; entry ${index} (started ${record.time}) is included and names this signing key ${attested.signingKey.slice(0, 16)}… and measurement ${attested.measurement.slice(0, 16)}…, with its own attestation verified`,
    sub: read.sub,
    value: { ...base, entryIndex: index ?? 0, record },
  };
}
