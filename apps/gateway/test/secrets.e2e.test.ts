/**
 * Secrets at rest and in logs. A gateway started without `SAFEROUTER_ADMIN_KEY` generates one
 * and prints it once; after a workload of good and bad requests (bogus, mistyped and revoked
 * keys, refusals, failing upstreams) no issued secret, presented token, the admin key or the
 * upstream provider's API key may appear in any file of the data dir (WAL and SHM included, read
 * as raw bytes), in the Postgres schema (every row of every table as text), or in anything the
 * process wrote to stdout/stderr, except the one line that shows the admin key at first start.
 *
 * Every request is committed to the audit log (`SAFEROUTER_AUDIT_RATE=1`) and receipted, and the
 * prompt and the answer of some are unique strings: neither may appear anywhere either, as text or
 * hex (how Postgres shows bytea), while their receipts and audit entries must (so the scans look
 * where plaintext would have gone).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { hashApiKey } from '@saferouter/store';
import { billingCatalogJson, chat, createKey, waitUntil } from './billing-fixtures.js';
import { killAllGateways, spawnGateway, testLogKey, type ChildGateway } from './child-gateway.js';
import { createTestSchema, type TestSchema } from './pg-schema.js';
import { splitAtReceipt, unverifiedPayload } from './receipt-fixtures.js';

const UPSTREAM_KEY = `upk-${randomBytes(24).toString('hex')}`;
/** A prompt and an answer nobody else could have written. */
const PROMPT = `prompt-${randomBytes(16).toString('hex')}`;
const ANSWER = `answer-${randomBytes(16).toString('hex')}`;

let upstream: FakeUpstream;
let dir = '';
let configPath = '';
let schema: TestSchema | undefined;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  upstream.setBehavior('b-dear', { status: 503 });
  upstream.setBehavior('b-cheap', { status: 500 });
  upstream.setBehavior('b-solo', { chunks: 40, chunkDelayMs: 5 });
  // The whole answer in one delta, so it crosses the gateway whole in the stream too.
  upstream.setBehavior('b-thrift', { content: ANSWER, chunks: 1 });
  // As an operator sets it: the child gateways inherit this environment.
  vi.stubEnv('SAFEROUTER_AUDIT_RATE', '1');
  dir = mkdtempSync(join(tmpdir(), 'sr-secrets-'));
  configPath = join(dir, 'catalog.json');
  writeFileSync(configPath, JSON.stringify(billingCatalogJson(upstream.url)));
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await killAllGateways();
  await schema?.drop();
  await upstream?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The admin key from the first-start banner, and the banner line itself. */
function generatedAdminKey(gw: ChildGateway): { adminKey: string; line: string } {
  const m = /^ *(sk-sr-[A-Za-z0-9_-]{43}) *$/m.exec(gw.output().toString('utf8'));
  expect(m, `no generated admin key in:\n${gw.output().toString('utf8')}`).not.toBeNull();
  return { adminKey: m![1]!, line: m![0] };
}

/**
 * What to search for: for an `sk-sr-` secret, the part past its 12-character public display
 * prefix (which the key list shows on purpose); anything else whole.
 */
function needles(secrets: Record<string, string>): [string, Buffer][] {
  return Object.entries(secrets).map(([name, s]) => [name, Buffer.from(s.startsWith('sk-sr-') ? s.slice(12) : s)]);
}

