/**
 * `saferouter-verify` against a live gateway (in process, SQLite, mock attestation) through a
 * tampering proxy. Honest runs give the demo verdict (exit 3, or 0 with --allow-mock); each
 * tampering fails exactly the check it targets and no other: a flipped report byte → hardware,
 * a swapped signing key or a replayed quote → binding, a different expected measurement →
 * measurement, a validly signed fork or a rolled-back checkpoint after the honest one was seen →
 * log-consistency, an edited receipt → receipt. Bad answers (down, slow, HTML, huge, malformed
 * JSON, wrong types, a checkpoint that is not a note, short or long tiles) fail the check that
 * read them, with a clear detail. The bin itself is spawned for its exit codes.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import {
  addNoteSignatures,
  createAppender,
  createCosigner,
  createMemoryTileStorage,
  createStorageFetch,
  decodeBase64,
  type GeneratedKey,
} from '@saferouter/tlog';
import { runCli } from '@saferouter/verify/node';
import type { CheckId, GatewayVerification } from '@saferouter/verify';
import type { RunningGateway } from '../src/start.js';
import { LOG_ORIGIN, startVerifyGateway, userKeyFor, verifyLogKey } from './verify-fixtures.js';
import { json, parseJson, startTamperProxy, text, type ProxiedResponse, type TamperProxy } from './tamper-proxy.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dirs: string[] = [];
const tempDir = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

let upstream: FakeUpstream;
let logKey: GeneratedKey;
let dataDir: string;
let gateway: RunningGateway;
let proxy: TamperProxy;
let userKey: string;

const start = (): Promise<RunningGateway> => startVerifyGateway({ dataDir, logKey, upstreamUrl: upstream.url });

interface Run {
  code: number;
  out: string;
  result: GatewayVerification;
}

/** The CLI in process, with --json; `state` is the state file. */
async function verify(state: string, ...args: string[]): Promise<Run> {
  let out = '';
  const code = await runCli([proxy.url, '--json', '--state', state, '--timeout', '3000', ...args], {
    stdout: (t) => void (out += t),
    stderr: (t) => void (out += t),
  });
  return { code, out, result: JSON.parse(out) as GatewayVerification };
}

const statusOf = (r: Run): Record<string, string> => Object.fromEntries(r.result.checks.map((c) => [c.id, c.status]));
const detailOf = (r: Run, id: CheckId): string => r.result.checks.find((c) => c.id === id)?.detail ?? '';

/** Exactly `id` failed; every other check passed, warned or was skipped. */
function expectOnlyFailure(r: Run, id: CheckId, code = 1): void {
  const failed = r.result.checks.filter((c) => c.status === 'fail').map((c) => c.id);
  expect(
    failed,
    JSON.stringify(
      r.result.checks.map((c) => [c.id, c.status, c.detail.slice(0, 200)]),
      null,
      1,
    ),
  ).toEqual([id]);
  expect(r.result.verdict).toBe('failed');
  expect(r.code).toBe(code);
}

const HONEST = {
  quote: 'pass',
  hardware: 'warn',
  binding: 'pass',
  measurement: 'warn',
  'startup-log': 'pass',
  'log-consistency': 'pass',
  'audit-log': 'pass',
};

beforeAll(async () => {
  upstream = await startFakeUpstream();
  logKey = await verifyLogKey();
  dataDir = tempDir('sr-verify-');
  gateway = await start();
  proxy = await startTamperProxy(gateway.url);
  userKey = await userKeyFor(gateway.url);
});

