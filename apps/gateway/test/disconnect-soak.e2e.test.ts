/**
 * 1,000 clients disconnect mid-stream from a gateway running in its own process. The process must
 * stay up, every upstream request must be aborted, and memory (after GC) must stay flat.
 * Node 20's `Readable.toWeb()` response path crashed a whole process in exactly this case.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeUpstream, type FakeUpstream } from '@saferouter/fake-upstream';
import { ADMIN_KEY, fakeCatalogJson } from './helpers.js';

const here = fileURLToPath(new URL('.', import.meta.url));
let upstream: FakeUpstream;
let child: ChildProcess;
let url = '';
let key = '';
let dir = '';

interface Mem {
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
}

function mem(): Promise<Mem> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as Mem));
    child.send('mem');
  });
}

beforeAll(async () => {
  upstream = await startFakeUpstream({ record: true });
  dir = mkdtempSync(join(tmpdir(), 'sr-soak-'));
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(fakeCatalogJson(upstream.url)));
  child = fork(join(here, '../src/server.ts'), [], {
    execArgv: ['--expose-gc', '--import', 'tsx', '--import', join(here, 'gc-probe.mjs')],
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      SAFEROUTER_DATA_DIR: join(dir, 'data'),
      SAFEROUTER_CONFIG: configPath,
      SAFEROUTER_ADMIN_KEY: ADMIN_KEY,
      FAKE_UP_KEY: 'k',
      SAFEROUTER_DEMO_CHUNK_DELAY_MS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    child.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
    child.once('exit', (code) => reject(new Error(`gateway exited early with ${code}: ${out}`)));
  });
  const res = await fetch(`${url}/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: '{"name":"soak","credit_usd":"100"}',
  });
  key = ((await res.json()) as { key: string }).key;
}, 60_000);

afterAll(async () => {
  child?.kill('SIGTERM');
  await upstream?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Opens a stream, waits for its first bytes, then destroys the connection. */
function disconnectAfterFirstChunk(): Promise<void> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ model: 'm-primary', stream: true, messages: [{ role: 'user', content: 'soak' }] });
    const u = new URL(`${url}/v1/chat/completions`);
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent: false,
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`status ${res.statusCode}`));
          return;
        }
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve() : reject(err)));
    req.end(body);
  });
}

async function soak(n: number, concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        next += 1;
        await disconnectAfterFirstChunk();
      }
    }),
  );
}

it('1,000 mid-stream disconnects: process up, upstream aborted, memory flat', async () => {
  upstream.setBehavior('m-primary', { chunks: 200, chunkDelayMs: 20 });
  await soak(200, 20); // warm-up: JIT, pools, caches
  await new Promise((r) => setTimeout(r, 300));
  const before = await mem();
  await soak(1000, 20);
  await upstream.waitFor((rs) => rs.filter((r) => r.aborted).length >= 1200, 10_000);
  await new Promise((r) => setTimeout(r, 300));
  const after = await mem();

  expect(child.exitCode).toBeNull();
  expect((await fetch(`${url}/health`)).status).toBe(200);
  expect(upstream.requests.filter((r) => r.finished)).toHaveLength(0);
  const growth = after.heapUsed - before.heapUsed;
  console.log(
    `soak heap: before ${(before.heapUsed / 1048576).toFixed(1)} MiB, after ${(after.heapUsed / 1048576).toFixed(1)} MiB, growth ${(growth / 1024).toFixed(0)} KiB`,
  );
  // 1,000 leaked request contexts would be several MiB; allow GC noise only.
  expect(growth).toBeLessThan(2 * 1024 * 1024);
}, 120_000);
