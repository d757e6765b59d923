/**
 * Attested key release: replicas of one build that share a database serve one X25519 sealing key
 * (the deployment key), so an EHBP request or a BYOK ciphertext sealed to the key one replica
 * advertises opens on any of them. Each replica keeps its own ed25519 signing key.
 *
 * `acquireDeploymentKey` runs at start, before anything is served:
 * 1. it quotes itself and verifies its own bundle: the verdict gives its platform ('mock', or the
 *    SEV-SNP launch MEASUREMENT and POLICY), which scopes the key with the app measurement;
 * 2. it claims the (measurement, platform) row with its cached deployment key (sealed at rest in
 *    the data dir) or else its own sealing key: the first replica to claim it wins and holds it;
 * 3. otherwise it publishes a request carrying its bundle, whose nonce binds the request row and
 *    whose report_data binds its own sealing key, used as the transport key. A holder
 *    (key-release-holder.ts) verifies it and wraps the deployment key to that transport key with
 *    HPKE, beside a bundle of its own whose nonce binds the grant. The requester verifies that
 *    bundle (same build, same platform, serving the deployment key), opens the key, seals it at
 *    rest with its own sealer (the next start on this chip and build needs no release) and
 *    adopts it. No answer within the timeout: the start fails, naming the holders it saw.
 *
 * The byte formats are in key-release-wire.ts; docs/attestation.md ("Sharing the sealing key
 * between replicas") says what this proves and what it does not.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fromHex, toHex } from '../bytes.js';
import { bundleToJson, safeParseBundle } from '../bundle/schema.js';
import { firstFailure } from '../checks.js';
import { assertNonEmptyString, assertOptionalFunction, assertOptionalInteger, checkObject } from '../validate.js';
import { verifyBundle, type VerifyBundleOptions } from '../verify/verify-bundle.js';
import type { Verdict } from '../verify/verdict.js';
import type { Attestor } from './attestor.js';
import type { Identity } from './identity.js';
import type { DeploymentKeyRow, KeyGrantRow, KeyReleaseStorage } from './key-release-storage.js';
import { DEPLOYMENT_KEY_FILE, readCachedKey, writeCachedKey } from './key-release-cache.js';
import { keyGrantNonce, keyReleaseInfo, keyRequestNonce, platformOf, unwrapKey } from './key-release-wire.js';
import { attestDir, type Log } from './secure-files.js';

export { DEPLOYMENT_KEY_FILE, DEPLOYMENT_SEAL_CONTEXT } from './key-release-cache.js';

/** How long a requester waits for a grant, by default (SAFEROUTER_KEY_RELEASE_TIMEOUT_MS). */
export const DEFAULT_KEY_RELEASE_TIMEOUT_MS = 30_000;

/** What key release uses of an attestor (`createAttestor` gives all of it). */
export type KeyReleaseAttestor = Pick<
  Attestor,
  'hardware' | 'measurement' | 'signingPublicKey' | 'sealingPublicKey' | 'quote' | 'sealer' | 'adoptSealingKey'
> & { readonly identity: Pick<Identity, 'sealingSharedSecret' | 'withSealingKey'> };

/**
 * Verifier settings both sides apply to the other's bundle (beyond what the protocol fixes: the
 * nonce, this build's measurement, and hardware unless this replica is itself the mock).
 * `trustedRoots` is for tests and private PKIs; `minTcb`/`maxVmpl` tighten what is accepted.
 */
export type KeyReleaseVerifyOptions = Pick<VerifyBundleOptions, 'trustedRoots' | 'minTcb' | 'maxVmpl' | 'now'>;

const marker = Symbol.for('saferouter.attest.key-release-error');

/**
 * Why key release could not give this replica the deployment key:
 * - `self`: its own attestation does not verify, so no holder would accept it either;
 * - `timeout`: no holder answered in time;
 * - `refused`: a holder refused the request (the reason is in the message);
 * - `bad-grant`: an answer was not a grant from an attested holder of this build (an attack, or
 *   a holder serving another key).
 */
export class KeyReleaseError extends Error {
  readonly [marker] = true;
  readonly reason: 'self' | 'timeout' | 'refused' | 'bad-grant';

  constructor(reason: KeyReleaseError['reason'], message: string) {
    super(message);
    this.name = 'KeyReleaseError';
    this.reason = reason;
  }

