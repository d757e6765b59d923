/**
 * Attested key release over an in-memory storage: the first replica holds the key, the next ones
 * get the same key from it (mock and hardware-shaped SEV-SNP), and a holder refuses what it must
 * (another measurement, a mock or another launch when it is hardware, a stale or replayed
 * request), a requester refuses grants no attested holder made, grants are read once, and a
 * requester nobody answers fails naming the holders it saw.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { toBase64Url, toHex } from '../bytes.js';
import { bundleToJson } from '../bundle/schema.js';
import { OFFSET } from '../report/layout.js';
import { decodeTcb } from '../report/tcb.js';
import {
  memoryKeyReleaseStorage,
  SYNTHETIC_CHIP,
  syntheticHardwareAttestor,
  type MemoryKeyReleaseStorage,
} from '../testing/key-release-fixtures.js';
import { makeSyntheticAmd, type SyntheticAmd } from '../testing/synthetic-amd.js';
import { useTempDirs } from '../testing/temp-dir.js';
import { milanVlek } from '../testing/vectors.js';
import { verifyBundle } from '../verify/verify-bundle.js';
import { createAttestor } from './attestor.js';
import { attestDir } from './identity.js';
import {
  acquireDeploymentKey,
  DEPLOYMENT_KEY_FILE,
  DEPLOYMENT_SEAL_CONTEXT,
  KeyReleaseError,
  type KeyReleaseAttestor,
  type KeyReleaseVerifyOptions,
} from './key-release.js';
import { createKeyReleaser, type KeyReleaser } from './key-release-holder.js';
import {
  keyGrantNonce,
  keyReleaseInfo,
  keyRequestNonce,
  MOCK_PLATFORM,
  unwrapKey,
  wrapKey,
} from './key-release-wire.js';
import { parseSealedBlob } from './sealing.js';

const tempDir = useTempDirs();
const MEASUREMENT = new Uint8Array(32).fill(0x42);
const OTHER_MEASUREMENT = new Uint8Array(32).fill(0x43);

async function mockAttestor(measurement = MEASUREMENT) {
  const dir = await tempDir();
  const attestor = await createAttestor({
    dataDir: dir,
    measurement,
    tsmRoot: join(dir, 'no-tsm'),
    sevGuestPath: join(dir, 'no-sev-guest'),
  });
  return { dir, attestor };
}

/** A holder polling every 10 ms, stopped by `stopAll`. */
const running: KeyReleaser[] = [];
function holderFor(
  storage: MemoryKeyReleaseStorage,
  attestor: KeyReleaseAttestor,
  platform: string,
  extra: Partial<Parameters<typeof createKeyReleaser>[0]> = {},
): KeyReleaser {
  const releaser = createKeyReleaser({ storage, attestor, platform, label: 'holder-a', pollMs: 10, ...extra });
  running.push(releaser);
  return releaser;
}
async function stopAll(): Promise<void> {
  await Promise.all(running.splice(0).map((r) => r.stop()));
}

/** A request row for `attestor`, its bundle answering the nonce the row implies (unless `bundleFor` says otherwise). */
async function requestRow(
  storage: MemoryKeyReleaseStorage,
  attestor: KeyReleaseAttestor,
  platform: string,
  options: {
    id?: string;
    createdAt?: number;
    measurement?: string;
    bundleFor?: { id: string; createdAt: number };
  } = {},
) {
  const id = options.id ?? `kr_${Math.random().toString(16).slice(2)}`;
  const createdAt = options.createdAt ?? Date.now();
  const nonceFor = options.bundleFor ?? { id, createdAt };
  const bundle = await attestor.quote(keyRequestNonce(nonceFor.id, nonceFor.createdAt));
  const row = {
    id,
    measurement: options.measurement ?? toHex(attestor.measurement),
    platform,
    requester: toHex(attestor.signingPublicKey),
    label: 'requester-b',
    bundle: bundleToJson(bundle),
    createdAt,
    expiresAt: Math.max(createdAt, Date.now()) + 60_000,
  };
  await storage.insertRequest(row);
  return row;
}