afterAll(async () => {
  await proxy?.close();
  await gateway?.close();
  await upstream?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('honest runs against a mock gateway', () => {
  it('every check passes or warns (DEMO), the verdict is demo, exit 3 and 0 with --allow-mock', async () => {
    const state = join(tempDir('sr-state-'), 'state.json');
    const first = await verify(state);
    expect(statusOf(first)).toEqual(HONEST);
    expect(first.result.verdict).toBe('demo');
    expect(first.code).toBe(3);
    expect(detailOf(first, 'hardware')).toMatch(/DEMO, not hardware/);
    expect(detailOf(first, 'log-consistency')).toMatch(/trust on first use/);
    const second = await verify(state, '--allow-mock');
    expect(second.code).toBe(0);
    expect(second.result.verdict).toBe('demo');
    expect(detailOf(second, 'log-consistency')).toMatch(/unchanged since|consistent/);
    const measured = gateway.measurement.hex;
    const expected = await verify(state, '--allow-mock', '--expect-measurement', measured);
    expect(statusOf(expected)['measurement']).toBe('pass');
    expect(expected.code).toBe(0);
  });

  it('the bin, spawned: exit 3 for a demo gateway, 0 with --allow-mock, 2 for usage and for a gateway that is down', async () => {
    const state = join(tempDir('sr-state-'), 'state.json');
    // Asynchronously: the gateway runs in this process and must keep answering.
    const bin = (...args: string[]) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', join(ROOT, 'packages/verify/src/node/cli.ts'), ...args],
          { cwd: ROOT, encoding: 'utf8', timeout: 30_000 },
          (error, stdout, stderr) =>
            resolve({ status: error === null ? 0 : (error.code as number | null), stdout, stderr }),
        );
      });
    const demo = await bin(gateway.url, '--state', state);
    expect(demo.status, demo.stderr + demo.stdout).toBe(3);
    expect(demo.stdout).toMatch(/^! AMD SEV-SNP hardware attestation/m);
    expect(demo.stdout).toMatch(/^DEMO: /m);
    expect((await bin(gateway.url, '--state', state, '--allow-mock')).status).toBe(0);
    expect((await bin('--bogus')).status).toBe(2);
    const down = await bin('http://127.0.0.1:9', '--state', state, '--timeout', '2000');
    expect(down.status).toBe(2);
    expect(down.stdout).toMatch(/^✗ Fresh attestation quote .*could not be reached/m);
  }, 60_000);
});