function found(haystack: Buffer, secrets: Record<string, string>): string[] {
  return needles(secrets)
    .filter(([, n]) => haystack.includes(n))
    .map(([name]) => name);
}

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return []; // a Postgres-backed gateway may never create it
  return readdirSync(path).flatMap((name) => {
    const p = join(path, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Positive control: each key's stored hash is found where its secret must not be. */
function hashes(secrets: Record<string, string>): Record<string, string> {
  return Object.fromEntries(['alpha', 'beta', 'gamma'].map((name) => [name, hashApiKey(secrets[name]!)]));
}

/** Every file of the data dir that contains a secret, as `file: name`. */
function scanDataDir(dataDir: string, secrets: Record<string, string>): { files: string[]; hits: string[] } {
  const files = filesUnder(dataDir);
  return {
    files: files.map((f) => f.slice(dataDir.length + 1)),
    hits: files.flatMap((f) => found(readFileSync(f), secrets).map((s) => `${f}: ${s}`)),
  };
}

/** A workload of good and bad calls; returns every secret it issued or presented. */
async function workload(url: string, adminKey: string): Promise<Record<string, string>> {
  const admin = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
  const alpha = await createKey(url, adminKey, 'alpha', '1');
  const beta = await createKey(url, adminKey, 'beta', '0.00001');
  const gamma = await createKey(url, adminKey, 'gamma', '1', { rpm: 100 });
  const bogusFormatted = `sk-sr-${randomBytes(32).toString('base64url')}`;
  const bogusFree = `not-a-key-${randomBytes(16).toString('hex')}`;
  const mistypedAlpha = `${alpha.key.slice(0, -1)}${alpha.key.endsWith('A') ? 'B' : 'A'}`;
  const mistypedAdmin = `${adminKey.slice(0, -1)}${adminKey.endsWith('A') ? 'B' : 'A'}`;
  const statuses: number[] = [];
  const call = async (p: Promise<Response>): Promise<void> => {
    const res = await p;
    statuses.push(res.status);
    await res.text();
  };

  await call(chat(url, alpha.key, { model: 'b-solo', messages: [{ role: 'user', content: 'ok' }], max_tokens: 100 }));
  await call(
    chat(url, alpha.key, {
      model: 'b-solo',
      messages: [{ role: 'user', content: 'ok' }],
      max_tokens: 100,
      stream: true,
    }),
  );
  const ac = new AbortController();
  const leaving = await chat(
    url,
    alpha.key,
    { model: 'b-solo', messages: [{ role: 'user', content: 'bye' }], stream: true },
    ac.signal,
  );
  await leaving.body!.getReader().read();
  ac.abort();
  await call(
    chat(url, alpha.key, { model: 'b-dear', messages: [{ role: 'user', content: 'all fail' }], max_tokens: 100 }),
  );
  await call(
    chat(url, beta.key, { model: 'b-solo', messages: [{ role: 'user', content: 'too poor' }], max_tokens: 100_000 }),
  );
  await call(fetch(`${url}/v1/keys/${gamma.id}`, { method: 'DELETE', headers: admin }));
  await call(chat(url, gamma.key, { model: 'b-solo', messages: [{ role: 'user', content: 'revoked' }] }));
  for (const token of [bogusFormatted, bogusFree, mistypedAlpha, mistypedAdmin]) {
    await call(chat(url, token, { model: 'b-solo', messages: [{ role: 'user', content: 'who am I' }] }));
    await call(fetch(`${url}/v1/keys`, { headers: { authorization: `Bearer ${token}` } }));
  }
  await call(
    fetch(`${url}/v1/keys`, {
      headers: { authorization: `Basic ${Buffer.from(`x:${alpha.key}`).toString('base64')}` },
    }),
  );
  await call(
    fetch(`${url}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alpha.key}`, 'content-type': 'application/json' },
      body: '{"name":"nope"}',
    }),
  );
  await call(
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alpha.key}`, 'content-type': 'application/json' },
      body: `{"model": "${alpha.key}"`,
    }),
  );
  await call(
    fetch(`${url}/v1/credits/topup`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ key_id: alpha.id, amount_usd: '2.5' }),
    }),
  );
  await call(
    fetch(`${url}/v1/keys/${beta.id}`, {
      method: 'PATCH',
      headers: admin,
      body: JSON.stringify({ limits: { rpm: 10 } }),
    }),
  );
  expect(statuses).toEqual([200, 200, 500, 402, 200, 401, ...Array<number>(8).fill(401), 401, 403, 400, 200, 200]);

  // What the API shows about keys carries no secret either.
  const listed = Buffer.from(await (await fetch(`${url}/v1/keys`, { headers: admin })).text());
  const secrets = {
    adminKey,
    alpha: alpha.key,
    beta: beta.key,
    gamma: gamma.key,
    bogusFormatted,
    bogusFree,
    mistypedAlpha,
    mistypedAdmin,
    upstreamKey: UPSTREAM_KEY,
  };
  expect(found(listed, secrets)).toEqual([]);
  // Let batched activity and usage counters reach the database.
  await new Promise((r) => setTimeout(r, 1200));
  return secrets;
}

interface PrivateTraffic {
  /** What must appear nowhere: the plaintexts (as text and as hex) and the key that sent them. */
  secrets: Record<string, string>;
  /** What must be stored: the requests' receipts, and their audit entries as text and as hex. */
  receipts: Record<string, string>;
  entries: Record<string, string>;
  entriesHex: Record<string, string>;
}

/**
 * A request and a stream whose prompt and answer are unique strings, both receipted and sampled
 * into the audit log (integrated, so its tiles are written too), their receipts stored.
 */
async function privateTraffic(url: string, adminKey: string): Promise<PrivateTraffic> {
  const holder = await createKey(url, adminKey, 'private', '1');
  const receipts: Record<string, string> = {};
  for (const stream of [false, true]) {
    const res = await chat(url, holder.key, {
      model: 'b-thrift',
      messages: [{ role: 'user', content: `Please keep ${PROMPT} to yourself.` }],
      max_tokens: 100,
      ...(stream ? { stream: true } : {}),
    });
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.status, body.toString('utf8')).toBe(200);
    // The answer really crossed the gateway, whole.
    expect(body.includes(ANSWER)).toBe(true);
    const jws = stream ? splitAtReceipt(body).jws : (res.headers.get('x-saferouter-receipt') ?? '');
    expect(unverifiedPayload(jws)).toMatchObject({ id: res.headers.get('x-request-id'), audit_sampled: true });
    receipts[res.headers.get('x-request-id') ?? ''] = jws;
  }
  const auth = { authorization: `Bearer ${holder.key}` };
  const samples = await waitUntil(
    async () => {
      const res = await fetch(`${url}/v1/audit/samples`, { headers: auth });
      const data = ((await res.json()) as { data: { id: string; status: string; entry: string }[] }).data;
      return data.length === 2 && data.every((s) => s.status === 'integrated') ? data : undefined;
    },
    'both private requests to be integrated into the audit log',
    10_000,
    100,
  );
  expect(samples.map((s) => s.id).sort()).toEqual(Object.keys(receipts).sort());
  for (const [id, jws] of Object.entries(receipts)) {
    const stored = await waitUntil(async () => {
      const res = await fetch(`${url}/v1/receipts/${id}`, { headers: auth });
      return res.status === 200 ? ((await res.json()) as { receipt: string }).receipt : undefined;
    }, `the receipt of ${id}`);
    expect(stored).toBe(jws);
  }
  const hex = (s: string): string => Buffer.from(s).toString('hex');
  return {
    secrets: { privateKey: holder.key, prompt: PROMPT, promptHex: hex(PROMPT), answer: ANSWER, answerHex: hex(ANSWER) },
    receipts,
    entries: Object.fromEntries(samples.map((s) => [s.id, Buffer.from(s.entry, 'base64').toString('utf8')])),
    entriesHex: Object.fromEntries(samples.map((s) => [s.id, Buffer.from(s.entry, 'base64').toString('hex')])),
  };
}

/** stdout+stderr must hold the admin key exactly once, in its banner line, and nothing else secret. */
function checkLog(log: Buffer, banner: string, secrets: Record<string, string>): void {
  const text = log.toString('utf8');
  expect(text.split(secrets['adminKey']!).length - 1).toBe(1);
  const lines = text.split('\n');
  expect(lines.filter((l) => l === banner)).toHaveLength(1);
  expect(found(Buffer.from(lines.filter((l) => l !== banner).join('\n')), secrets)).toEqual([]);
}

function checkUpstreamSawItsKey(since: number): void {
  // The scan only means something if the upstream key was really in the process's hands.
  const seen = upstream.requests.slice(since);
  expect(seen.length).toBeGreaterThan(0);
  expect(seen.every((r) => r.headers['authorization'] === `Bearer ${UPSTREAM_KEY}`)).toBe(true);
}

describe('no secret at rest or in logs', () => {
  it('SQLite: data dir files (db, -wal, -shm) and the logs of two starts', async () => {
    const dataDir = join(dir, 'sqlite');
    const first = await spawnGateway({ dataDir, configPath, upstreamKey: UPSTREAM_KEY });
    const { adminKey, line } = generatedAdminKey(first);
    const traffic = await privateTraffic(first.url, adminKey);
    const secrets = { ...(await workload(first.url, adminKey)), ...traffic.secrets };
    checkUpstreamSawItsKey(0);

    const live = scanDataDir(dataDir, secrets);
    expect(live.files).toEqual(expect.arrayContaining(['saferouter.db', 'saferouter.db-wal', 'saferouter.db-shm']));
    expect(live.hits).toEqual([]);
    await first.stop();
    const allFiles = Buffer.concat(filesUnder(dataDir).map((f) => readFileSync(f)));
    expect(found(allFiles, hashes(secrets))).toEqual(['alpha', 'beta', 'gamma']);
    expect(found(allFiles, traffic.receipts)).toEqual(Object.keys(traffic.receipts));
    expect(found(allFiles, traffic.entries)).toEqual(Object.keys(traffic.entries));

    // A second start shows no admin key (it is stored only as a hash) and accepts the first one.
    const second = await spawnGateway({ dataDir, configPath, upstreamKey: UPSTREAM_KEY });
    expect(second.output().toString('utf8')).not.toMatch(/sk-sr-/);
    expect((await fetch(`${second.url}/v1/keys`, { headers: { authorization: `Bearer ${adminKey}` } })).status).toBe(
      200,
    );
    await second.stop();

    const stopped = scanDataDir(dataDir, secrets);
    expect(stopped.hits).toEqual([]);
    checkLog(first.output(), line, secrets);
    expect(found(second.output(), secrets)).toEqual([]);
    console.log(
      `secrets (sqlite): ${Object.keys(secrets).length} secrets, none in ${live.files.join(', ')} (live and after stop) or ${first.output().length + second.output().length} bytes of logs`,
    );
  }, 30_000);

  it('Postgres: every row of every table, the data dir and the logs', async () => {
    schema = await createTestSchema();
    const dataDir = join(dir, 'pg');
    const gw = await spawnGateway({ dataDir, configPath, databaseUrl: schema.url, upstreamKey: UPSTREAM_KEY });
    const { adminKey, line } = generatedAdminKey(gw);
    const since = upstream.requests.length;
    const logKey = await testLogKey();
    // The whole SAFEROUTER_LOG_KEY (`PRIVATE+KEY+<name>+<hash>+<base64>`), and its private seed
    // alone. The seed is everything after the fourth '+': base64 may itself contain '+', and a
    // short tail cut at one of those matched random bytes in the dump now and then.
    const traffic = await privateTraffic(gw.url, adminKey);
    const secrets = {
      ...(await workload(gw.url, adminKey)),
      ...traffic.secrets,
      logKey,
      logKeySeed: logKey.split('+').slice(4).join('+'),
    };
    expect(secrets.logKeySeed.length).toBeGreaterThanOrEqual(40);
    checkUpstreamSawItsKey(since);

    const dump = await schema.dump();
    // The dump covers the tables the workload wrote to, so an empty dump cannot pass.
    for (const table of [
      'api_keys',
      'meta',
      'accounts',
      'ledger',
      'activity',
      'tlog_checkpoints',
      'tlog_tiles',
      'tlog_bundles',
      'receipts',
      'audit_samples',
    ])
      expect(dump).toMatch(new RegExp(`^${table}\\t`, 'm'));
    expect(found(Buffer.from(dump), secrets)).toEqual([]);
    expect(found(Buffer.from(dump), hashes(secrets))).toEqual(['alpha', 'beta', 'gamma']);
    expect(found(Buffer.from(dump), traffic.receipts)).toEqual(Object.keys(traffic.receipts));
    expect(found(Buffer.from(dump), traffic.entriesHex)).toEqual(Object.keys(traffic.entriesHex));
    await gw.stop();
    const files = scanDataDir(dataDir, secrets);
    expect(files.hits).toEqual([]);
    checkLog(gw.output(), line, secrets);
    console.log(
      `secrets (postgres): ${Object.keys(secrets).length} secrets, none in ${dump.split('\n').length} rows of schema ${schema.name}, ${files.files.length} data dir files or ${gw.output().length} bytes of logs`,
    );
  }, 30_000);
});
