/**
 * The CLI, spawned as users run it: `tsx packages/attest/src/node/cli.ts …`.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { launchDigestVectors, REPO_ROOT, vectorsDir } from '../testing/vectors.js';
import { createAttestor } from './attestor.js';
import { runCli } from './cli.js';
import { createKeySealer } from './sealing.js';
import { TLS_SEAL_CONTEXT } from './tls-key.js';

const TSX = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const CLI = join(REPO_ROOT, 'packages', 'attest', 'src', 'node', 'cli.ts');
const snp = (p: string): string => join(vectorsDir(), 'sev-snp', p);
const work = mkdtempSync(join(tmpdir(), 'saferouter-attest-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  return runEnv({}, ...args);
}

function runEnv(
  env: Record<string, string>,
  ...args: string[]
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(TSX, [CLI, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
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

  it('tls-csr makes the TLS key once (0600), reuses it, prints a CSR for it and never the key', async () => {
    const dataDir = join(work, 'tls');
    const keyFile = join(dataDir, 'attest', 'tls-key.pem');
    const first = run('tls-csr', '--name', 'router.example.com', '--data-dir', dataDir);
    expect(first.stderr).toMatch(/^created the TLS key .*tls-key\.pem \(SPKI SHA-256 [0-9a-f]{64}\)/);
    expect(first.code).toBe(0);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const keyPem = readFileSync(keyFile, 'utf8');
    const spki = createHash('sha256')
      .update(createPublicKey(keyPem).export({ type: 'spki', format: 'der' }))
      .digest('hex');

    // stdout is exactly one CSR (redirect it to a file for the CA); it carries this key.
    expect(first.stdout).toMatch(
      /^-----BEGIN CERTIFICATE REQUEST-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE REQUEST-----\n$/,
    );
    const csr = new x509.Pkcs10CertificateRequest(first.stdout);
    expect(await csr.verify()).toBe(true);
    expect(csr.subject).toBe('CN=router.example.com');
    expect(createHash('sha256').update(new Uint8Array(csr.publicKey.rawData)).digest('hex')).toBe(spki);
    expect(first.stderr).toContain(spki);

    const second = run('tls-csr', '--name', 'router.example.com', '--data-dir', dataDir);
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/^reused the TLS key /);
    expect(readFileSync(keyFile, 'utf8')).toBe(keyPem);
    const again = new x509.Pkcs10CertificateRequest(second.stdout);
    expect(createHash('sha256').update(new Uint8Array(again.publicKey.rawData)).digest('hex')).toBe(spki);

    // The key's bytes appear in no output, in any line of its base64 body.
    const keyLines = keyPem.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----'));
    for (const out of [first.stdout, first.stderr, second.stdout, second.stderr]) {
      expect(out).not.toMatch(/PRIVATE KEY/);
      for (const line of keyLines) expect(out).not.toContain(line);
    }
  });

  it('tls-csr --measurement seals the key to that build (mock here: says DEMO) and reuses it', async () => {
    const dataDir = join(work, 'tls-sealed');
    const measurement = 'ab'.repeat(32);
    // No SEV-SNP guest interface in these paths: the sealer is the mock's.
    const env = { SAFEROUTER_TSM_ROOT: join(work, 'no-tsm') };
    const first = runEnv(env, 'tls-csr', '--name', 'gw.example', '--data-dir', dataDir, '--measurement', measurement);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/warning: DEMO: keys sealed under a local secret file, not hardware/);
    expect(first.stderr).toMatch(
      new RegExp(
        `created the TLS key .*tls-key\\.pem\\.sealed \\(SPKI SHA-256 [0-9a-f]{64}\\), sealed to build ${measurement} \\(mock: a DEMO secret file, not hardware\\)`,
      ),
    );
    const file = join(dataDir, 'attest', 'tls-key.pem.sealed');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dataDir, 'attest', 'tls-key.pem'))).toBe(false);
    expect(readFileSync(file, 'utf8')).not.toMatch(/PRIVATE KEY/);
    // The CSR carries the sealed key (opened here with the same build's sealer).
    const sealer = await createKeySealer({ backend: 'mock', measurement: Buffer.from(measurement, 'hex'), dataDir });
    const pem = new TextDecoder().decode(sealer.open(readFileSync(file, 'utf8'), TLS_SEAL_CONTEXT));
    const spki = createHash('sha256')
      .update(createPublicKey(pem).export({ type: 'spki', format: 'der' }))
      .digest('hex');
    const csr = new x509.Pkcs10CertificateRequest(first.stdout);
    expect(createHash('sha256').update(new Uint8Array(csr.publicKey.rawData)).digest('hex')).toBe(spki);
    for (const line of pem.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----')))
      expect(first.stdout + first.stderr).not.toContain(line);
    const second = runEnv(env, 'tls-csr', '--name', 'gw.example', '--data-dir', dataDir, '--measurement', measurement);
    expect(second.stderr).toMatch(/^(warning: .*\n)*reused the TLS key .*\.sealed/);
    const bad = runEnv(env, 'tls-csr', '--name', 'gw.example', '--data-dir', dataDir, '--measurement', 'abc');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--measurement must be 64 hex characters/);
  });

  it('tls-csr defaults to SAFEROUTER_DATA_DIR, and refuses bad or missing names before making a key', () => {
    const dataDir = join(work, 'tls-env');
    const r = runEnv({ SAFEROUTER_DATA_DIR: dataDir }, 'tls-csr', '--name', '127.0.0.1');
    expect(r.code).toBe(0);
    expect(existsSync(join(dataDir, 'attest', 'tls-key.pem'))).toBe(true);

    const untouched = join(work, 'tls-bad');
    const missing = run('tls-csr', '--data-dir', untouched);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/tls-csr needs --name/);
    const bad = run('tls-csr', '--name', 'not a host', '--data-dir', untouched);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--name: 'not a host' is neither a host name nor an IP address/);
    expect(existsSync(untouched)).toBe(false);
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

  // In-process (runCli) for speed, plus one spawned run to show the installed command works.
  const inProcess = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) });
    return { code, stdout, stderr };
  };

  it('launch-digest prints each sev-snp-measure vector, and exit 1 for a kernel the firmware cannot measure', async () => {
    const empty = join(work, 'empty');
    writeFileSync(empty, '');
    const file = (name: string | null, flag: string): string[] =>
      name === null ? [] : [flag, name === '' ? empty : join(vectorsDir(), 'sev-snp-measure', name)];
    const cases = launchDigestVectors().cases;
    for (const c of cases) {
      const args = [
        'launch-digest',
        ...file(c.ovmf, '--ovmf'),
        ...file(c.kernel, '--kernel'),
        ...file(c.initrd, '--initrd'),
        ...(c.append === null ? [] : ['--append', c.append]),
        ...(c.ovmfHash === undefined ? [] : ['--ovmf-hash', c.ovmfHash]),
        '--vcpus',
        String(c.vcpus),
        ...(c.vcpuType === null ? [] : ['--vcpu-type', c.vcpuType]),
        '--vmm',
        c.vmm,
        '--guest-features',
        `0x${c.guestFeatures.toString(16)}`,
      ];
      const r = c === cases[1] ? run(...args) : await inProcess(...args);
      if (c.error === undefined) {
        expect({ name: c.name, code: r.code, stdout: r.stdout }).toEqual({
          name: c.name,
          code: 0,
          stdout: `${c.launchDigest}\n`,
        });
      } else {
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/^launch-digest: .*no SNP_KERNEL_HASHES section/);
      }
    }
  });

  it('launch-digest exits 2 on usage errors', async () => {
    const ovmf = join(vectorsDir(), 'sev-snp-measure', 'ovmf_AmdSev_suffix.bin');
    const args = ['launch-digest', '--ovmf', ovmf, '--vcpus', '1', '--vcpu-type', 'EPYC-v4', '--vmm', 'qemu'];
    const features = ['--guest-features', '0x1'];
    const cases: [string[], RegExp][] = [
      [args, /--guest-features is required/],
      [[...args, '--guest-features=-1'], /--guest-features is required/],
      [[...args.slice(0, 3), ...args.slice(5), ...features], /--vcpus N is required/],
      [[...args.slice(0, 4), '0', ...args.slice(5), ...features], /--vcpus N is required/],
      [[...args.slice(0, 6), 'EPYC-Zen9', ...args.slice(7), ...features], /--vcpu-type: unknown 'EPYC-Zen9'/],
      [[...args.slice(0, 8), 'kvm', ...features], /--vmm is required: one of qemu, ec2, gce/],
      [[...args, ...features, '--append', 'quiet'], /--initrd and --append need --kernel/],
      [[...args, ...features, '--ovmf-hash', 'abcd'], /--ovmf-hash must be 96 hex characters/],
      [['launch-digest', ...args.slice(3), ...features], /--ovmf is required/],
    ];
    for (const [argv, message] of cases) {
      const r = await inProcess(...argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.stderr).toMatch(message);
    }
    const ok = await inProcess(...args, ...features);
    expect(ok).toEqual({ code: 0, stdout: expect.stringMatching(/^[0-9a-f]{96}\n$/) as unknown, stderr: '' });
    expect((await inProcess(...args, '--guest-features', '1')).stdout).toBe(ok.stdout);
    const notOvmf = await inProcess('launch-digest', '--ovmf', join(work, 'empty'), ...args.slice(3), ...features);
    expect(notOvmf.code).toBe(1);
    expect(notOvmf.stderr).toMatch(/ovmf must be whole 4096-byte pages/);
  });
});