  static isInstance(error: unknown): error is KeyReleaseError {
    return typeof error === 'object' && error !== null && (error as { [marker]?: unknown })[marker] === true;
  }
}

export interface AcquireDeploymentKeyOptions {
  storage: KeyReleaseStorage;
  attestor: KeyReleaseAttestor;
  /** The gateway data dir: the released key is cached, sealed, in `<dataDir>/attest/`. */
  dataDir: string;
  /** For people reading holders and requests: default '<host name> pid <pid>'. */
  label?: string | undefined;
  /** How long to wait for a grant. Default 30 000 ms. */
  timeoutMs?: number | undefined;
  /** How often to look for the grant. Default 250 ms. */
  pollMs?: number | undefined;
  verifyOptions?: KeyReleaseVerifyOptions | undefined;
  /** Clock (ms). Default `Date.now`. */
  now?: (() => number) | undefined;
  log?: Log | undefined;
}

export interface DeploymentKey {
  /**
   * How this replica got it: it made the row with its own key (`claimed`), the row holds its own
   * key already (`own`), it had the key cached (`cached`), or a holder released it (`released`).
   */
  readonly origin: 'claimed' | 'own' | 'cached' | 'released';
  /** 'mock', or 'sev-snp:<launch MEASUREMENT hex>:<POLICY hex>'. */
  readonly platform: string;
  /** The deployment key's public half, which the attestor now serves. */
  readonly publicKey: Uint8Array;
  /** The row the replicas agreed on. */
  readonly record: DeploymentKeyRow;
}

/** The default label: host and process. */
export function defaultHolderLabel(): string {
  return `${hostname()} pid ${process.pid}`.slice(0, 200);
}

const short = (hex: string): string => `${hex.slice(0, 8)}…`;

/** The first failed check of a verdict, for messages. */
export function verdictReason(verdict: Verdict): string {
  const failed = firstFailure(verdict.checks);
  return failed === undefined ? verdict.summary : `${failed.id}: ${failed.detail}`;
}

/**
 * The options both sides verify the other's bundle with: this build's measurement, hardware
 * unless this replica is the mock, and on SEV-SNP this replica's launch MEASUREMENT (`platform`).
 */
export function peerVerifyOptions(
  attestor: KeyReleaseAttestor,
  nonce: Uint8Array,
  extra: KeyReleaseVerifyOptions | undefined,
  platform?: string,
): VerifyBundleOptions {
  const launch = /^sev-snp:([0-9a-f]{96}):/.exec(platform ?? '')?.[1];
  return {
    ...extra,
    nonce,
    expectedMeasurement: attestor.measurement,
    requireHardware: attestor.hardware,
    ...(launch === undefined ? {} : { expectedLaunchMeasurement: fromHex(launch) }),
  };
}

/**
 * This replica's platform, from a bundle of its own that it verifies as a peer would.
 *
 * @throws {KeyReleaseError} (`self`) when it does not verify.
 */
export async function ownPlatform(
  attestor: KeyReleaseAttestor,
  verifyOptions?: KeyReleaseVerifyOptions | undefined,
): Promise<string> {
  const nonce = new Uint8Array(randomBytes(32));
  const verdict = await verifyBundle(await attestor.quote(nonce), peerVerifyOptions(attestor, nonce, verifyOptions));
  const platform = platformOf(verdict);
  if (platform === undefined)
    throw new KeyReleaseError(
      'self',
      `key release: this replica's own attestation does not verify (${verdictReason(verdict)}), so no replica would share the deployment key with it`,
    );
  return platform;
}

function validate(options: AcquireDeploymentKeyOptions): void {
  checkObject(options, 'options');
  checkObject(options.storage, 'options.storage');
  checkObject(options.attestor, 'options.attestor');
  assertNonEmptyString(options.dataDir, 'options.dataDir');
  if (options.label !== undefined) assertNonEmptyString(options.label, 'options.label');
  assertOptionalInteger(options.timeoutMs, 'options.timeoutMs', 0, 3_600_000);
  assertOptionalInteger(options.pollMs, 'options.pollMs', 1, 60_000);
  assertOptionalFunction(options.now, 'options.now');
  assertOptionalFunction(options.log, 'options.log');
}

