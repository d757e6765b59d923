/**
 * Attested key release between gateway processes on one Postgres schema (mock backend): two
 * replicas started at once serve one HPKE sealing key (each with its own signing key), an EHBP
 * request sealed to the key replica A advertises is answered by replica B, a restarted replica
 * serves the key from its sealed cache, a new replica gets it from whichever holder still runs,
 * and a replica no holder answers refuses to start, naming the holders on record.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '@saferouter/attest';
import { createEhbpFetch, KEYS_PATH, parseKeyConfig } from '@saferouter/ehbp';
import { nodeSender } from '@saferouter/ehbp/server';
import { DEFAULT_CONTENT, startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { ADMIN_KEY } from './helpers.js';
import { billingCatalogJson, createKey } from './billing-fixtures.js';
import { killAllGateways, spawnGateway, type ChildGateway } from './child-gateway.js';
import { createTestSchema, type TestSchema } from './pg-schema.js';

let upstream: FakeUpstream;
let dir = '';
let configPath = '';
let schema: TestSchema;
let a: ChildGateway;
let b: ChildGateway;

const spawn = (name: string, env: Record<string, string> = {}): Promise<ChildGateway> =>
  spawnGateway({ dataDir: join(dir, name), configPath, adminKey: ADMIN_KEY, databaseUrl: schema.url, env });

beforeAll(async () => {
  upstream = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'sr-key-release-'));
  configPath = join(dir, 'catalog.json');
  writeFileSync(configPath, JSON.stringify(billingCatalogJson(upstream.url)));
  schema = await createTestSchema();
  // At once: one claims the build's key, the other asks it for it while it is still starting.
  [a, b] = await Promise.all([spawn('a'), spawn('b')]);
}, 60_000);

afterAll(async () => {
  await killAllGateways();
  await schema?.drop();
  await upstream?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function hpkeKey(url: string): Promise<Uint8Array> {
  const res = await fetch(`${url}${KEYS_PATH}`);
  expect(res.status).toBe(200);
  return parseKeyConfig(new Uint8Array(await res.arrayBuffer())).publicKey;
}

async function identity(url: string): Promise<{ signingKey: string; sealingKey: string }> {
  const res = await fetch(`${url}/attestation/verifying-key`);
  expect(res.status).toBe(200);
  return (await res.json()) as { signingKey: string; sealingKey: string };
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const origin = (gw: ChildGateway): string | undefined =>
  /serving deployment sealing key [0-9a-f]{8}… of build [0-9a-f]{8}… on the MOCK platform \(DEMO[^)]*\) \((\w+)\)/.exec(
    gw.output().toString('utf8'),
  )?.[1];

describe('replicas on one Postgres share one sealing key', () => {
  it('both serve the same HPKE key and bind it in their quotes; each keeps its own signing key', async () => {
    const [keyA, keyB] = [await hpkeKey(a.url), await hpkeKey(b.url)];
    expect(hex(keyB)).toBe(hex(keyA));
    const [idA, idB] = [await identity(a.url), await identity(b.url)];
    expect(idA.sealingKey).toBe(hex(keyA));
    expect(idB.sealingKey).toBe(hex(keyA));
    expect(idB.signingKey).not.toBe(idA.signingKey);
    expect([origin(a), origin(b)].sort()).toEqual(['claimed', 'released']);

    const nonce = randomBytes(32);
    const quote = await fetch(`${b.url}/attestation/quote`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nonce: hex(nonce) }),
    });
    const bundle = (await quote.json()) as { sealingKey: string; signingKey: string };
    expect(bundle).toMatchObject({ sealingKey: hex(keyA), signingKey: idB.signingKey });
    expect((await verifyBundle(bundle, { nonce: new Uint8Array(nonce) })).ok).toBe(true);

    // One key row; the request and its grant are gone; both replicas are holders on record.
    const rows = await schema.query(`SELECT public_key FROM ${schema.name}.deployment_keys`);
    expect(rows).toEqual([{ public_key: hex(keyA) }]);
    expect(await schema.query(`SELECT id FROM ${schema.name}.key_requests`)).toEqual([]);
    expect(await schema.query(`SELECT request_id FROM ${schema.name}.key_grants`)).toEqual([]);
    expect(await schema.query(`SELECT holder FROM ${schema.name}.key_holders`)).toHaveLength(2);
  });

  it("an EHBP request sealed to A's advertised key is answered by B", async () => {
    const { key } = await createKey(a.url, ADMIN_KEY, 'ehbp-across', '5');
    const sealedToA = createEhbpFetch(await hpkeKey(a.url), { sender: nodeSender });
    const prompt = `across replicas ${randomBytes(6).toString('hex')}`;
    const before = upstream.requests.length;
    const res = await sealedToA(`${b.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'b-cheap', messages: [{ role: 'user', content: prompt }] }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    expect(body.choices[0]?.message.content).toBe(DEFAULT_CONTENT);
    // B opened it: the upstream got the prompt from B.
    expect(JSON.stringify(upstream.requests.slice(before).map((r) => r.body))).toContain(prompt);
  });

  it('a restart serves the cached key; a new replica gets it from the holder left; with none, the start fails', async () => {
    const key = hex(await hpkeKey(a.url));
    // B restarts from its data dir: its key is cached (sealed) there, or is its own.
    await b.stop();
    b = await spawn('b');
    expect(hex(await hpkeKey(b.url))).toBe(key);
    expect(['cached', 'own']).toContain(origin(b));

    // A, the first holder, goes; a replica with a fresh data dir gets the key from B.
    await a.stop();
    const c = await spawn('c');
    expect(origin(c)).toBe('released');
    expect(hex(await hpkeKey(c.url))).toBe(key);
    await c.stop();

    // B dies without a word: it stays on record, and a fresh replica waits for it in vain.
    const pid = b.child.pid;
    await b.crash();
    const started = Date.now();
    const failed = await spawn('d', { SAFEROUTER_KEY_RELEASE_TIMEOUT_MS: '1500' }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(failed?.message).toMatch(/gateway exited early \(1\)/);
    expect(failed?.message).toMatch(
      new RegExp(
        `key release: no replica holding deployment sealing key ${key.slice(0, 8)}… of build [0-9a-f]{8}… \\(platform mock\\) answered within 1500 ms; holders on record: "[^"]+ pid ${pid}"`,
      ),
    );
    expect(failed?.message).toMatch(/delete this build's deployment_keys row/);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 90_000);
});