describe('each tampering fails exactly its check', () => {
  const state = (): string => join(tempDir('sr-state-'), 'state.json');

  it('a report byte flipped → hardware', async () => {
    proxy.tamper = ({ path }, res) => {
      if (path !== '/attestation/quote') return undefined;
      const bundle = parseJson<{ report: string }>(res);
      const report = Buffer.from(bundle.report, 'base64');
      report[0x10] = (report[0x10] ?? 0) ^ 1; // FAMILY_ID, inside the signed part
      return json({ ...bundle, report: report.toString('base64') });
    };
    const r = await verify(state());
    proxy.tamper = undefined;
    expectOnlyFailure(r, 'hardware');
    expect(statusOf(r)['binding']).toBe('skip');
  });

  it('the signing key swapped in the quote → binding', async () => {
    proxy.tamper = ({ path }, res) =>
      path === '/attestation/quote'
        ? json({ ...parseJson<object>(res), signingKey: randomBytes(32).toString('hex') })
        : undefined;
    const r = await verify(state());
    proxy.tamper = undefined;
    expectOnlyFailure(r, 'binding');
    expect(statusOf(r)['hardware']).toBe('warn');
  });

  it('an old quote replayed for a new nonce → binding', async () => {
    const old = (await verify(state())).result;
    expect(old.verdict).toBe('demo');
    const replay = proxy.recorded.get('POST /attestation/quote');
    expect(replay).toBeDefined();
    proxy.tamper = ({ path }) => (path === '/attestation/quote' ? replay : undefined);
    const r = await verify(state());
    proxy.tamper = undefined;
    expectOnlyFailure(r, 'binding');
    expect(detailOf(r, 'binding')).toMatch(/different nonce/);
  });

  it('a measurement different from --expect-measurement → measurement', async () => {
    const real = gateway.measurement.hex;
    const other = `${real.slice(0, 63)}${real.endsWith('0') ? '1' : '0'}`;
    const r = await verify(state(), '--expect-measurement', other);
    expectOnlyFailure(r, 'measurement');
  });

  it('a receipt with its cost edited → receipt (the honest one verifies, with its bytes)', async () => {
    const request = JSON.stringify({ model: 'm-primary', messages: [{ role: 'user', content: 'receipt please' }] });
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${userKey}`, 'content-type': 'application/json' },
      body: request,
    });
    const body = new Uint8Array(await res.arrayBuffer());
    const receipt = res.headers.get('x-saferouter-receipt') ?? '';
    expect(res.status).toBe(200);
    const files = tempDir('sr-receipt-');
    writeFileSync(join(files, 'req.json'), request);
    writeFileSync(join(files, 'res.json'), body);
    const s = state();
    const honest = await verify(
      s,
      '--allow-mock',
      '--receipt',
      receipt,
      '--request-file',
      join(files, 'req.json'),
      '--response-file',
      join(files, 'res.json'),
    );
    expect(statusOf(honest)['receipt'], detailOf(honest, 'receipt')).toBe('pass');
    expect(detailOf(honest, 'receipt')).toMatch(/request and response hash recomputed/);

    const [h, p, sig] = receipt.split('.');
    const payload = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')) as { cost_usd: string };
    payload.cost_usd = payload.cost_usd === '0' ? '0.000001' : '0';
    const edited = [h, Buffer.from(JSON.stringify(payload)).toString('base64url'), sig].join('.');
    const r = await verify(s, '--receipt', edited);
    expectOnlyFailure(r, 'receipt');
    expect(detailOf(r, 'receipt')).toMatch(/signature/);

    const wrongBytes = await verify(s, '--receipt', receipt, '--request-file', join(files, 'res.json'));
    expectOnlyFailure(wrongBytes, 'receipt');
  });
});

describe('bad answers fail the check that read them, never crash or hang', () => {
  const state = (): string => join(tempDir('sr-state-'), 'state.json');
  const cases: [
    string,
    CheckId,
    RegExp,
    (path: string) => ProxiedResponse | undefined | Promise<ProxiedResponse | undefined>,
  ][] = [
    [
      'HTML instead of JSON',
      'quote',
      /did not answer JSON/,
      (p) => (p === '/attestation/quote' ? text('<!doctype html><h1>hi</h1>', 'text/html') : undefined),
    ],
    [
      'malformed JSON',
      'quote',
      /did not answer JSON/,
      (p) => (p === '/attestation/quote' ? text('{"backend": "mock",', 'application/json') : undefined),
    ],
    [
      'a huge body',
      'quote',
      /more than the \d+ (bytes )?accepted/,
      (p) =>
        p === '/attestation/quote' ? text(`{"x":"${'a'.repeat(2 * 1024 * 1024)}"}`, 'application/json') : undefined,
    ],
    [
      'a bundle with wrong types',
      'quote',
      /not an attestation bundle/,
      (p) => (p === '/attestation/quote' ? json({ version: 'one', backend: 7, report: [] }) : undefined),
    ],
    [
      'an error status',
      'quote',
      /HTTP 500/,
      (p) => (p === '/attestation/quote' ? json({ error: { message: 'boom' } }, 500) : undefined),
    ],
    [
      'a slow gateway',
      'quote',
      /did not answer within 3000 ms/,
      async (p) => {
        if (p !== '/attestation/quote') return undefined;
        await new Promise((r) => setTimeout(r, 4000));
        return undefined;
      },
    ],
    [
      'a checkpoint that is not a note',
      'startup-log',
      /checkpoint/,
      (p) => (p === '/attestation/transparency/checkpoint' ? text('not a signed note\n') : undefined),
    ],
    [
      'a short tile',
      'startup-log',
      /tile|entry/,
      (p) =>
        p.startsWith('/attestation/transparency/tile/0/')
          ? text(new Uint8Array(5), 'application/octet-stream')
          : undefined,
    ],
    [
      'a long tile',
      'startup-log',
      /tile|entry/,
      (p) =>
        p.startsWith('/attestation/transparency/tile/0/')
          ? text(new Uint8Array(32 * 300), 'application/octet-stream')
          : undefined,
    ],
    [
      'an audit checkpoint that is not a note',
      'audit-log',
      /checkpoint/,
      (p) => (p === '/attestation/audit/checkpoint' ? text('{"nope":1}') : undefined),
    ],
  ];
  for (const [name, id, detail, tamper] of cases) {
    it(`${name} → ${id}`, async () => {
      proxy.tamper = ({ path }) => tamper(path);
      const r = await verify(state());
      proxy.tamper = undefined;
      expectOnlyFailure(r, id, name === 'a slow gateway' ? 2 : 1); // 2: the gateway did not answer
      expect(detailOf(r, id)).toMatch(detail);
    });
  }
});

describe('options that change the verdict', () => {
  const state = (): string => join(tempDir('sr-state-'), 'state.json');

  it('--require-hardware fails hardware on the mock (exit 1); --strict turns the warnings into a failure', async () => {
    const hw = await verify(state(), '--require-hardware');
    expectOnlyFailure(hw, 'hardware');
    expect(detailOf(hw, 'hardware')).toMatch(/MOCK/);
    const strict = await verify(state(), '--strict', '--allow-mock');
    expect(strict.result.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(strict.result.verdict).toBe('failed');
    expect(strict.code).toBe(1);
  });

  it('--witness: a cosigned checkpoint passes; a witness that did not cosign fails log-consistency, unless --quorum 0', async () => {
    const witness = await createCosigner({ name: 'witness.example/w1', seed: randomBytes(32) });
    const absent = await createCosigner({ name: 'witness.example/w2', seed: randomBytes(32) });
    const honest = await (await fetch(`${gateway.url}/attestation/transparency/checkpoint`)).text();
    const cosigned = await addNoteSignatures(honest, [witness]);
    proxy.tamper = ({ path }) => (path === '/attestation/transparency/checkpoint' ? text(cosigned) : undefined);
    try {
      const ok = await verify(state(), '--allow-mock', '--witness', witness.verifier.vkey);
      expect(ok.code, detailOf(ok, 'log-consistency')).toBe(0);
      expect(detailOf(ok, 'log-consistency')).toMatch(/1 of 1 witnesses cosigned/);
      const missing = await verify(state(), '--witness', absent.verifier.vkey);
      expectOnlyFailure(missing, 'log-consistency');
      expect(detailOf(missing, 'log-consistency')).toMatch(/witnesses do not vouch/);
      const optional = await verify(state(), '--allow-mock', '--witness', absent.verifier.vkey, '--quorum', '0');
      expect(optional.code).toBe(0);
    } finally {
      proxy.tamper = undefined;
    }
  });

  it('--sample-file: the audit sample opens to the holder bytes and is included; a wrong salt fails receipt', async () => {
    const request = JSON.stringify({ model: 'm-primary', messages: [{ role: 'user', content: 'sample me' }] });
    const res = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${userKey}`, 'content-type': 'application/json' },
      body: request,
    });
    const body = new Uint8Array(await res.arrayBuffer());
    const receipt = res.headers.get('x-saferouter-receipt') ?? '';
    const id = res.headers.get('x-request-id') ?? '';
    let sample: { id: string; index: number | null; request_salt: string } | undefined;
    for (let i = 0; i < 100 && (sample === undefined || sample.index === null); i++) {
      const page = (await (
        await fetch(`${gateway.url}/v1/audit/samples?limit=20`, { headers: { authorization: `Bearer ${userKey}` } })
      ).json()) as { data: { id: string; index: number | null; request_salt: string }[] };
      sample = page.data.find((x) => x.id === id);
      if (sample?.index === null || sample === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(sample?.index, 'the sample is integrated').not.toBeNull();
    const files = tempDir('sr-sample-');
    writeFileSync(join(files, 'req.json'), request);
    writeFileSync(join(files, 'res.json'), body);
    writeFileSync(join(files, 'sample.json'), JSON.stringify(sample));
    const args = [
      '--receipt',
      receipt,
      '--request-file',
      join(files, 'req.json'),
      '--response-file',
      join(files, 'res.json'),
    ];
    const ok = await verify(state(), '--allow-mock', ...args, '--sample-file', join(files, 'sample.json'));
    expect(statusOf(ok)['receipt'], detailOf(ok, 'receipt')).toBe('pass');
    expect(detailOf(ok, 'receipt')).toMatch(/audit sample opens to your bytes and is included/);
    const salt = sample!.request_salt;
    writeFileSync(
      join(files, 'bad.json'),
      JSON.stringify({ ...sample, request_salt: `${salt.slice(0, 63)}${salt.endsWith('0') ? '1' : '0'}` }),
    );
    const bad = await verify(state(), ...args, '--sample-file', join(files, 'bad.json'));
    expectOnlyFailure(bad, 'receipt');
    expect(detailOf(bad, 'receipt')).toMatch(/audit sample/);
  });
});

