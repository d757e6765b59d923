/**
 * The holder's side of key release (key-release.ts): a small poller that every replica holding
 * the deployment key runs. Each pass it takes the pending requests of its build and platform,
 * one holder at a time per request, and either refuses one (with the reason, which the requester
 * reports) or answers it with a grant: the deployment private key HPKE-sealed to the requester's
 * transport key, beside a fresh bundle of its own whose nonce binds the grant.
 *
 * It releases only to a bundle that verifies with the nonce the request row implies, for this
 * app measurement, on this platform (the same SEV-SNP launch MEASUREMENT and POLICY; hardware
 * unless this holder is itself the mock, whose grants go only to mock requesters), made within
 * the last `maxRequestAgeMs` by the holder's clock. Every so often it also announces itself (so
 * a requester that gets no answer can say whom it waited for) and deletes expired requests.
 */
import { toBase64Url, toHex } from '../bytes.js';
import { bundleToJson, safeParseBundle } from '../bundle/schema.js';
import { assertNonEmptyString, assertOptionalFunction, assertOptionalInteger, checkObject } from '../validate.js';
import { verifyBundle } from '../verify/verify-bundle.js';
import {
  defaultHolderLabel,
  peerVerifyOptions,
  verdictReason,
  type KeyReleaseAttestor,
  type KeyReleaseVerifyOptions,
} from './key-release.js';
import type { KeyReleaseStorage, KeyRequestRow } from './key-release-storage.js';
import {
  keyGrantNonce,
  keyReleaseInfo,
  keyRequestNonce,
  MOCK_PLATFORM,
  platformOf,
  wrapKey,
} from './key-release-wire.js';
import type { Log } from './secure-files.js';

export interface KeyReleaserOptions {
  storage: KeyReleaseStorage;
  /** An attestor serving the deployment key (after `acquireDeploymentKey`). */
  attestor: KeyReleaseAttestor;
  /** This replica's platform (`acquireDeploymentKey(...).platform`). */
  platform: string;
  /** Default '<host name> pid <pid>'. */
  label?: string | undefined;
  /** Between passes. Default 1000 ms. */
  pollMs?: number | undefined;
  /** Between announcements (and sweeps of expired requests). Default 10 000 ms. */
  heartbeatMs?: number | undefined;
  /** Older requests are refused as stale. Default 120 000 ms. */
  maxRequestAgeMs?: number | undefined;
  /** Requests made further in the future than this are refused. Default 30 000 ms. */
  maxClockSkewMs?: number | undefined;
  verifyOptions?: KeyReleaseVerifyOptions | undefined;
  /** Clock (ms). Default `Date.now`. */
  now?: (() => number) | undefined;
  log?: Log | undefined;
}

export interface KeyReleasePass {
  /** Request ids answered with a grant. */
  granted: string[];
  refused: { id: string; reason: string }[];
}

export interface KeyReleaser {
  /**
   * One pass: announces itself when due, then answers the pending requests. Storage errors
   * reject; `start()` logs them and carries on.
   */
  poll(): Promise<KeyReleasePass>;
  /** Polls every `pollMs` until `stop()`. The timer does not keep the process alive. */
  start(): void;
  /** Stops polling, waits for a pass in flight, and takes this holder off the record. */
  stop(): Promise<void>;
}

/** A claim older than this is taken over by another holder (a holder that died mid-answer). */
const CLAIM_TTL_MS = 15_000;
/** Requests answered per pass. */
const BATCH = 8;

/**
 * @example
 * const releaser = createKeyReleaser({ storage: store.keyRelease, attestor, platform: key.platform, log });
 * releaser.start();
 * // on shutdown
 * await releaser.stop();
 * @throws {TypeError | RangeError} for malformed options.
 */
