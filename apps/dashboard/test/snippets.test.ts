/**
 * The Models page's "Try it" snippets run as written: the curl one through bash and curl, the
 * TypeScript one (plain JavaScript, in fact) through Node with the published openai package,
 * both with a real key against a real gateway's demo model. A snippet that drifts from the API
 * fails here, not in a user's terminal. (The Python one needs the openai Python package, which
 * this machine cannot install: it is only checked for the same URL, key and model.)
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snippet } from '../src/lib/snippets.js';
import { startTestGateway, type TestGateway } from '../../gateway/test/helpers.js';
import { APP_DIR } from './fixtures.js';

const MODEL = 'saferouter/demo';
// Asynchronous: the gateway runs in this process, and a blocked event loop would never answer.
const run = promisify(execFile);

describe('"Try it" snippets against a real gateway', { timeout: 60_000 }, () => {
  let gw: TestGateway;
  // Inside node_modules, so the published openai package resolves from the script.
  const dir = join(APP_DIR, 'node_modules', '.snippet-test');

  beforeAll(async () => {
    gw = await startTestGateway('http://127.0.0.1:9');
    mkdirSync(dir, { recursive: true });
  });
  afterAll(async () => {
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('curl: answers the demo model', async () => {
    const { stdout } = await run('bash', ['-c', snippet('curl', gw.url, MODEL, gw.userKey)]);
    const body = JSON.parse(stdout) as { model: string; choices: { message: { content: string } }[] };
    expect(body.model).toBe(MODEL);
    expect(body.choices[0]?.message.content).toContain('You said: "Hello!"');
  });

  it('TypeScript (openai SDK): prints the demo model’s answer', async () => {
    const file = join(dir, 'snippet.mjs');
    writeFileSync(file, snippet('typescript', gw.url, MODEL, gw.userKey));
    const { stdout } = await run(process.execPath, [file]);
    expect(stdout).toContain('You said: "Hello!"');
  });

  it('Python: names the same base URL, key and model', () => {
    const text = snippet('python', gw.url, MODEL, gw.userKey);
    expect(text).toContain(`base_url="${gw.url}/v1"`);
    expect(text).toContain(`api_key="${gw.userKey}"`);
    expect(text).toContain(`model="${MODEL}"`);
  });

  it('a quote in the model id stays inside curl’s JSON argument', async () => {
    const model = "it's'; touch /tmp/pwned; '";
    // A shell function stands in for curl and prints the arguments it was given, one per line.
    const shim = `curl() { printf '%s\\n' "$@"; }\n${snippet('curl', 'http://127.0.0.1:9', model, 'sk-sr-x')}`;
    const { stdout } = await run('bash', ['-c', shim]);
    const args = stdout.trimEnd().split('\n');
    const json = args[args.indexOf('-d') + 1] ?? '';
    expect((JSON.parse(json) as { model: string }).model).toBe(model);
  });
});