describe('history: a fork or a rollback after the honest log was seen → log-consistency', () => {
  it('remembers the honest log, then catches a validly signed fork and a rolled-back checkpoint', async () => {
    // Phase 1: the first start only (size 1). Record what the honest log served.
    const early = join(tempDir('sr-state-'), 'state.json');
    const firstSight = await verify(early);
    expect(firstSight.result.verdict).toBe('demo');
    const recorded = new Map([...proxy.recorded].filter(([k]) => k.startsWith('GET /attestation/transparency/')));
    const firstSize = parseJson<{ startupIndex: number }>(
      proxy.recorded.get('GET /attestation/verifying-key')!,
    ).startupIndex;

    // Restart on the same data dir: the log now holds two starts; this one is the last.
    await gateway.close();
    gateway = await start();
    proxy.target = gateway.url;

    const seen = join(tempDir('sr-state-'), 'state.json');
    const honest = await verify(seen);
    expect(statusOf(honest)).toEqual(HONEST);
    const index = parseJson<{ startupIndex: number }>(
      proxy.recorded.get('GET /attestation/verifying-key')!,
    ).startupIndex;
    expect(index).toBe(firstSize + 1);
    const caughtUp = await verify(early); // the early verifier follows the log forward: consistent
    expect(statusOf(caughtUp)['log-consistency']).toBe('pass');
    expect(detailOf(caughtUp, 'log-consistency')).toMatch(/consistent, proof of/);

    // A fork signed by the log key: same size, but another entry before this start.
    const entries: Uint8Array[] = [];
    for (let i = 0; i <= index; i++) {
      const e = await (await fetch(`${gateway.url}/attestation/transparency/${i}`)).json();
      entries.push(decodeBase64((e as { entry_base64: string }).entry_base64));
    }
    entries[0] = new TextEncoder().encode('{"forged":"an entry the honest log never had"}');
    const forkStorage = createMemoryTileStorage();
    const fork = await createAppender({
      storage: forkStorage,
      signer: logKey.signer,
      origin: LOG_ORIGIN,
    });
    await fork.append(entries);
    const forkFetch = createStorageFetch(forkStorage);
    proxy.tamper = async ({ path }) => {
      const prefix = '/attestation/transparency/';
      if (!path.startsWith(prefix) || path.includes('?')) return undefined;
      const data = await forkFetch(path.slice(prefix.length));
      return data === null ? text('not found', 'text/plain', 404) : text(data, 'application/octet-stream');
    };
    const forked = await verify(seen);
    proxy.tamper = undefined;
    expectOnlyFailure(forked, 'log-consistency');
    expect(detailOf(forked, 'log-consistency')).toMatch(/SPLIT VIEW/);
    expect(detailOf(forked, 'log-consistency')).toContain('--- remembered');

    // A rollback: the size-1 log recorded in phase 1, with this instance pointed at its first entry
    // (same identity and build on this data dir, so entry 0 names the same key and measurement).
    proxy.tamper = ({ path }, res) => {
      if (path === '/attestation/verifying-key') return json({ ...parseJson<object>(res), startupIndex: firstSize });
      return recorded.get(`GET ${path}`);
    };
    const rolledBack = await verify(seen);
    proxy.tamper = undefined;
    expectOnlyFailure(rolledBack, 'log-consistency');
    expect(detailOf(rolledBack, 'log-consistency')).toMatch(/ROLLBACK/);

    // Nothing was remembered from the failed runs: the honest log still verifies.
    const after = await verify(seen);
    expect(statusOf(after)).toEqual(HONEST);
  });
});