/**
 * Gives this replica its build's deployment sealing key, and makes the attestor serve it.
 *
 * @example
 * const key = await acquireDeploymentKey({ storage: store.keyRelease, attestor, dataDir });
 * const releaser = createKeyReleaser({ storage: store.keyRelease, attestor, platform: key.platform });
 * releaser.start();
 * @throws {TypeError | RangeError} for malformed options.
 * @throws {KeyReleaseError} when this replica cannot get the key (see its `reason`).
 */
export async function acquireDeploymentKey(options: AcquireDeploymentKeyOptions): Promise<DeploymentKey> {
  validate(options);
  const { storage, attestor, log } = options;
  const now = options.now ?? Date.now;
  const label = (options.label ?? defaultHolderLabel()).slice(0, 200);
  const measurement = toHex(attestor.measurement);
  const me = toHex(attestor.signingPublicKey);
  const platform = await ownPlatform(attestor, options.verifyOptions);
  const cachePath = join(attestDir(options.dataDir), DEPLOYMENT_KEY_FILE);
  const cached = await readCachedKey(cachePath, attestor.sealer, log);
  const claim: DeploymentKeyRow = {
    measurement,
    platform,
    publicKey: toHex(cached?.publicKey ?? attestor.sealingPublicKey),
    createdBy: me,
    createdAt: now(),
  };
  const record = await storage.claimDeploymentKey(claim);
  const claimed =
    record.createdBy === claim.createdBy &&
    record.createdAt === claim.createdAt &&
    record.publicKey === claim.publicKey;
  let origin: DeploymentKey['origin'];
  if (cached !== undefined && record.publicKey === toHex(cached.publicKey)) {
    attestor.adoptSealingKey(cached.secret);
    origin = claimed ? 'claimed' : 'cached';
  } else {
    cached?.secret.fill(0);
    if (record.publicKey === toHex(attestor.sealingPublicKey)) {
      origin = claimed ? 'claimed' : 'own';
    } else {
      if (cached !== undefined)
        log?.(
          'warn',
          `key release: the deployment key cached in ${cachePath} (${short(toHex(cached.publicKey))}) is not this build's current one (${short(record.publicKey)}): asking a holder for it`,
        );
      const secret = await requestRelease({ ...options, label, now, platform, record });
      try {
        await writeCachedKey(cachePath, attestor.sealer, secret);
      } catch (error) {
        secret.fill(0);
        throw error;
      }
      attestor.adoptSealingKey(secret);
      origin = 'released';
    }
  }
  await storage.announceHolder({ measurement, platform, holder: me, label, seenAt: now() });
  log?.(
    'info',
    `key release: serving deployment sealing key ${short(record.publicKey)} of build ${short(measurement)} on ${platform === 'mock' ? 'the MOCK platform (DEMO: no hardware checks who gets it)' : `platform ${short(platform)}`} (${origin})`,
  );
  return { origin, platform, publicKey: attestor.sealingPublicKey, record };
}

