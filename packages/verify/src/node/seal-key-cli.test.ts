/**
 * `saferouter-verify seal-key` against a fake gateway on a local port (../testing): the provider
 * key from stdin (one trailing newline dropped), the SafeRouter key from SAFEROUTER_API_KEY, the
 * exit codes, `--print`, the upload; and that the provider key appears in no output. Once
 * through `pnpm -s saferouter-verify`, as a user runs it from a checkout.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '@saferouter/attest';
import { startFakeGateway, type FakeGateway } from '../testing/fake-gateway.js';
import { runCli } from './cli.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const API_KEY = 'sk-ant-api03-Hk2v8Qp1-provider-secret-Lm4z';
const ALICE = 'sr-test-alice-0123456789';

let gateway: FakeGateway;
let url: string;
let dir: string;

beforeAll(async () => {
  gateway = await startFakeGateway();
  url = await gateway.listen();
  dir = await mkdtemp(join(tmpdir(), 'saferouter-seal-key-'));
});
afterAll(async () => {
  await gateway.close();
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string;
  err: string;
}

async function sealKey(
  args: string[],
  { stdin = `${API_KEY}\n`, env = { SAFEROUTER_API_KEY: ALICE } as Record<string, string | undefined> } = {},
): Promise<Run> {
  let out = '';
  let err = '';
  const code = await runCli(['seal-key', ...args, '--state', join(dir, 'state.json')], {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    stdin: async () => new TextEncoder().encode(stdin),
    env,
  });
  return { code, out, err };
}

function expectKeyNowhere(run: Run): void {
  expect(run.out).not.toContain(API_KEY);
  expect(run.err).not.toContain(API_KEY);
  expect(run.out).not.toContain(ALICE);
  expect(run.err).not.toContain(ALICE);
}

describe('saferouter-verify seal-key', () => {
  it('--print: prints the sealed POST /v1/byok body, which opens to the stdin key without its newline', async () => {
    const run = await sealKey([url, '--provider', 'anthropic', '--allow-mock', '--print']);
    expect(run.code, run.err).toBe(0);
    const body = JSON.parse(run.out) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['ciphertext', 'enc', 'provider']);
    expect(body['provider']).toBe('anthropic');
    expect(gateway.open(body as { enc: string; ciphertext: string }, 'key_a11ce', 'anthropic')).toBe(API_KEY);
    expect(run.err).toMatch(/sealed the anthropic key for SafeRouter key key_a11ce to build measurement [0-9a-f]{64}/);
    expect(run.err).toMatch(/DEMO/);
    expect(gateway.requests).not.toContain('POST /v1/byok');
    expectKeyNowhere(run);
  });

  it('drops exactly one trailing newline (LF or CRLF), no other whitespace', async () => {
    for (const [input, key] of [
      [`${API_KEY}\r\n`, API_KEY],
      [API_KEY, API_KEY],
      [`${API_KEY}\n\n`, `${API_KEY}\n`],
      [` ${API_KEY}\n`, ` ${API_KEY}`],
    ] as const) {
      const run = await sealKey([url, '--provider', 'openai', '--allow-mock', '--print'], { stdin: input });
      expect(run.code, run.err).toBe(0);
      expect(gateway.open(JSON.parse(run.out) as { enc: string; ciphertext: string }, 'key_a11ce', 'openai')).toBe(key);
    }
  });

  it("uploads by default and prints the gateway's answer; --always-use is sent", async () => {
    const run = await sealKey([url, '--provider', 'openai', '--allow-mock', '--always-use']);
    expect(run.code, run.err).toBe(0);
    const answer = JSON.parse(run.out) as Record<string, unknown>;
    expect(answer).toMatchObject({ provider: 'openai', last4: API_KEY.slice(-4), always_use: true });
    expect(gateway.stored.at(-1)).toMatchObject({ id: answer['id'], keyId: 'key_a11ce', plaintext: API_KEY });
    expectKeyNowhere(run);
  });

  it('is a usage error (exit 2) without SAFEROUTER_API_KEY, --provider, a provider key or a URL', async () => {
    const noEnv = await sealKey([url, '--provider', 'openai', '--allow-mock'], { env: {} });
    expect(noEnv.code).toBe(2);
    expect(noEnv.err).toMatch(/set SAFEROUTER_API_KEY/);
    expect((await sealKey([url, '--provider', 'openai'], { env: { SAFEROUTER_API_KEY: ' ' } })).code).toBe(2);
    expect((await sealKey([url, '--allow-mock'])).err).toMatch(/--provider is required/);
    expect((await sealKey([url, '--provider', 'Open AI'])).code).toBe(2);
    const empty = await sealKey([url, '--provider', 'openai'], { stdin: '\n' });
    expect(empty).toMatchObject({ code: 2 });
    expect(empty.err).toMatch(/stdin held no provider key/);
    const long = await sealKey([url, '--provider', 'openai'], { stdin: 'k'.repeat(4097) });
    expect(long.err).toMatch(/longer than 4096 bytes/);
    expect((await sealKey(['--provider', 'openai'])).code).toBe(2);
    expect((await sealKey(['ftp://x', '--provider', 'openai'])).code).toBe(2);
    expect((await sealKey([url, '--provider', 'openai', '--bogus'])).code).toBe(2);
    const help = await sealKey(['--help']);
    expect(help).toMatchObject({ code: 0 });
    expect(help.out).toMatch(/^usage: saferouter-verify seal-key/);
  });

  it('refuses a mock gateway without --allow-mock: exit 3, says DEMO, sends no key', async () => {
    const before = gateway.requests.length;
    const run = await sealKey([url, '--provider', 'openai']);
    expect(run.code).toBe(3);
    expect(run.err).toMatch(/DEMO/);
    expect(run.err).toMatch(/nothing is hardware-protected/);
    expect(run.out).toBe('');
    expect(gateway.requests.slice(before)).not.toContain('GET /v1/key');
    expectKeyNowhere(run);
  });

  it('refuses when a check fails (exit 1), and when the gateway rejects the SafeRouter key (exit 1)', async () => {
    const wrong = await sealKey([
      url,
      '--provider',
      'openai',
      '--allow-mock',
      '--expect-measurement',
      toHex(new Uint8Array(32).fill(0x43)),
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/refusing to seal: the gateway did not verify \(Build measurement/);
    const pinned = await sealKey([
      url,
      '--provider',
      'openai',
      '--allow-mock',
      '--print',
      '--expect-measurement',
      toHex(gateway.attestor.measurement),
    ]);
    expect(pinned.code, pinned.err).toBe(0);
    const rejected = await sealKey([url, '--provider', 'openai', '--allow-mock'], {
      env: { SAFEROUTER_API_KEY: 'sr-test-nobody-00000000' },
    });
    expect(rejected.code).toBe(1);
    expect(rejected.err).toMatch(/\/v1\/key answered HTTP 401: Invalid API key/);
    expectKeyNowhere(rejected);
  });

  it('is exit 2 when the gateway cannot be reached', async () => {
    const run = await sealKey(['http://127.0.0.1:9', '--provider', 'openai', '--allow-mock', '--timeout', '2000']);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/refusing to seal/);
  });

  it('runs from a checkout as `pnpm -s saferouter-verify seal-key`, key on a real stdin', async () => {
    const child = spawn(
      'pnpm',
      [
        '-s',
        'saferouter-verify',
        'seal-key',
        url,
        '--provider',
        'openai',
        '--allow-mock',
        '--print',
        '--state',
        join(dir, 'spawned.json'),
      ],
      { cwd: ROOT, env: { ...process.env, SAFEROUTER_API_KEY: ALICE }, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.end(`${API_KEY}\n`);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, err).toBe(0);
    const body = JSON.parse(out) as { enc: string; ciphertext: string };
    expect(gateway.open(body, 'key_a11ce', 'openai')).toBe(API_KEY);
    expectKeyNowhere({ code: 0, out, err });
  });
});