describe('key release between mock replicas', () => {
  it('the first replica claims with its own key; the next one gets that key released, cached and served', async () => {
    try {
      const storage = memoryKeyReleaseStorage();
      const a = await mockAttestor();
      const b = await mockAttestor();
      const aLocal = toHex(a.attestor.sealingPublicKey);
      const bLocal = toHex(b.attestor.sealingPublicKey);
      expect(bLocal).not.toBe(aLocal);

      const logs: string[] = [];
      const first = await acquireDeploymentKey({ storage, attestor: a.attestor, dataDir: a.dir, label: 'replica-a' });
      expect(first).toMatchObject({ origin: 'claimed', platform: MOCK_PLATFORM });
      expect(toHex(first.publicKey)).toBe(aLocal);
      expect(first.record).toMatchObject({ measurement: toHex(MEASUREMENT), publicKey: aLocal });
      holderFor(storage, a.attestor, first.platform).start();

      const second = await acquireDeploymentKey({
        storage,
        attestor: b.attestor,
        dataDir: b.dir,
        label: 'replica-b',
        pollMs: 10,
        log: (level, message) => logs.push(`${level}: ${message}`),
      });
      expect(second.origin).toBe('released');
      // B now serves A's key: its bundles bind it, and X25519 with it agrees with A's.
      expect(toHex(b.attestor.sealingPublicKey)).toBe(aLocal);
      const nonce = new Uint8Array(32).fill(9);
      const bundle = await b.attestor.quote(nonce);
      expect(bundle.sealingKey).toBe(aLocal);
      expect((await verifyBundle(bundle, { nonce, expectedMeasurement: MEASUREMENT })).ok).toBe(true);
      const peer = x25519.getPublicKey(x25519.utils.randomSecretKey());
      expect(toHex(b.attestor.identity.sealingSharedSecret(peer))).toBe(
        toHex(a.attestor.identity.sealingSharedSecret(peer)),
      );
      // Each replica keeps its own signing key.
      expect(toHex(b.attestor.signingPublicKey)).not.toBe(toHex(a.attestor.signingPublicKey));
      expect(logs.join('\n')).toMatch(/MOCK platform \(DEMO/);
      // Consumed: no request or grant is left; both are holders on record.
      expect(storage.requests.size).toBe(0);
      expect(storage.grants.size).toBe(0);
      expect((await storage.holders(toHex(MEASUREMENT), MOCK_PLATFORM)).map((h) => h.label).sort()).toEqual([
        'holder-a',
        'replica-b',
      ]);

      // The released key is cached sealed, never in the clear.
      const cache = await readFile(join(attestDir(b.dir), DEPLOYMENT_KEY_FILE), 'utf8');
      expect(parseSealedBlob(cache)).toMatchObject({ backend: 'mock', context: DEPLOYMENT_SEAL_CONTEXT });
      expect(cache).not.toContain(toHex(b.attestor.identity.withSealingKey((k) => k.slice())));
      // A stopped holder takes itself off the record.
      await stopAll();
      expect((await storage.holders(toHex(MEASUREMENT), MOCK_PLATFORM)).map((h) => h.label)).toEqual(['replica-b']);

      // Restarts need no holder: B from its cache, A because the row holds its own key.
      const b2 = await createAttestor({
        dataDir: b.dir,
        measurement: MEASUREMENT,
        tsmRoot: join(b.dir, 'no-tsm'),
        sevGuestPath: join(b.dir, 'no-sev-guest'),
      });
      expect(toHex(b2.sealingPublicKey)).toBe(bLocal);
      expect((await acquireDeploymentKey({ storage, attestor: b2, dataDir: b.dir, timeoutMs: 0 })).origin).toBe(
        'cached',
      );
      expect(toHex(b2.sealingPublicKey)).toBe(aLocal);
      const a2 = await createAttestor({
        dataDir: a.dir,
        measurement: MEASUREMENT,
        tsmRoot: join(a.dir, 'no-tsm'),
        sevGuestPath: join(a.dir, 'no-sev-guest'),
      });
      expect((await acquireDeploymentKey({ storage, attestor: a2, dataDir: a.dir, timeoutMs: 0 })).origin).toBe('own');
    } finally {
      await stopAll();
    }
  });

  it('a cache that does not open is ignored with a warning, and the key is released again', async () => {
    try {
      const storage = memoryKeyReleaseStorage();
      const a = await mockAttestor();
      const b = await mockAttestor();
      const key = await acquireDeploymentKey({ storage, attestor: a.attestor, dataDir: a.dir });
      holderFor(storage, a.attestor, key.platform).start();
      await acquireDeploymentKey({ storage, attestor: b.attestor, dataDir: b.dir, pollMs: 10 });
      const cachePath = join(attestDir(b.dir), DEPLOYMENT_KEY_FILE);
      const blob = JSON.parse(await readFile(cachePath, 'utf8')) as { ct: string };
      blob.ct = `${blob.ct.slice(0, -2)}AA`;
      await writeFile(cachePath, JSON.stringify(blob));
      const b2 = await createAttestor({
        dataDir: b.dir,
        measurement: MEASUREMENT,
        tsmRoot: join(b.dir, 'no-tsm'),
        sevGuestPath: join(b.dir, 'no-sev-guest'),
      });
      const logs: string[] = [];
      const again = await acquireDeploymentKey({
        storage,
        attestor: b2,
        dataDir: b.dir,
        pollMs: 10,
        log: (level, message) => logs.push(`${level}: ${message}`),
      });
      expect(again.origin).toBe('released');
      expect(toHex(b2.sealingPublicKey)).toBe(toHex(key.publicKey));
      expect(logs.join('\n')).toMatch(
        /warn: key release: not using the cached deployment key \(.*failed authentication/,
      );
    } finally {
      await stopAll();
    }
  });

  it('replicas starting at once agree on one key: one claims it, the others get it released', async () => {
    try {
      const storage = memoryKeyReleaseStorage();
      const replicas = await Promise.all([mockAttestor(), mockAttestor(), mockAttestor()]);
      const keys = await Promise.all(
        replicas.map(async ({ attestor, dir }) => {
          const key = await acquireDeploymentKey({ storage, attestor, dataDir: dir, pollMs: 10, timeoutMs: 10_000 });
          // Every holder answers requests (here only the one that claimed holds one at first).
          holderFor(storage, attestor, key.platform).start();
          return key;
        }),
      );
      expect(keys.map((k) => k.origin).sort()).toEqual(['claimed', 'released', 'released']);
      expect(new Set(replicas.map((r) => toHex(r.attestor.sealingPublicKey))).size).toBe(1);
      expect(storage.keys.size).toBe(1);
    } finally {
      await stopAll();
    }
  });

  it('another build gets its own key, and a request claiming this build with another build refused', async () => {
    try {
      const storage = memoryKeyReleaseStorage();
      const a = await mockAttestor();
      const other = await mockAttestor(OTHER_MEASUREMENT);
      const key = await acquireDeploymentKey({ storage, attestor: a.attestor, dataDir: a.dir });
      const holder = holderFor(storage, a.attestor, key.platform);
      expect((await acquireDeploymentKey({ storage, attestor: other.attestor, dataDir: other.dir })).origin).toBe(
        'claimed',
      );
      expect(storage.keys.size).toBe(2);
      // A bundle of the other build, filed under this build's measurement.
      const row = await requestRow(storage, other.attestor, key.platform, { measurement: toHex(MEASUREMENT) });
      const pass = await holder.poll();
      expect(pass.granted).toEqual([]);
      expect(pass.refused).toEqual([{ id: row.id, reason: expect.stringMatching(/does not verify \(measurement:/) }]);
      expect(storage.grants.size).toBe(0);
    } finally {
      await stopAll();
    }
  });

  it('refuses a stale request, a request from the future, and a bundle replayed into a new request', async () => {
    const storage = memoryKeyReleaseStorage();
    const a = await mockAttestor();
    const b = await mockAttestor();
    const key = await acquireDeploymentKey({ storage, attestor: a.attestor, dataDir: a.dir });
    const holder = holderFor(storage, a.attestor, key.platform, { maxRequestAgeMs: 60_000, maxClockSkewMs: 5_000 });
    const stale = await requestRow(storage, b.attestor, key.platform, { createdAt: Date.now() - 61_000 });
    const future = await requestRow(storage, b.attestor, key.platform, { createdAt: Date.now() + 10_000 });
    // An earlier request's bundle (nonce of kr_old at its time) in a fresh row.
    const replay = await requestRow(storage, b.attestor, key.platform, {
      bundleFor: { id: 'kr_old', createdAt: Date.now() - 1000 },
    });
    const pass = await holder.poll();
    const reasons = Object.fromEntries(pass.refused.map((r) => [r.id, r.reason]));
    expect(pass.granted).toEqual([]);
    expect(reasons[stale.id]).toMatch(/stale: made 61 s ago/);
    expect(reasons[future.id]).toMatch(/in this holder's future/);
    expect(reasons[replay.id]).toMatch(/does not verify \(nonce:/);
    expect((await storage.getRequest(stale.id))?.refusal).toMatch(/^holder "holder-a" \([0-9a-f]{8}…\) refused: stale/);
  });

  it('a refused requester fails at once with the holder’s reason', async () => {
    try {
      const storage = memoryKeyReleaseStorage();
      const a = await mockAttestor();
      const b = await mockAttestor();
      const key = await acquireDeploymentKey({ storage, attestor: a.attestor, dataDir: a.dir });
      holderFor(storage, a.attestor, key.platform, { maxRequestAgeMs: 1000 }).start();
      const started = Date.now();
      const err = await acquireDeploymentKey({
        storage,
        attestor: b.attestor,
        dataDir: b.dir,
        pollMs: 10,
        // B's clock is five seconds behind.
        now: () => Date.now() - 5000,
      }).catch((e: unknown) => e);
      expect(KeyReleaseError.isInstance(err) && err.reason).toBe('refused');
      expect((err as Error).message).toMatch(/was refused: holder "holder-a" .* refused: stale/);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(toHex(b.attestor.sealingPublicKey)).not.toBe(toHex(key.publicKey));
      expect(storage.requests.size).toBe(0);
    } finally {
      await stopAll();
    }
  });

  it('with no holder answering, the start fails in time naming the holders on record', async () => {
    const storage = memoryKeyReleaseStorage();
    const a = await mockAttestor();
    const b = await mockAttestor();
    const key = await acquireDeploymentKey({ storage, attestor: a.attestor, dataDir: a.dir, label: 'gw-a pid 7' });
    // A announced itself, then died without running its poller.
    const started = Date.now();
    const err = await acquireDeploymentKey({
      storage,
      attestor: b.attestor,
      dataDir: b.dir,
      timeoutMs: 300,
      pollMs: 20,
    }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(KeyReleaseError.isInstance(err) && err.reason).toBe('timeout');
    const message = (err as Error).message;
    expect(message).toContain(`deployment sealing key ${toHex(key.publicKey).slice(0, 8)}…`);
    expect(message).toMatch(
      /answered within 300 ms; holders on record: "gw-a pid 7" \(signing key [0-9a-f]{8}…, last seen \d+ s ago\)/,
    );
    expect(message).toMatch(/SAFEROUTER_KEY_RELEASE_TIMEOUT_MS/);
    expect(message).toMatch(/delete this build's deployment_keys row/);
    // Nothing adopted, nothing left behind.
    expect(toHex(b.attestor.sealingPublicKey)).not.toBe(toHex(key.publicKey));
    expect(storage.requests.size).toBe(0);

    const none = memoryKeyReleaseStorage();
    await none.claimDeploymentKey({ ...key.record });
    const err2 = await acquireDeploymentKey({
      storage: none,
      attestor: b.attestor,
      dataDir: b.dir,
      timeoutMs: 50,
    }).catch((e: unknown) => e);
    expect((err2 as Error).message).toMatch(/no holder is on record/);
  });

  it('a grant is read once: replayed into another request of the same replica it does not open', async () => {
    const storage = memoryKeyReleaseStorage();
    const a = await mockAttestor();
    const b = await mockAttestor();
    const key = await acquireDeploymentKey({ storage, attestor: a.attestor, dataDir: a.dir });
    const holder = holderFor(storage, a.attestor, key.platform);
    const first = await requestRow(storage, b.attestor, key.platform);
    expect((await holder.poll()).granted).toEqual([first.id]);
    const grant = await storage.takeGrant(first.id);
    expect(grant).toBeDefined();
    expect(await storage.takeGrant(first.id)).toBeUndefined();
    // The grant opens for the request it answers...
    const open = (id: string) =>
      unwrapKey(
        (peer) => b.attestor.identity.sealingSharedSecret(peer),
        b.attestor.sealingPublicKey,
        new Uint8Array(Buffer.from(grant!.enc, 'base64url')),
        new Uint8Array(Buffer.from(grant!.ciphertext, 'base64url')),
        keyReleaseInfo(MEASUREMENT, id),
      );
    expect(toHex(x25519.getPublicKey(open(first.id)))).toBe(toHex(key.publicKey));
    // ...and for no other: the HPKE info binds the request id.
    expect(() => open('kr_other')).toThrow();
  });
});

describe('key release requester: grants no attested holder of this build made', () => {
  /** B waits for a grant; `forge` answers its request in B's place. */
  async function expectBadGrant(
    forge: (ctx: { storage: MemoryKeyReleaseStorage; id: string; transport: Uint8Array }) => Promise<void>,
    match: RegExp,
  ) {
    const storage = memoryKeyReleaseStorage();
    const a = await mockAttestor();
    const b = await mockAttestor();
    await acquireDeploymentKey({ storage, attestor: a.attestor, dataDir: a.dir });
    const pending = acquireDeploymentKey({
      storage,
      attestor: b.attestor,
      dataDir: b.dir,
      pollMs: 10,
      timeoutMs: 5000,
    });
    let request;
    while ((request = [...storage.requests.values()][0]) === undefined) await new Promise((r) => setTimeout(r, 5));
    const transport = new Uint8Array(Buffer.from(JSON.parse(request.bundle).sealingKey as string, 'hex'));
    await forge({ storage, id: request.id, transport });
    const err = await pending.catch((e: unknown) => e);
    expect(KeyReleaseError.isInstance(err) && err.reason).toBe('bad-grant');
    expect((err as Error).message).toMatch(match);
    expect(storage.requests.size).toBe(0);
    return { a, b };
  }

  it('refuses a key wrapped by someone whose bundle does not answer the grant', async () => {
    const attacker = await mockAttestor();
    await expectBadGrant(async ({ storage, id, transport }) => {
      // The attacker knows the transport key (it is public) and wraps a key of its own.
      const secret = x25519.utils.randomSecretKey();
      const { enc, ciphertext } = wrapKey(secret, transport, keyReleaseInfo(MEASUREMENT, id));
      const bundle = await attacker.attestor.quote(new Uint8Array(32)); // not the grant's nonce
      await storage.insertGrant({
        requestId: id,
        holder: toHex(attacker.attestor.signingPublicKey),
        enc: toBase64Url(enc),
        ciphertext: toBase64Url(ciphertext),
        bundle: bundleToJson(bundle),
        createdAt: Date.now(),
      });
    }, /holder's attestation does not verify \(nonce:/);
  });

  it('refuses an attested replica of this build that serves another key than the deployment’s', async () => {
    const rogue = await mockAttestor();
    await expectBadGrant(async ({ storage, id, transport }) => {
      const secret = x25519.utils.randomSecretKey();
      const { enc, ciphertext } = wrapKey(secret, transport, keyReleaseInfo(MEASUREMENT, id));
      const bundle = await rogue.attestor.quote(keyGrantNonce(id, enc, ciphertext));
      await storage.insertGrant({
        requestId: id,
        holder: toHex(rogue.attestor.signingPublicKey),
        enc: toBase64Url(enc),
        ciphertext: toBase64Url(ciphertext),
        bundle: bundleToJson(bundle),
        createdAt: Date.now(),
      });
    }, /does not serve the deployment key/);
  });
});

describe('key release between SEV-SNP replicas (synthetic AMD PKI)', () => {
  let pki: SyntheticAmd;
  let verifyOptions: KeyReleaseVerifyOptions;
  const base = milanVlek().report;
  beforeAll(async () => {
    pki = await makeSyntheticAmd({
      tcb: decodeTcb(base.subarray(OFFSET.reportedTcb, OFFSET.reportedTcb + 8), 'Milan'),
      chipId: SYNTHETIC_CHIP,
    });
    verifyOptions = { trustedRoots: pki.arkPem };
  }, 30_000);

  const hardware = async (launch?: Uint8Array, measurement = MEASUREMENT) => {
    const dir = await tempDir();
    return {
      dir,
      attestor: await syntheticHardwareAttestor({ dataDir: dir, measurement, pki, baseReport: base, launch }),
    };
  };

  it('releases to a replica of the same launch; refuses a mock, another launch, another build', async () => {
    try {
      const storage = memoryKeyReleaseStorage();
      const a = await hardware();
      const b = await hardware();
      const key = await acquireDeploymentKey({ storage, attestor: a.attestor, dataDir: a.dir, verifyOptions });
      expect(key.origin).toBe('claimed');
      expect(key.platform).toMatch(/^sev-snp:[0-9a-f]{96}:[0-9a-f]{16}$/);
      expect(key.platform).toContain(toHex(base.subarray(OFFSET.measurement, OFFSET.measurement + 48)));
      const holder = holderFor(storage, a.attestor, key.platform, { verifyOptions });
      holder.start();
      const got = await acquireDeploymentKey({
        storage,
        attestor: b.attestor,
        dataDir: b.dir,
        verifyOptions,
        pollMs: 10,
      });
      expect(got).toMatchObject({ origin: 'released', platform: key.platform });
      expect(toHex(b.attestor.sealingPublicKey)).toBe(toHex(key.publicKey));
      const cache = await readFile(join(attestDir(b.dir), DEPLOYMENT_KEY_FILE), 'utf8');
      expect(parseSealedBlob(cache).backend).toBe('sev-snp');
      await stopAll();

      // What a hardware holder must refuse, filed in its own queue.
      const mock = await mockAttestor();
      const otherLaunch = await hardware(new Uint8Array(48).fill(0x77));
      const otherBuild = await hardware(undefined, OTHER_MEASUREMENT);
      const rows = {
        mock: await requestRow(storage, mock.attestor, key.platform),
        launch: await requestRow(storage, otherLaunch.attestor, key.platform),
        build: await requestRow(storage, otherBuild.attestor, key.platform, { measurement: toHex(MEASUREMENT) }),
      };
      const pass = await holder.poll();
      expect(pass.granted).toEqual([]);
      const reasons = Object.fromEntries(pass.refused.map((r) => [r.id, r.reason]));
      expect(reasons[rows.mock.id]).toMatch(/does not verify \(backend: this is a MOCK .*requireHardware/);
      expect(reasons[rows.launch.id]).toMatch(/does not verify \(measurement: the guest's launch MEASUREMENT/);
      expect(reasons[rows.build.id]).toMatch(/does not verify \(measurement: the bound measurement/);

      // Another launch is another platform: those replicas share a key of their own.
      const own = await acquireDeploymentKey({
        storage,
        attestor: otherLaunch.attestor,
        dataDir: otherLaunch.dir,
        verifyOptions,
      });
      expect(own.origin).toBe('claimed');
      expect(own.platform).not.toBe(key.platform);
    } finally {
      await stopAll();
    }
  });

  it('a mock holder and a hardware replica refuse each other, even holding the same key', async () => {
    const storage = memoryKeyReleaseStorage();
    const a = await hardware();
    const b = await hardware();
    const key = await acquireDeploymentKey({ storage, attestor: a.attestor, dataDir: a.dir, verifyOptions });
    // A mock replica holding the deployment key (say it leaked to a test box).
    const mock = await mockAttestor();
    a.attestor.identity.withSealingKey((secret) => mock.attestor.adoptSealingKey(secret.slice()));
    expect(toHex(mock.attestor.sealingPublicKey)).toBe(toHex(key.publicKey));

    // As a holder it releases only to mock requesters.
    const mockHolder = createKeyReleaser({ storage, attestor: mock.attestor, platform: MOCK_PLATFORM, verifyOptions });
    const row = await requestRow(storage, b.attestor, MOCK_PLATFORM);
    const pass = await mockHolder.poll();
    expect(pass.granted).toEqual([]);
    expect(pass.refused).toEqual([{ id: row.id, reason: expect.stringMatching(/it runs on platform sev-snp:/) }]);
    await storage.deleteRequest(row.id);

    // A hardware requester refuses its grant.
    const pending = acquireDeploymentKey({
      storage,
      attestor: b.attestor,
      dataDir: b.dir,
      verifyOptions,
      pollMs: 10,
      timeoutMs: 5000,
    });
    let request;
    while ((request = [...storage.requests.values()][0]) === undefined) await new Promise((r) => setTimeout(r, 5));
    const transport = new Uint8Array(Buffer.from(JSON.parse(request.bundle).sealingKey as string, 'hex'));
    const info = keyReleaseInfo(MEASUREMENT, request.id);
    const { enc, ciphertext } = mock.attestor.identity.withSealingKey((s) => wrapKey(s, transport, info));
    await storage.insertGrant({
      requestId: request.id,
      holder: toHex(mock.attestor.signingPublicKey),
      enc: toBase64Url(enc),
      ciphertext: toBase64Url(ciphertext),
      bundle: bundleToJson(await mock.attestor.quote(keyGrantNonce(request.id, enc, ciphertext))),
      createdAt: Date.now(),
    });
    const err = await pending.catch((e: unknown) => e);
    expect(KeyReleaseError.isInstance(err) && err.reason).toBe('bad-grant');
    expect((err as Error).message).toMatch(/holder's attestation does not verify \(backend: this is a MOCK/);
    expect(toHex(b.attestor.sealingPublicKey)).not.toBe(toHex(key.publicKey));
  });

  it('a replica whose own attestation does not verify is told so before it asks anyone', async () => {
    const storage = memoryKeyReleaseStorage();
    const a = await hardware();
    // Without trusting the synthetic root, the chain is a self-made one.
    const err = await acquireDeploymentKey({ storage, attestor: a.attestor, dataDir: a.dir }).catch((e: unknown) => e);
    expect(KeyReleaseError.isInstance(err) && err.reason).toBe('self');
    expect((err as Error).message).toMatch(/own attestation does not verify \(chain\./);
    expect(storage.keys.size).toBe(0);
  });
});

describe('key release wire format', () => {
  it('request nonces bind the id and the time; grant nonces the request and the ciphertext', () => {
    const n = keyRequestNonce('kr_1', 1_700_000_000_000);
    expect(n).toHaveLength(32);
    expect(toHex(keyRequestNonce('kr_1', 1_700_000_000_001))).not.toBe(toHex(n));
    expect(toHex(keyRequestNonce('kr_2', 1_700_000_000_000))).not.toBe(toHex(n));
    const enc = new Uint8Array(32).fill(1);
    const g = keyGrantNonce('kr_1', enc, new Uint8Array([1, 2]));
    expect(toHex(keyGrantNonce('kr_1', enc, new Uint8Array([1, 3])))).not.toBe(toHex(g));
    expect(toHex(keyGrantNonce('kr_2', enc, new Uint8Array([1, 2])))).not.toBe(toHex(g));
    expect(() => keyRequestNonce('kr_1', -1)).toThrow(RangeError);
    expect(() => keyGrantNonce('kr_1', new Uint8Array(31), new Uint8Array(1))).toThrow(RangeError);
    const info = keyReleaseInfo(MEASUREMENT, 'kr_1');
    expect(Buffer.from(info).toString('latin1')).toBe(
      `saferouter-key-release-v1\0${Buffer.from(MEASUREMENT).toString('latin1')}kr_1`,
    );
  });

  it('a wrapped key opens only with the transport key and the same info', () => {
    const recipient = x25519.utils.randomSecretKey();
    const recipientPublic = x25519.getPublicKey(recipient);
    const dh = (peer: Uint8Array) => x25519.getSharedSecret(recipient, peer);
    const secret = x25519.utils.randomSecretKey();
    const info = keyReleaseInfo(MEASUREMENT, 'kr_1');
    const { enc, ciphertext } = wrapKey(secret, recipientPublic, info);
    expect(ciphertext).toHaveLength(48);
    expect(toHex(unwrapKey(dh, recipientPublic, enc, ciphertext, info))).toBe(toHex(secret));
    expect(() => unwrapKey(dh, recipientPublic, enc, ciphertext, keyReleaseInfo(OTHER_MEASUREMENT, 'kr_1'))).toThrow();
    const other = x25519.utils.randomSecretKey();
    expect(() =>
      unwrapKey((peer) => x25519.getSharedSecret(other, peer), recipientPublic, enc, ciphertext, info),
    ).toThrow();
  });
});
