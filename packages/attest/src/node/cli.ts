#!/usr/bin/env node
/**
 * saferouter-attest: verify SEV-SNP reports and attestation bundles from the command line, and
 * make the gateway's TLS key and a certificate signing request for it.
 *
 *   saferouter-attest verify-report --report FILE --cert VCEK_OR_VLEK [--chain PEM] [--allow-debug]
 *                                   [--max-vmpl N] [--min-tcb bl=N,tee=N,snp=N,ucode=N[,fmc=N]]
 *                                   [--at ISO_DATE] [--json]
 *   saferouter-attest verify-bundle --bundle FILE --nonce HEX [--measurement HEX] [--require-hardware]
 *                                   [--allow-debug] [--at ISO_DATE] [--json]
 *   saferouter-attest tls-csr --name HOST [--name HOST]... [--data-dir DIR] [--measurement HEX]
 *   saferouter-attest launch-digest --ovmf FILE [--ovmf-hash HEX] [--kernel FILE [--initrd FILE] [--append CMDLINE]]
 *                                   --vcpus N [--vcpu-type TYPE] --vmm qemu|ec2|gce --guest-features 0xN
 *
 *   saferouter-attest --help
 *
 * Exit 0 when verified (or for --help), 1 when a check failed (named on stderr), 2 for usage
 * errors. `--at` re-checks old evidence at a past time: certificates are checked for validity then.
 * `tls-csr` prints the CSR (PEM) on stdout and where the key is on stderr; the key itself never.
 * With `--measurement` (the app measurement `pnpm measure` prints) the key is sealed to that build
 * with the sealer the attestor would use on this host (SEV-SNP derived key, else the mock's DEMO
 * secret); without it, it is the plaintext PEM file SAFEROUTER_TLS_KEY reads.
 * `launch-digest` prints the SEV-SNP MEASUREMENT (hex) that launch would produce; exit 1 when
 * the inputs cannot be measured (a bad OVMF image, a kernel the firmware does not measure).
 * Installed as the `saferouter-attest` bin: `pnpm build` emits dist/node/cli.js for plain node.
 */
import { readFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fromHex, toHex } from '../bytes.js';
import { firstFailure } from '../checks.js';
import { AttestationError } from '../errors.js';
import { snpLaunchDigest } from '../launch/launch-digest.js';
import { VCPU_SIGNATURES } from '../launch/vcpu-types.js';
import { VMMS, type Vmm } from '../launch/vmsa.js';
import type { TcbParts } from '../report/tcb.js';
import { verdictToJson, type Verdict } from '../verify/verdict.js';
import { verifyBundle } from '../verify/verify-bundle.js';
import { verifyReport } from '../verify/verify-report.js';
import { createHostSealer } from './attestor.js';
import { assertTlsNames, loadOrCreateTlsKey } from './tls-key.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const USAGE = `usage:
  saferouter-attest verify-report --report FILE --cert FILE [--chain PEM_FILE] [--allow-debug]
                                  [--max-vmpl N] [--min-tcb bl=N,tee=N,snp=N,ucode=N[,fmc=N]] [--at ISO_DATE] [--json]
  saferouter-attest verify-bundle --bundle FILE --nonce HEX [--measurement HEX] [--require-hardware]
                                  [--allow-debug] [--at ISO_DATE] [--json]
  saferouter-attest tls-csr --name HOST [--name HOST]... [--data-dir DIR] [--measurement HEX]
                                  makes the gateway's TLS key (once) in DIR/attest/tls-key.pem and prints a
                                  CSR for it; DIR defaults to SAFEROUTER_DATA_DIR or ~/.saferouter;
                                  --measurement (from pnpm measure): sealed to that build instead, in
                                  DIR/attest/tls-key.pem.sealed
  saferouter-attest launch-digest --ovmf FILE [--ovmf-hash HEX] [--kernel FILE [--initrd FILE] [--append CMDLINE]]
                                  --vcpus N [--vcpu-type TYPE] --vmm qemu|ec2|gce --guest-features 0xN
                                  prints the SEV-SNP launch digest (MEASUREMENT, hex) of that launch
  saferouter-attest --help`;

class UsageError extends Error {}

const TCB_KEYS: Record<string, keyof TcbParts> = {
  bl: 'bootloader',
  tee: 'tee',
  snp: 'snp',
  ucode: 'microcode',
  fmc: 'fmc',
};

function parseMinTcb(text: string): Partial<TcbParts> {
  const out: Partial<TcbParts> = {};
  for (const part of text.split(',')) {
    const [k, v] = part.split('=');
    const key = TCB_KEYS[k ?? ''];
    const n = Number(v);
    if (key === undefined || !Number.isInteger(n) || n < 0 || n > 255)
      throw new UsageError(`--min-tcb: bad component '${part}'`);
    out[key] = n;
  }
  return out;
}

function parseAt(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new UsageError('--at must be an ISO 8601 date');
  return d;
}

function parseHex(text: string, name: string, bytes: number): Uint8Array {
  try {
    const out = fromHex(text.toLowerCase(), name);
    if (out.length === bytes) return out;
  } catch {
    // reported below
  }
  throw new UsageError(`${name} must be ${bytes * 2} hex characters`);
}

function report(verdict: Verdict, json: boolean, io: CliIo): number {
  if (json) io.stdout(`${JSON.stringify(verdictToJson(verdict), null, 2)}\n`);
  else {
    for (const c of verdict.checks) io.stdout(`${c.ok ? 'ok  ' : 'FAIL'} ${c.id.padEnd(16)} ${c.detail}\n`);
    io.stdout(`${verdict.summary}\n`);
  }
  if (verdict.ok) return 0;
  const failed = firstFailure(verdict.checks);
  io.stderr(`FAIL ${failed?.id ?? 'incomplete'}: ${failed?.detail ?? 'verification did not complete'}\n`);
  return 1;
}

async function readInput(path: string | undefined, flag: string): Promise<Buffer> {
  if (path === undefined) throw new UsageError(`${flag} is required`);
  try {
    return await readFile(path);
  } catch {
    throw new UsageError(`${flag}: cannot read ${path}`);
  }
}

/** The gateway's default: SAFEROUTER_DATA_DIR, else ~/.saferouter. */
function defaultDataDir(): string {
  return resolve(process.env.SAFEROUTER_DATA_DIR || join(homedir(), '.saferouter'));
}

async function tlsCsr(
  names: string[],
  dataDir: string | undefined,
  measurementHex: string | undefined,
  io: CliIo,
): Promise<number> {
  if (names.length === 0) throw new UsageError('tls-csr needs --name HOST (the name clients connect to)');
  try {
    assertTlsNames(names);
  } catch (error) {
    throw new UsageError(`--name: ${(error as Error).message}`);
  }
  const measurement = measurementHex === undefined ? undefined : parseHex(measurementHex, '--measurement', 32);
  const dir = dataDir === undefined || dataDir === '' ? defaultDataDir() : resolve(dataDir);
  const log = (level: 'info' | 'warn', message: string) => {
    if (level === 'warn') io.stderr(`warning: ${message}\n`);
  };
  const sealer =
    measurement === undefined
      ? undefined
      : await createHostSealer({
          dataDir: dir,
          measurement,
          tsmRoot: process.env.SAFEROUTER_TSM_ROOT || undefined,
          log,
        });
  const key = await loadOrCreateTlsKey(dir, { sealer, log });
  io.stdout(key.csr(names));
  const what = `${key.created ? 'created' : 'reused'} the TLS key ${key.path} (SPKI SHA-256 ${toHex(key.spkiSha256)})`;
  io.stderr(
    sealer === undefined
      ? `${what}; have a CA sign the request above, then start the gateway with SAFEROUTER_TLS_CERT=<the certificate> SAFEROUTER_TLS_KEY=${key.path}\n`
      : `${what}, sealed to build ${toHex(sealer.measurement)} (${sealer.backend === 'mock' ? 'mock: a DEMO secret file, not hardware' : 'SEV-SNP'}); have a CA sign the request above\n`,
  );
  return 0;
}

interface LaunchDigestFlags {
  ovmf?: string | undefined;
  'ovmf-hash'?: string | undefined;
  kernel?: string | undefined;
  initrd?: string | undefined;
  append?: string | undefined;
  vcpus?: string | undefined;
  'vcpu-type'?: string | undefined;
  vmm?: string | undefined;
  'guest-features'?: string | undefined;
}

async function launchDigest(flags: LaunchDigestFlags, io: CliIo): Promise<number> {
  if (!/^[1-9][0-9]*$/.test(flags.vcpus ?? '')) throw new UsageError('--vcpus N is required (a positive integer)');
  const vmm = flags.vmm?.toLowerCase();
  if (vmm === undefined || !(VMMS as readonly string[]).includes(vmm))
    throw new UsageError(`--vmm is required: one of ${VMMS.join(', ')}`);
  const type = flags['vcpu-type'];
  if (type !== undefined && !Object.hasOwn(VCPU_SIGNATURES, type))
    throw new UsageError(`--vcpu-type: unknown '${type}' (one of ${Object.keys(VCPU_SIGNATURES).join(', ')})`);
  const features = flags['guest-features'] ?? '';
  if (!/^(?:0x[0-9a-f]{1,16}|[0-9]{1,20})$/i.test(features))
    throw new UsageError('--guest-features is required: the SEV features word, e.g. 0x1');
  if (flags.kernel === undefined && (flags.initrd !== undefined || flags.append !== undefined))
    throw new UsageError('--initrd and --append need --kernel');
  const bytes = async (path: string | undefined, flag: string) =>
    path === undefined ? undefined : new Uint8Array(await readInput(path, flag));
  try {
    const digest = snpLaunchDigest({
      ovmf: new Uint8Array(await readInput(flags.ovmf, '--ovmf')),
      kernel: await bytes(flags.kernel, '--kernel'),
      initrd: await bytes(flags.initrd, '--initrd'),
      append: flags.append,
      vcpus: Number(flags.vcpus),
      vcpuType: type,
      vmm: vmm as Vmm,
      guestFeatures: BigInt(features),
      ovmfHash: flags['ovmf-hash'] === undefined ? undefined : parseHex(flags['ovmf-hash'], '--ovmf-hash', 48),
    });
    io.stdout(`${toHex(digest)}\n`);
    return 0;
  } catch (error) {
    if (!AttestationError.isInstance(error)) throw error;
    io.stderr(`launch-digest: ${error.message}\n`);
    return 1;
  }
}

/**
 * Runs the CLI with `argv` (without node and script) and returns the exit code.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2));
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) },
): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command === '--help' || command === '-h' || command === 'help') {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    const { values } = parseArgs({
      args: rest,
      options: {
        report: { type: 'string' },
        cert: { type: 'string' },
        chain: { type: 'string' },
        bundle: { type: 'string' },
        nonce: { type: 'string' },
        measurement: { type: 'string' },
        'allow-debug': { type: 'boolean' },
        'require-hardware': { type: 'boolean' },
        'max-vmpl': { type: 'string' },
        'min-tcb': { type: 'string' },
        at: { type: 'string' },
        json: { type: 'boolean' },
        name: { type: 'string', multiple: true },
        'data-dir': { type: 'string' },
        ovmf: { type: 'string' },
        'ovmf-hash': { type: 'string' },
        kernel: { type: 'string' },
        initrd: { type: 'string' },
        append: { type: 'string' },
        vcpus: { type: 'string' },
        'vcpu-type': { type: 'string' },
        vmm: { type: 'string' },
        'guest-features': { type: 'string' },
      },
      strict: true,
    });
    if (command === 'tls-csr') return await tlsCsr(values.name ?? [], values['data-dir'], values.measurement, io);
    if (command === 'launch-digest') return await launchDigest(values, io);
    const now = parseAt(values.at);
    const policy = {
      allowDebug: values['allow-debug'] === true,
      ...(values['min-tcb'] === undefined ? {} : { minTcb: parseMinTcb(values['min-tcb']) }),
      ...(values['max-vmpl'] === undefined ? {} : { maxVmpl: Number(values['max-vmpl']) }),
      ...(now === undefined ? {} : { now }),
    };
    if (
      policy.maxVmpl !== undefined &&
      !(Number.isInteger(policy.maxVmpl) && policy.maxVmpl >= 0 && policy.maxVmpl <= 3)
    )
      throw new UsageError('--max-vmpl must be 0–3');
    if (command === 'verify-report') {
      const reportBytes = await readInput(values.report, '--report');
      const cert = await readInput(values.cert, '--cert');
      const chain =
        values.chain === undefined ? undefined : (await readInput(values.chain, '--chain')).toString('utf8');
      const verdict = await verifyReport(new Uint8Array(reportBytes), {
        cert: new Uint8Array(cert),
        ...(chain === undefined ? {} : { chain }),
        ...policy,
      });
      return report(verdict, values.json === true, io);
    }
    if (command === 'verify-bundle') {
      const text = (await readInput(values.bundle, '--bundle')).toString('utf8');
      if (values.nonce === undefined) throw new UsageError('--nonce is required');
      let bundle: unknown;
      try {
        bundle = JSON.parse(text);
      } catch {
        bundle = text;
      }
      const verdict = await verifyBundle(bundle, {
        nonce: parseHex(values.nonce, '--nonce', 32),
        ...(values.measurement === undefined
          ? {}
          : { expectedMeasurement: parseHex(values.measurement, '--measurement', 32) }),
        requireHardware: values['require-hardware'] === true,
        ...policy,
      });
      return report(verdict, values.json === true, io);
    }
    throw new UsageError(command === undefined ? 'missing command' : `unknown command '${command}'`);
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))
    ) {
      io.stderr(`${error.message}\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  // `… | head` closing the pipe early is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`saferouter-attest: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
