/**
 * The startup transparency log against real gateways: every start appends a record whose
 * embedded attestation answers a nonce derived from the record; the checkpoint is signed by the
 * key the attestation binds; entries come with inclusion proofs and the log with consistency
 * proofs; the tlog-tiles API is read by the command-line verifier over HTTP; and gateways killed
 * with SIGKILL in the middle of starting (and appending) leave a log that still verifies end to
 * end.
 */
import { fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, verifyBundle } from '@saferouter/attest';
import {
  decodeBase64,
  openCheckpoint,
  parseVerifierKey,
  verifyConsistency,
  verifyInclusion,
  leafHash,
} from '@saferouter/tlog';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { parseCatalogConfig } from '@saferouter/router';
import { fakeCatalogJson, startTestGateway } from './helpers.js';
import { killAllGateways, spawnGateway } from './child-gateway.js';
import { startupNonce, type StartupRecord } from '@saferouter/audit';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const cli = join(root, 'packages/tlog/src/node/cli.ts');
const tsx = join(root, 'node_modules/.bin/tsx');

let upstream: FakeUpstream;
let dir: string;

beforeAll(async () => {
  upstream = await startFakeUpstream();
  dir = mkdtempSync(join(tmpdir(), 'sr-tlog-e2e-'));
});
afterAll(async () => {
  await killAllGateways();
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface HeadJson {
  origin: string;
  size: number;
  root_hash: string;
  note: string;
  vkey: string;
}
interface EntryJson {
  index: number;
  leaf_hash: string;
  record: StartupRecord;
  entry_base64: string;
  inclusion_proof: string[];
  checkpoint: HeadJson;
}

const getJson = async <T>(url: string): Promise<T> => {
  const res = await fetch(url);
  expect(res.status, `${url}: ${await res.clone().text()}`).toBe(200);
  return (await res.json()) as T;
};

/** Async: the in-process gateway must keep serving while the CLI reads from it. */
function runCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(tsx, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

describe('startup log', () => {
  it('records every start, signed by one deployment log key across builds, with inclusion and consistency proofs', async () => {
    const dataDir = join(dir, 'three-starts');
    const heads: HeadJson[] = [];
    const signingKeys: string[] = [];
    let base = '';
    for (let i = 0; i < 3; i++) {
      // The third start is another build: a changed price is a new measurement, so new identity keys.
      const catalog = fakeCatalogJson(upstream.url);
      if (i === 2) (catalog['models'] as { pricing: { inputPerMillion: number } }[])[0]!.pricing.inputPerMillion = 0.31;
      const gw = await startTestGateway(upstream.url, { dataDir, catalog: parseCatalogConfig(catalog) });
      base = `${gw.url}/attestation/transparency`;
      heads.push(await getJson<HeadJson>(`${base}/head?format=json`));
      signingKeys.push((await getJson<{ signingKey: string }>(`${gw.url}/attestation/verifying-key`)).signingKey);
      // The audit log, signed by the same key, still verifies after the build changed.
      await getJson(`${gw.url}/attestation/audit/head?format=json`);
      if (i < 2) await gw.close();
      else {
        // The plain head is the signed note itself.
        const text = await (await fetch(`${base}/head`)).text();
        expect(text).toBe(heads[2]!.note);

        expect(heads.map((h) => h.size)).toEqual([1, 2, 3]);
        expect(signingKeys[1]).toBe(signingKeys[0]);
        expect(signingKeys[2]).not.toBe(signingKeys[0]);
        // The log key is a deployment key: the same for every start and build, and not an identity key.
        expect(new Set(heads.map((h) => h.vkey)).size).toBe(1);
        const verifier = parseVerifierKey(heads[2]!.vkey);
        expect(signingKeys).not.toContain(Buffer.from(verifier.publicKey).toString('hex'));
        const opened = await openCheckpoint(heads[2]!.note, { verifier, origin: heads[2]!.origin });
        expect(opened.checkpoint.size).toBe(3);

        // Each entry: inclusion in the latest tree, and an attestation answering its own nonce.
        for (let index = 0; index < 3; index++) {
          const e = await getJson<EntryJson>(`${base}/${index}`);
          const entry = decodeBase64(e.entry_base64);
          expect(e.leaf_hash).toBe(Buffer.from(leafHash(entry)).toString('base64'));
          expect(
            verifyInclusion({
              index,
              size: 3,
              leafHash: leafHash(entry),
              proof: e.inclusion_proof.map(decodeBase64),
              rootHash: opened.checkpoint.rootHash,
            }).ok,
          ).toBe(true);
          expect(e.record.type).toBe('saferouter/startup/v1');
          expect(e.record.keys.signing).toBe(signingKeys[index]);
          expect(e.record.keys.log).toBe(heads[2]!.vkey);
          expect(e.record.attestation).toMatchObject({ backend: 'mock', hardware: false });
          const verdict = await verifyBundle(e.record.attestation.bundle, {
            nonce: startupNonce(e.record.time, e.record.audience),
            expectedMeasurement: fromHex(e.record.build.measurement),
          });
          expect(verdict.ok, JSON.stringify(verdict.checks)).toBe(true);
        }

        // Consistency: each earlier head is a prefix of the latest.
        for (const earlier of heads.slice(0, 2)) {
          const c = await getJson<{ proof: string[] }>(`${base}/consistency?from=${earlier.size}&to=3`);
          expect(
            verifyConsistency({
              size1: earlier.size,
              size2: 3,
              proof: c.proof.map(decodeBase64),
              rootHash1: decodeBase64(earlier.root_hash),
              rootHash2: opened.checkpoint.rootHash,
            }).ok,
          ).toBe(true);
        }

        // Paging, bad parameters, tiles.
        const page = await getJson<{ size: number; entries: { index: number }[]; next_start: number | null }>(
          `${base}?start=1&limit=1`,
        );
        expect(page.entries.map((x) => x.index)).toEqual([1]);
        expect(page.next_start).toBe(2);
        for (const bad of [
          '/consistency?from=0',
          '/consistency?from=2&to=9',
          '/consistency?from=x',
          '?start=-1',
          '?limit=1e3',
        ]) {
          const res = await fetch(`${base}${bad}`);
          expect(res.status, bad).toBe(400);
          expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
        }
        expect((await fetch(`${base}/99`)).status).toBe(404);
        expect((await fetch(`${base}/tile/0/000`)).status).toBe(404); // only the partial tile exists
        const partial = await fetch(`${base}/tile/0/000.p/3`);
        expect(partial.status).toBe(200);
        expect(partial.headers.get('cache-control')).toBe('no-cache');
        expect((await partial.arrayBuffer()).byteLength).toBe(3 * 32);

        // The command-line verifier reads the tiles over HTTP and proves entry 1.
        const ok = await runCli(['verify', base, '--vkey', heads[2]!.vkey, '--entry', '1']);
        expect(ok.status, ok.stderr).toBe(0);
        expect(ok.stdout).toContain('saferouter/startup/v1');
        const wrongKey = await runCli([
          'verify',
          base,
          '--vkey',
          parseVerifierKey(heads[2]!.vkey).vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+'),
        ]);
        expect(wrongKey.status).toBe(1);
        await gw.close();
      }
    }
  }, 120_000);

  it('keeps the origin it was created with when the audience (or host name) changes', async () => {
    const dataDir = join(dir, 'audience');
    const a = await startTestGateway(upstream.url, { dataDir, audience: 'first.example' });
    await a.close();
    const b = await startTestGateway(upstream.url, { dataDir, audience: 'second.example' });
    const base = `${b.url}/attestation/transparency`;
    const head = await getJson<HeadJson>(`${base}/head?format=json`);
    expect(head.origin).toBe('first.example/saferouter/startup');
    expect(head.size).toBe(2);
    expect((await getJson<EntryJson>(`${base}/1`)).record.audience).toBe('second.example');
    await b.close();
  }, 60_000);

  it('gateways and appenders killed with SIGKILL mid-append leave a log that verifies end to end', async () => {
    const dataDir = join(dir, 'crashes');
    const configPath = join(dir, 'crash-config.json');
    writeFileSync(configPath, JSON.stringify(fakeCatalogJson(upstream.url)));
    const adminKey = `sk-sr-${randomBytes(32).toString('base64url')}`;
    const env = {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      SAFEROUTER_DATA_DIR: dataDir,
      SAFEROUTER_CONFIG: configPath,
      SAFEROUTER_ADMIN_KEY: adminKey,
      SAFEROUTER_TSM_ROOT: join(dataDir, 'no-tsm'),
    };
    // A first clean start creates the database and the identity, and times a start.
    const t0 = Date.now();
    const first = await spawnGateway({ dataDir, configPath, adminKey });
    const startMs = Date.now() - t0;
    await first.stop();

    /** Runs `script` and SIGKILLs it `afterMs` after it printed `marker` (or after starting). */
    const killAt = async (script: string, args: string[], afterMs: number, marker?: string): Promise<string> => {
      const child = fork(script, args, {
        execArgv: ['--import', 'tsx'],
        env,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      let out = '';
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        timer ??= setTimeout(() => child.kill('SIGKILL'), afterMs);
      };
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (marker !== undefined && out.includes(marker)) arm();
      });
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      if (marker === undefined) arm();
      const failsafe = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await new Promise((resolve) => child.once('exit', resolve));
      clearTimeout(timer);
      clearTimeout(failsafe);
      return out;
    };
    // Gateways killed at random points of their start (the append is its last step)…
    const server = fileURLToPath(new URL('../src/server.ts', import.meta.url));
    let listened = 0;
    for (let i = 0; i < 6; i++) {
      if ((await killAt(server, [], Math.floor(startMs * (0.5 + Math.random() * 0.6)))).includes('listening on'))
        listened++;
    }
    // …and a process appending back to back, killed at random moments: almost surely mid-append.
    const loop = fileURLToPath(new URL('./tlog-append-loop.ts', import.meta.url));
    // At least 5 kills, and on until the log is past one full tile (256 entries).
    let appended = 0;
    let loops = 0;
    for (let i = 0; i < 40 && (i < 5 || appended < 300); i++, loops++) {
      const out = await killAt(loop, [dataDir], 300 + Math.floor(Math.random() * 600), 'appending');
      expect(out).toContain('appending');
      appended = Math.max(appended, ...[...out.matchAll(/appended (\d+)/g)].map((m) => Number(m[1])));
    }

    const last = await spawnGateway({ dataDir, configPath, adminKey });
    const base = `${last.url}/attestation/transparency`;
    const head = await getJson<HeadJson>(`${base}/head?format=json`);
    expect(head.size).toBeGreaterThan(256);
    // Past 256 entries the first level-0 tile is full: immutable, cacheable, and a prefix of nothing else.
    const full = await fetch(`${base}/tile/0/000`);
    expect(full.status).toBe(200);
    expect(full.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await full.arrayBuffer()).byteLength).toBe(256 * 32);
    expect((await fetch(`${base}/tile/entries/000`)).status).toBe(200);
    const verified = await runCli(['verify', base, '--vkey', head.vkey, '--audit', '--entry', String(head.size - 1)]);
    expect(verified.status, `${verified.stdout}\n${verified.stderr}`).toBe(0);
    console.log(
      `tlog crash: 6 gateway starts and ${loops} back-to-back appenders killed with SIGKILL (${listened} starts had finished); the log of ${head.size} entries verifies end to end with the CLI (--audit)`,
    );
    await last.stop();
  }, 180_000);
});