interface RequestContext extends AcquireDeploymentKeyOptions {
  label: string;
  now: () => number;
  platform: string;
  record: DeploymentKeyRow;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Publishes a request and waits for its grant: the deployment private key (32 bytes). */
async function requestRelease(ctx: RequestContext): Promise<Uint8Array> {
  const { storage, attestor, now, platform, record, log } = ctx;
  const timeoutMs = ctx.timeoutMs ?? DEFAULT_KEY_RELEASE_TIMEOUT_MS;
  const id = `kr_${randomBytes(12).toString('hex')}`;
  const createdAt = now();
  const bundle = await attestor.quote(keyRequestNonce(id, createdAt));
  await storage.insertRequest({
    id,
    measurement: record.measurement,
    platform,
    requester: toHex(attestor.signingPublicKey),
    label: ctx.label,
    bundle: bundleToJson(bundle),
    createdAt,
    expiresAt: createdAt + timeoutMs,
  });
  log?.(
    'info',
    `key release: asked the holders of deployment key ${short(record.publicKey)} for it (request ${id}); waiting up to ${timeoutMs} ms`,
  );
  const deadline = createdAt + timeoutMs;
  try {
    for (;;) {
      const grant = await storage.takeGrant(id);
      if (grant !== undefined) return await openGrant(ctx, id, grant);
      const request = await storage.getRequest(id);
      if (request?.refusal != null)
        throw new KeyReleaseError('refused', `key release: request ${id} was refused: ${request.refusal}`);
      if (request === undefined)
        throw new KeyReleaseError(
          'timeout',
          `key release: request ${id} was deleted before any holder answered it: a holder found it expired, so this replica's clock is probably behind the holders' (check NTP on every replica)`,
        );
      if (now() >= deadline) throw new KeyReleaseError('timeout', await timeoutMessage(ctx, timeoutMs));
      await sleep(Math.max(1, Math.min(ctx.pollMs ?? 250, deadline - now())));
    }
  } finally {
    await storage.deleteRequest(id).catch(() => undefined);
  }
}

async function timeoutMessage(ctx: RequestContext, timeoutMs: number): Promise<string> {
  const { record, platform } = ctx;
  const holders = await ctx.storage.holders(record.measurement, platform).catch(() => []);
  const seen =
    holders.length === 0
      ? 'no holder is on record'
      : `holders on record: ${holders
          .slice(0, 5)
          .map(
            (h) =>
              `"${h.label}" (signing key ${short(h.holder)}, last seen ${Math.round((ctx.now() - h.seenAt) / 1000)} s ago)`,
          )
          .join(', ')}${holders.length > 5 ? `, and ${holders.length - 5} more` : ''}`;
  return [
    `key release: no replica holding deployment sealing key ${short(record.publicKey)} of build ${short(record.measurement)} (platform ${platform === 'mock' ? 'mock' : short(platform)}) answered within ${timeoutMs} ms; ${seen}.`,
    `This replica does not start with a key of its own: clients seal EHBP requests and BYOK keys to the deployment's key, and a replica serving another would fail them.`,
    `Start it while a holder runs (SAFEROUTER_KEY_RELEASE_TIMEOUT_MS waits longer); if every holder is gone for good, the key is lost: delete this build's deployment_keys row (docs/attestation.md) and start again, and clients get a new key.`,
  ].join(' ');
}

/** Checks a grant came from an attested holder of this build serving the deployment key, and opens it. */
async function openGrant(ctx: RequestContext, id: string, grant: KeyGrantRow): Promise<Uint8Array> {
  const { attestor, record, platform } = ctx;
  const bad = (why: string) =>
    new KeyReleaseError('bad-grant', `key release: the answer to request ${id} is not a usable grant: ${why}`);
  const enc = new Uint8Array(Buffer.from(grant.enc, 'base64url'));
  const ciphertext = new Uint8Array(Buffer.from(grant.ciphertext, 'base64url'));
  if (enc.length !== 32) throw bad('its encapsulated key is not 32 bytes');
  let json: unknown;
  try {
    json = JSON.parse(grant.bundle);
  } catch {
    throw bad("the holder's bundle is not JSON");
  }
  const verdict = await verifyBundle(
    json,
    peerVerifyOptions(attestor, keyGrantNonce(id, enc, ciphertext), ctx.verifyOptions, platform),
  );
  const holderPlatform = platformOf(verdict);
  if (holderPlatform === undefined) throw bad(`the holder's attestation does not verify (${verdictReason(verdict)})`);
  if (holderPlatform !== platform)
    throw bad(`the holder runs on platform ${short(holderPlatform)}, this replica on ${short(platform)}`);
  const parsed = safeParseBundle(json);
  if (!parsed.ok || parsed.bundle.sealingKey !== record.publicKey)
    throw bad(`the holder does not serve the deployment key ${short(record.publicKey)}`);
  let secret: Uint8Array;
  try {
    secret = unwrapKey(
      (peer) => attestor.identity.sealingSharedSecret(peer),
      attestor.sealingPublicKey,
      enc,
      ciphertext,
      keyReleaseInfo(attestor.measurement, id),
    );
  } catch {
    throw bad("it does not open with this replica's transport key, for this build and request");
  }
  if (secret.length !== 32 || toHex(x25519.getPublicKey(secret)) !== record.publicKey) {
    secret.fill(0);
    throw bad(`the key it holds is not the deployment key ${short(record.publicKey)}`);
  }
  ctx.log?.('info', `key release: holder "${short(grant.holder)}" released the deployment key (request ${id})`);
  return secret;
}
