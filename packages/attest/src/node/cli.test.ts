/**
 * The CLI, spawned as users run it: `tsx packages/attest/src/node/cli.ts …`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { REPO_ROOT, vectorsDir } from '../testing/vectors.js';
import { createAttestor } from './attestor.js';

const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(REPO_ROOT, 'packages', 'attest', 'src', 'node', 'cli.ts');
const snp = (p: string): string => join(vectorsDir(), 'sev-snp', p);
const work = mkdtempSync(join(tmpdir(), 'saferouter-attest-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(TSX, [CLI, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const vcekArgs = [
  'verify-report',
  '--report',
  snp('go-sev-guest-milan/report.bin'),
  '--cert',
  snp('go-sev-guest-milan/vcek.der'),
];
const vlekArgs = [
  'verify-report',
  '--report',
  snp('trustee-milan-vlek/report.bin'),
  '--cert',
  snp('trustee-milan-vlek/vlek.der'),
];

describe('saferouter-attest CLI', { timeout: 60_000 }, () => {
  it('refuses the DEBUG Milan VCEK report by default, naming policy.debug (exit 1)', () => {
    const r = run(...vcekArgs);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^FAIL policy\.debug: DEBUG is set/m);
    expect(r.stdout).toMatch(/ok {3}report\.signature/);
  });

  it('accepts it with --allow-debug (exit 0)', () => {
    const r = run(...vcekArgs, '--allow-debug');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/AMD SEV-SNP hardware attestation verified \(Milan, VCEK/);
  });

  it('accepts the Milan VLEK report (VMPL 1) at a time its certificate was valid, with and without --chain', () => {
    const r = run(
      ...vlekArgs,
      '--at',
      '2025-06-01T00:00:00Z',
      '--chain',
      snp('trustee-milan-vlek/ask_ark_asvk.pem'),
      '--json',
    );
    expect(r.code).toBe(0);
    const verdict = JSON.parse(r.stdout) as {
      ok: boolean;
      hardware: boolean;
      report: { vmpl: number };
      signingKeyKind: string;
    };
    expect(verdict).toMatchObject({ ok: true, hardware: true, signingKeyKind: 'vlek', report: { vmpl: 1 } });
    expect(run(...vlekArgs, '--at', '2025-06-01T00:00:00Z').code).toBe(0);
  });

  it('rejects the VLEK report today: its certificate expired 2025-12-10 (chain.validity)', () => {
    const r = run(...vlekArgs, '--at', '2026-11-24T00:00:00Z');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^FAIL chain\.validity: VLEK 'SEV-VLEK' expired at 2025-12-10/m);
  });

  it('prints the failing verdict as JSON with --json', () => {
    const r = run(...vcekArgs, '--json', '--max-vmpl', '0');
    expect(r.code).toBe(1);
    const verdict = JSON.parse(r.stdout) as { ok: boolean; checks: { id: string; ok: boolean }[] };
    expect(verdict.ok).toBe(false);
    expect(verdict.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['policy.debug']);
  });

  it('verifies a mock bundle (exit 0) and says it is a demo', async () => {
    const attestor = await createAttestor({
      dataDir: join(work, 'data'),
      measurement: new Uint8Array(32),
      tsmRoot: join(work, 'none'),
      sevGuestPath: join(work, 'none'),
    });
    const nonce = new Uint8Array(32).fill(4);
    const file = join(work, 'bundle.json');
    writeFileSync(file, JSON.stringify(await attestor.quote(nonce)));
    const ok = run('verify-bundle', '--bundle', file, '--nonce', toHex(nonce));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/MOCK \/ DEMO/);
    const hw = run('verify-bundle', '--bundle', file, '--nonce', toHex(nonce), '--require-hardware');
    expect(hw.code).toBe(1);
    expect(hw.stderr).toMatch(/^FAIL backend:/m);
  });

  it('prints usage on stdout for --help (exit 0)', () => {
    for (const flag of ['--help', '-h', 'help']) {
      const r = run(flag);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^usage:\n {2}saferouter-attest verify-report /);
      expect(r.stderr).toBe('');
    }
  });

  it('exits 2 on usage errors', () => {
    expect(run().code).toBe(2);
    expect(run('verify-report', '--report', snp('go-sev-guest-milan/report.bin')).stderr).toMatch(/--cert is required/);
    expect(run(...vcekArgs, '--bogus').code).toBe(2);
    expect(run(...vcekArgs, '--at', 'not-a-date').code).toBe(2);
    expect(run(...vcekArgs, '--min-tcb', 'snp=x').code).toBe(2);
    expect(
      run('verify-report', '--report', join(work, 'missing.bin'), '--cert', snp('go-sev-guest-milan/vcek.der')).code,
    ).toBe(2);
  });

  it('takes a minimum TCB', () => {
    expect(run(...vcekArgs, '--allow-debug', '--min-tcb', 'bl=2,snp=5,ucode=68').code).toBe(0);
    const r = run(...vcekArgs, '--allow-debug', '--min-tcb', 'snp=6');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FAIL policy\.min-tcb/);
  });
});
