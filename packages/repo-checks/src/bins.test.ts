/**
 * Every `bin` a workspace package declares works as installed: the package's `build` script
 * (tsc, as `pnpm build` runs it) emits the file the `bin` entry names, with a shebang, and plain
 * `node` runs it: no tsx, no loader, nothing from NODE_OPTIONS. Each CLI then does one real job
 * from its built file: `saferouter-tlog` makes a key and verifies a small log signed with it,
 * `saferouter-attest` verifies a published SEV-SNP report.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAppender, parseSignerKey } from '@saferouter/tlog';
import { createDirectoryTileStorage } from '@saferouter/tlog/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const BUILD_SCRIPT = 'tsc -p tsconfig.build.json';

interface Bin {
  name: string;
  packageDir: string;
  file: string;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every `bin` of every workspace package under packages/ and apps/. */
function workspaceBins(): Bin[] {
  const bins: Bin[] = [];
  for (const group of ['packages', 'apps']) {
    for (const name of readdirSync(join(REPO_ROOT, group))) {
      const packageDir = join(REPO_ROOT, group, name);
      const manifest = join(packageDir, 'package.json');
      if (!existsSync(manifest)) continue;
      const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: Record<string, string> };
      for (const [binName, file] of Object.entries(bin ?? {}))
        bins.push({ name: binName, packageDir, file: join(packageDir, file) });
    }
  }
  return bins;
}

function spawnNode(args: string[], cwd: string): Promise<Run> {
  return new Promise((done, fail) => {
    // A clean NODE_OPTIONS: the bin must run without any loader the test runner might pass on.
    const child = spawn(process.execPath, args, {
      cwd,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

const bins = workspaceBins();
const binNamed = (name: string): Bin => {
  const bin = bins.find((b) => b.name === name);
  if (bin === undefined) throw new Error(`no workspace package declares the bin ${name}`);
  return bin;
};
const runBin = (name: string, ...args: string[]): Promise<Run> => spawnNode([binNamed(name).file, ...args], REPO_ROOT);
const work = mkdtempSync(join(tmpdir(), 'saferouter-bins-'));

beforeAll(async () => {
  // Build each package with a bin once, exactly as its `build` script does.
  const packageDirs = [...new Set(bins.map((b) => b.packageDir))];
  await Promise.all(
    packageDirs.map(async (dir) => {
      const { scripts } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        scripts?: Record<string, string>;
      };
      // tsc, optionally followed by a node script (e.g. one bundling the CLI into one file).
      const script = scripts?.['build'] ?? '';
      const extra = /^tsc -p tsconfig\.build\.json && node ([\w.-]+\.mjs)$/.exec(script)?.[1];
      expect(extra !== undefined || script === BUILD_SCRIPT, `${dir}: build script ${script}`).toBe(true);
      const build = await spawnNode([TSC, '-p', 'tsconfig.build.json'], dir);
      expect(build.stdout + build.stderr, `${dir}: tsc output`).toBe('');
      expect(build.code, `${dir}: tsc exit code`).toBe(0);
      if (extra !== undefined) {
        const post = await spawnNode([extra], dir);
        expect(post.stdout + post.stderr, `${dir}: node ${extra} output`).toBe('');
        expect(post.code, `${dir}: node ${extra} exit code`).toBe(0);
      }
    }),
  );
}, 120_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('workspace bins, built and run with plain node', { timeout: 30_000 }, () => {
  it('include saferouter-tlog, saferouter-attest and saferouter-verify, each a built file with a node shebang', () => {
    expect(bins.map((b) => b.name).sort()).toEqual(
      expect.arrayContaining(['saferouter-attest', 'saferouter-tlog', 'saferouter-verify']),
    );
    for (const bin of bins) {
      expect(bin.file, bin.name).toMatch(/[/\\]dist[/\\]/);
      expect(readFileSync(bin.file, 'utf8').split('\n')[0], bin.name).toBe('#!/usr/bin/env node');
    }
  });

  it('print their usage for --help (exit 0)', async () => {
    for (const bin of bins) {
      const help = await runBin(bin.name, '--help');
      expect(help.stderr, bin.name).toBe('');
      expect(help.code, bin.name).toBe(0);
      expect(help.stdout, bin.name).toMatch(new RegExp(`^(?:usage|Usage):.*\\b${bin.name} `, 's'));
    }
  });

  it('saferouter-tlog: keygen, then verify a log signed with that key (exit 0), and reject another key (exit 1)', async () => {
    const keygen = await runBin('saferouter-tlog', 'keygen', 'example.com/bin-test');
    expect(keygen.code).toBe(0);
    const [skey, vkey] = keygen.stdout.trim().split('\n');
    expect(skey).toMatch(/^PRIVATE\+KEY\+example\.com\/bin-test\+[0-9a-f]{8}\+/);
    expect(vkey).toMatch(/^example\.com\/bin-test\+[0-9a-f]{8}\+/);

    const dir = join(work, 'log');
    mkdirSync(dir);
    const appender = await createAppender({
      storage: createDirectoryTileStorage(dir),
      signer: await parseSignerKey(skey ?? ''),
    });
    await appender.append(['first', 'second', 'third'].map((line) => new TextEncoder().encode(line)));

    const verify = await runBin('saferouter-tlog', 'verify', dir, '--vkey', vkey ?? '', '--entry', '1');
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^verified example\.com\/bin-test at size 3, root /m);
    expect(verify.stdout).toMatch(/entry 1 \(6 bytes\):\nsecond\n$/);

    const other =
      (await runBin('saferouter-tlog', 'keygen', 'example.com/bin-test')).stdout.trim().split('\n')[1] ?? '';
    const rejected = await runBin('saferouter-tlog', 'verify', dir, '--vkey', other);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr).toMatch(/^saferouter-tlog: /);
  });

  it('saferouter-attest: verifies the Milan VCEK report with --allow-debug (exit 0), refuses it without (exit 1)', async () => {
    const vectors = process.env['SAFEROUTER_VECTORS'] ?? resolve(REPO_ROOT, '../shared/vectors');
    const report = join(vectors, 'sev-snp', 'go-sev-guest-milan', 'report.bin');
    expect(existsSync(report), `test vectors at ${vectors} (set SAFEROUTER_VECTORS)`).toBe(true);
    const args = [
      'verify-report',
      '--report',
      report,
      '--cert',
      join(vectors, 'sev-snp', 'go-sev-guest-milan', 'vcek.der'),
    ];

    const ok = await runBin('saferouter-attest', ...args, '--allow-debug');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/AMD SEV-SNP hardware attestation verified \(Milan, VCEK/);

    const refused = await runBin('saferouter-attest', ...args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^FAIL policy\.debug: /m);
  });

  it('saferouter-verify: exit 2, naming the gateway, when it cannot be reached; exit 2 on a usage error', async () => {
    const down = await runBin('saferouter-verify', 'http://127.0.0.1:9', '--state', join(work, 'verify-state.json'));
    expect(down.code).toBe(2);
    expect(down.stdout).toMatch(
      /^✗ Fresh attestation quote +http:\/\/127\.0\.0\.1:9\/attestation\/quote could not be reached/m,
    );
    const usage = await runBin('saferouter-verify', 'ftp://example.com');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^saferouter-verify: url must be an http:\/\/ or https:\/\/ URL/);
  });

  it('exit 2 from saferouter-attest on a usage error, with the usage on stderr', async () => {
    const usage = await runBin('saferouter-attest', 'no-such-command');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/unknown command 'no-such-command'\nusage:/);
  });
});
