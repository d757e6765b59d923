/**
 * The durability claim behind keeping `synchronous = NORMAL` as the SQLite default: a process
 * killed with SIGKILL mid-stream loses no committed ledger row. A child process credits a key in
 * a loop and reports each commit; the test kills it without warning, reopens the database and
 * checks that every reported credit is there and the balance still equals the ledger.
 * (Power loss is the one thing NORMAL does not cover; that needs `synchronous: 'FULL'`.)
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from './sqlite.js';

const here = dirname(fileURLToPath(import.meta.url));
// tsx's loader, not its CLI: the CLI runs the script in a grandchild that SIGKILL would miss.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;
const KEY_ID = 'key_durable';

const CHILD = `
import { openSqliteStore } from ${JSON.stringify(pathToFileURL(join(here, 'sqlite.ts')).href)};
const store = await openSqliteStore({ dataDir: process.argv[2] });
await store.keys.insert({ id: '${KEY_ID}', name: 'k', prefix: 'sk-sr-abcdef…', hash: '${'a'.repeat(64)}', role: 'user', createdAt: 1 });
// Bounded, so that even a child the test fails to kill cannot run for long.
for (let i = 0; i < 20000; i++) {
  await store.billing.credit({ id: 'led_' + i, keyId: '${KEY_ID}', amountMicros: 1, kind: 'topup', ts: i + 1 });
  process.stdout.write(i + '\\n'); // only after the commit returned
}
`;

describe('sqlite durability', () => {
  let root: string | undefined;
  let running: ChildProcess | undefined;
  afterEach(() => {
    if (running?.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('keeps every committed ledger row when the writer is killed with SIGKILL', async () => {
    root = mkdtempSync(join(tmpdir(), 'saferouter-kill-'));
    const dataDir = join(root, 'data');
    const script = join(root, 'child.mts');
    writeFileSync(script, CHILD);

    const child = spawn(process.execPath, ['--import', tsxLoader, script, dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running = child;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const lastReported = await new Promise<number>((resolve, reject) => {
      let buffered = '';
      let last = -1;
      child.stdout.on('data', (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) last = Number(line);
        // Kill well into the stream, while it is writing as fast as it can.
        if (last >= 300 && child.exitCode === null) {
          child.kill('SIGKILL');
          resolve(last);
        }
      });
      child.on('exit', (code, signal) => {
        if (signal !== 'SIGKILL') reject(new Error(`child exited early (${code}): ${stderr}`));
      });
    });
    await new Promise((resolve) => child.once('close', resolve));

    const store = await openSqliteStore({ dataDir });
    try {
      const sum = await store.billing.ledgerSum(KEY_ID);
      expect(sum).toBeGreaterThanOrEqual(lastReported + 1);
      expect((await store.billing.balance(KEY_ID)).balanceMicros).toBe(sum);
    } finally {
      await store.close();
    }
  }, 20_000);
});
