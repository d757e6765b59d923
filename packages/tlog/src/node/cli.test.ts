/**
 * The CLI as a user runs it: spawned through tsx against a directory log written by the
 * directory storage and against the same log served over HTTP, on the happy path and with a
 * corrupted tile, a tampered checkpoint, a wrong key and bad usage (exit 1 with the reason).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, cp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utf8Encode } from '../encoding/bytes.js';
import { generateSignerKey, parseSignerKey } from '../note/keys.js';
import { createAppender } from '../tiles/appender.js';
import { createDirectoryTileFetch } from './directory-fetch.js';
import { createDirectoryTileStorage } from './directory-storage.js';
import { runCli } from './cli.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../../..');
const cli = join(here, 'cli.ts');
const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(tsx, [cli, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

let dir: string;
let vkey: string;
let server: Server;
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tlog-cli-'));
  const key = await generateSignerKey('example.com/cli-log', { seed: new Uint8Array(32).fill(8) });
  vkey = key.vkey;
  const appender = await createAppender({ storage: createDirectoryTileStorage(dir), signer: key.signer });
  await appender.append(Array.from({ length: 700 }, (_, i) => utf8Encode(`log line ${i}`)));
  await appender.append([new Uint8Array([0, 1, 2, 255])]);
  const fetch = createDirectoryTileFetch(dir);
  server = createServer((req, res) => {
    void fetch((req.url ?? '/').replace(/^\/log\//, '')).then((body) => {
      if (body === null) res.writeHead(404).end();
      else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/log/`;
}, 30_000);

afterAll(async () => {
  await new Promise((closed) => server.close(closed));
  await rm(dir, { recursive: true, force: true });
});

describe('saferouter-tlog verify (spawned)', () => {
  it('verifies a directory log and prints the entry (exit 0)', async () => {
    const result = await run(['verify', dir, '--vkey', vkey, '--entry', '517']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ok   tiles.root');
    expect(result.stdout).toContain('ok   entry.inclusion');
    expect(result.stdout).toMatch(/entry 517 \(\d+ bytes\):\nlog line 517\n$/);
  }, 30_000);

  it('verifies the same log over HTTP, printing a binary entry as base64', async () => {
    const result = await run([
      'verify',
      url,
      '--vkey',
      vkey,
      '--entry',
      '700',
      '--audit',
      '--origin',
      'example.com/cli-log',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ok   tiles.audit');
    expect(result.stdout).toContain('base64:AAEC/w==');
  }, 30_000);

  it('exits 1 with the reason for a corrupted tile', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'tlog-cli-bad-'));
    try {
      await cp(dir, copy, { recursive: true });
      const tile = join(copy, 'tile', '0', '001'); // a full tile: entry 300's siblings
      const data = await readFile(tile);
      data[40]! ^= 0x80;
      await writeFile(tile, data);
      const result = await run(['verify', copy, '--vkey', vkey, '--entry', '300']);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('FAIL entry.inclusion');
      expect(result.stderr).toMatch(/verification failed: .*inclusion proof does not lead to the root hash/);

      const partial = join(copy, 'tile', '0', '002.p', '189'); // the right edge: breaks the root itself
      const edge = await readFile(partial);
      edge[0]! ^= 1;
      await writeFile(partial, edge);
      const rootCheck = await run(['verify', copy, '--vkey', vkey]);
      expect(rootCheck.code).toBe(1);
      expect(rootCheck.stderr).toMatch(/verification failed: tiles do not hash to the checkpoint root/);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('runCli (in process)', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) } };
  };

  it('fails on a tampered checkpoint, a wrong key, a missing log and bad usage', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'tlog-cli-cp-'));
    try {
      await cp(dir, copy, { recursive: true });
      const note = await readFile(join(copy, 'checkpoint'), 'utf8');
      await writeFile(join(copy, 'checkpoint'), note.replace('\n701\n', '\n700\n'));
      const tampered = io();
      expect(await runCli(['verify', copy, '--vkey', vkey], tampered.io)).toBe(1);
      expect(tampered.err.join('')).toMatch(/does not verify/);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
    const other = await generateSignerKey('example.com/cli-log', { seed: new Uint8Array(32).fill(9) });
    const wrongKey = io();
    expect(await runCli(['verify', dir, '--vkey', other.vkey], wrongKey.io)).toBe(1);
    expect(wrongKey.err.join('')).toMatch(/no signature by a known key/);
    const missing = io();
    expect(await runCli(['verify', join(dir, 'nope'), '--vkey', vkey], missing.io)).toBe(1);
    expect(missing.err.join('')).toMatch(/no checkpoint/);
    for (const args of [
      ['verify', dir],
      ['check', dir, '--vkey', vkey],
      ['verify', dir, '--vkey', 'garbage'],
      ['verify', dir, '--vkey', vkey, '--entry', '-1'],
      ['verify', dir, '--vkey', vkey, '--bogus'],
    ]) {
      const bad = io();
      expect(await runCli(args, bad.io), args.join(' ')).toBe(1);
      expect(bad.err.join('')).toMatch(/saferouter-tlog: /);
    }
    const help = io();
    expect(await runCli(['--help'], help.io)).toBe(0);
    expect(help.out.join('')).toContain('Usage: saferouter-tlog verify');
  });
});

describe('saferouter-tlog keygen', () => {
  it('prints a signer key and its verifier key, which sign and verify together', async () => {
    const out: string[] = [];
    const code = await runCli(['keygen', 'example.com/new-log'], {
      stdout: (t) => out.push(t),
      stderr: (t) => out.push(t),
    });
    expect(code).toBe(0);
    const [skey, vk] = out.join('').trim().split('\n');
    expect(skey).toMatch(/^PRIVATE\+KEY\+example\.com\/new-log\+[0-9a-f]{8}\+/);
    const signer = await parseSignerKey(skey!);
    expect(signer.verifier.vkey).toBe(vk);
    // Two runs never print the same key.
    const again: string[] = [];
    await runCli(['keygen', 'example.com/new-log'], { stdout: (t) => again.push(t), stderr: (t) => again.push(t) });
    expect(again.join('')).not.toBe(out.join(''));
    expect(await runCli(['keygen'], { stdout: () => undefined, stderr: () => undefined })).toBe(1);
    expect(await runCli(['keygen', 'bad name'], { stdout: () => undefined, stderr: () => undefined })).toBe(1);
  });
});