export function createKeyReleaser(options: KeyReleaserOptions): KeyReleaser {
  checkObject(options, 'options');
  checkObject(options.storage, 'options.storage');
  checkObject(options.attestor, 'options.attestor');
  assertNonEmptyString(options.platform, 'options.platform');
  if (options.label !== undefined) assertNonEmptyString(options.label, 'options.label');
  assertOptionalInteger(options.pollMs, 'options.pollMs', 1, 600_000);
  assertOptionalInteger(options.heartbeatMs, 'options.heartbeatMs', 1, 3_600_000);
  assertOptionalInteger(options.maxRequestAgeMs, 'options.maxRequestAgeMs', 1, 3_600_000);
  assertOptionalInteger(options.maxClockSkewMs, 'options.maxClockSkewMs', 0, 3_600_000);
  assertOptionalFunction(options.now, 'options.now');
  assertOptionalFunction(options.log, 'options.log');
  const { storage, attestor, platform, log } = options;
  const now = options.now ?? Date.now;
  const label = (options.label ?? defaultHolderLabel()).slice(0, 200);
  const pollMs = options.pollMs ?? 1000;
  const heartbeatMs = options.heartbeatMs ?? 10_000;
  const maxAge = options.maxRequestAgeMs ?? 120_000;
  const maxSkew = options.maxClockSkewMs ?? 30_000;
  const measurement = toHex(attestor.measurement);
  const me = toHex(attestor.signingPublicKey);
  let lastBeat = Number.NEGATIVE_INFINITY;

  /** Why `request` must not get the key, or its transport key when it may. */
  async function judge(request: KeyRequestRow, at: number): Promise<{ refusal: string } | { transport: Uint8Array }> {
    if (request.measurement !== measurement || request.platform !== platform)
      return { refusal: 'it is for another build or platform' };
    if (at - request.createdAt > maxAge)
      return { refusal: `stale: made ${Math.round((at - request.createdAt) / 1000)} s ago (at most ${maxAge} ms)` };
    if (request.createdAt - at > maxSkew)
      return { refusal: `made ${request.createdAt - at} ms in this holder's future: check the replicas' clocks` };
    let json: unknown;
    try {
      json = JSON.parse(request.bundle);
    } catch {
      return { refusal: 'its bundle is not JSON' };
    }
    const nonce = keyRequestNonce(request.id, request.createdAt);
    const verdict = await verifyBundle(json, peerVerifyOptions(attestor, nonce, options.verifyOptions, platform));
    const theirs = platformOf(verdict);
    if (theirs === undefined) return { refusal: `its attestation does not verify (${verdictReason(verdict)})` };
    if (theirs !== platform)
      return {
        refusal: `it runs on ${theirs === 'mock' ? 'the mock' : `platform ${theirs.slice(0, 24)}…`}, the key's holders on ${platform === 'mock' ? 'the mock' : `platform ${platform.slice(0, 24)}…`} (launch MEASUREMENT or POLICY differ)`,
      };
    const parsed = safeParseBundle(json);
    if (!parsed.ok || parsed.bundle.signingKey !== request.requester)
      return { refusal: "its bundle is not the requester's (signing key differs)" };
    return { transport: new Uint8Array(Buffer.from(parsed.bundle.sealingKey, 'hex')) };
  }

  async function answer(request: KeyRequestRow, at: number, pass: KeyReleasePass): Promise<void> {
    if (!(await storage.claimRequest(request.id, me, at, at - CLAIM_TTL_MS))) return;
    const verdict = await judge(request, at);
    if ('refusal' in verdict) {
      const reason = `holder "${label}" (${me.slice(0, 8)}…) refused: ${verdict.refusal}`.slice(0, 1000);
      await storage.refuseRequest(request.id, reason);
      pass.refused.push({ id: request.id, reason });
      log?.('warn', `key release: refused request ${request.id} from "${request.label}": ${verdict.refusal}`);
      return;
    }
    const info = keyReleaseInfo(attestor.measurement, request.id);
    const { enc, ciphertext } = attestor.identity.withSealingKey((secret) => wrapKey(secret, verdict.transport, info));
    const bundle = await attestor.quote(keyGrantNonce(request.id, enc, ciphertext));
    const stored = await storage.insertGrant({
      requestId: request.id,
      holder: me,
      enc: toBase64Url(enc),
      ciphertext: toBase64Url(ciphertext),
      bundle: bundleToJson(bundle),
      createdAt: now(),
    });
    if (stored) {
      pass.granted.push(request.id);
      log?.(
        'info',
        `key release: released the deployment key to "${request.label}" (request ${request.id})${platform === MOCK_PLATFORM ? ': MOCK platform, DEMO only (no hardware vouched for the requester)' : ''}`,
      );
    }
  }

  async function poll(): Promise<KeyReleasePass> {
    const at = now();
    if (at - lastBeat >= heartbeatMs) {
      await storage.announceHolder({ measurement, platform, holder: me, label, seenAt: at });
      await storage.deleteExpired(at);
      lastBeat = at;
    }
    const pass: KeyReleasePass = { granted: [], refused: [] };
    for (const request of await storage.pendingRequests(measurement, platform, at, BATCH))
      await answer(request, at, pass);
    return pass;
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let started = false;
  let stopped = false;
  const run = (): void => {
    running = poll().then(
      () => undefined,
      (error: unknown) => log?.('warn', `key release: a holder pass failed: ${(error as Error).message}`),
    );
    void running.then(() => {
      if (stopped) return;
      timer = setTimeout(run, pollMs);
      timer.unref();
    });
  };

  return {
    poll,
    start() {
      if (started || stopped) return;
      started = true;
      // The first pass at once: a replica may be waiting for this one's start.
      run();
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      await running;
      await storage.removeHolder(measurement, platform, me).catch(() => undefined);
    },
  };
}