describe('a log key that changed → log-consistency (and audit-log), unless --accept-new-log', () => {
  it('a fresh deployment with a new log key behind the same URL fails; accepted, it starts a new history', async () => {
    const state = join(tempDir('sr-state-'), 'state.json');
    expect((await verify(state, '--allow-mock')).code).toBe(0);
    const other = await startVerifyGateway({
      dataDir: tempDir('sr-verify-other-'),
      logKey: await verifyLogKey(),
      upstreamUrl: upstream.url,
    });
    const before = proxy.target;
    proxy.target = other.url;
    try {
      // Both logs are signed by the log key, so both say so; nothing else fails.
      const changed = await verify(state);
      expect(changed.result.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toEqual([
        'log-consistency',
        'audit-log',
      ]);
      expect(changed.code).toBe(1);
      expect(detailOf(changed, 'log-consistency')).toMatch(/the log's key changed/);
      expect(detailOf(changed, 'audit-log')).toMatch(/the log's key changed/);
      const accepted = await verify(state, '--allow-mock', '--accept-new-log');
      expect(statusOf(accepted)['log-consistency']).toBe('warn');
      expect(statusOf(accepted)['audit-log']).toBe('warn');
      expect(accepted.code).toBe(0);
      const next = await verify(state, '--allow-mock');
      expect(statusOf(next)['log-consistency']).toBe('pass'); // the new log is now the remembered one
    } finally {
      proxy.target = before;
      await other.close();
    }
  });
});
