#!/usr/bin/env node
/**
 * saferouter-verify: verify a SafeRouter gateway from the command line.
 *
 *   saferouter-verify <url> [--json] [--expect-measurement HEX] [--expect-launch-measurement HEX]
 *                     [--receipt JWS | --receipt-file FILE] [--request-file FILE] [--response-file FILE]
 *                     [--sample-file FILE] [--allow-mock] [--require-hardware] [--allow-debug]
 *                     [--min-tcb bl=N,tee=N,snp=N,ucode=N] [--state FILE] [--reset-state]
 *                     [--accept-new-log] [--witness VKEY]... [--quorum N] [--strict] [--timeout MS]
 *                     [--ca FILE]
 *   saferouter-verify seal-key <url> --provider P [--allow-mock] [--always-use] [--print] …
 *
 * For an https:// gateway the requests go through a TLS transport that records the certificate of
 * each connection, which adds the `tls-binding` check (does TLS end inside the attested build?).
 * Exit: 0 verified (or a mock gateway with --allow-mock), 1 a check failed, 2 usage error or the
 * gateway could not be reached, 3 a mock (demo) gateway without --allow-mock.
 * `seal-key` (./seal-key-cli.ts) verifies the same way, then seals a provider key (BYOK) to the
 * attested build and stores it.
 * Installed as the `saferouter-verify` bin: `pnpm build` emits dist/node/cli.js for plain node.
 */
import { readFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { TcbParts } from '@saferouter/attest';
import type { AuditSampleJson } from '@saferouter/audit';
import type { GatewayVerification, VerifyCheck } from '../checks.js';
import { checkOptions, type VerifyGatewayOptions } from '../options.js';
import { verifyGateway } from '../verify-gateway.js';
import type { CliIo } from './cli-io.js';
import { runSealKey } from './seal-key-cli.js';
import { defaultStatePath, fileState, resetState } from './state-file.js';
import { createTlsTransport, type TlsTransport } from './tls-peer.js';

const USAGE = `usage: saferouter-verify <gateway-url> [options]
       saferouter-verify seal-key <gateway-url> --provider P [options]   (BYOK; see seal-key --help)

  --json                         print the result object as JSON
  --expect-measurement HEX       the measurement you computed (pnpm measure) from source you trust
  --expect-launch-measurement HEX  SEV-SNP launch MEASUREMENT of the VM image (96 hex)
  --receipt JWS | --receipt-file FILE   a response's X-SafeRouter-Receipt to verify
  --request-file FILE            the exact request body you sent (recomputes request_sha256)
  --response-file FILE           the exact bytes you received (a stream: the raw SSE bytes)
  --sample-file FILE             the receipt's item of GET /v1/audit/samples (JSON)
  --allow-mock                   a mock (demo) gateway exits 0 (still printed as DEMO)
  --require-hardware             a mock gateway fails the hardware check
  --allow-debug                  accept a guest policy that allows debugging
  --min-tcb bl=N,tee=N,snp=N,ucode=N   lowest acceptable reported TCB
  --state FILE                   where checkpoints are remembered (default ${defaultStatePath()})
  --reset-state                  forget what was remembered about this gateway first
  --accept-new-log               accept a log key that changed since the last run
  --witness VKEY                 a witness whose cosignature is required (repeatable)
  --quorum N                     how many witnesses must cosign (default: all)
  --strict                       warnings fail
  --timeout MS                   per request (default 10000)
  --ca FILE                      https: trust these CA certificates (PEM) instead of Node's default roots

exit: 0 verified · 1 a check failed · 2 usage or network error · 3 demo (mock) without --allow-mock
`;

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

function parseCount(text: string | undefined, name: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

async function readBytes(path: string, name: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new UsageError(`${name}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

const SYMBOL: Record<VerifyCheck['status'], string> = { pass: '✓', fail: '✗', warn: '!', skip: '–' };

function human(result: GatewayVerification): string {
  const width = Math.max(...result.checks.map((c) => c.title.length));
  const lines = result.checks.map((c) => {
    const head = `${SYMBOL[c.status]} ${c.title.padEnd(width)}  ${c.status === 'pass' ? c.proves : c.detail}`;
    return c.status === 'pass'
      ? head
      : `${head}\n    (${c.status === 'skip' ? 'skipped' : c.status}; a pass would prove: ${c.proves})`;
  });
  let verdict: string;
  if (result.verdict === 'failed') {
    const failed = result.checks.find((c) => c.status === 'fail') ?? result.checks.find((c) => c.status === 'warn');
    verdict = `FAILED: ${failed === undefined ? 'see above' : `${failed.title}: ${failed.detail.split('\n')[0] ?? ''}`}`;
  } else if (result.verdict === 'demo') {
    verdict =
      'DEMO: this gateway runs the MOCK attestation backend. Everything else checked out, but nothing here proves hardware, isolation or which code runs.';
  } else verdict = `VERIFIED: AMD SEV-SNP hardware, measurement ${result.measurement ?? '?'}`;
  return `${result.gateway} (${result.ms} ms)\n${lines.join('\n')}\n\n${verdict}\n`;
}

/**
 * @example
 * process.exitCode = await runCli(process.argv.slice(2));
 */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo()): Promise<number> {
  if (argv[0] === 'seal-key') return runSealKey(argv.slice(1), io);
  let options: VerifyGatewayOptions;
  let url: string;
  let json = false;
  let allowMock = false;
  let ca: string | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        json: { type: 'boolean' },
        'expect-measurement': { type: 'string' },
        'expect-launch-measurement': { type: 'string' },
        receipt: { type: 'string' },
        'receipt-file': { type: 'string' },
        'request-file': { type: 'string' },
        'response-file': { type: 'string' },
        'sample-file': { type: 'string' },
        'allow-mock': { type: 'boolean' },
        'require-hardware': { type: 'boolean' },
        'allow-debug': { type: 'boolean' },
        'min-tcb': { type: 'string' },
        state: { type: 'string' },
        'reset-state': { type: 'boolean' },
        'accept-new-log': { type: 'boolean' },
        witness: { type: 'string', multiple: true },
        quorum: { type: 'string' },
        strict: { type: 'boolean' },
        timeout: { type: 'string' },
        ca: { type: 'string' },
      },
    });
    if (values.help === true) {
      io.stdout(USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('give exactly one gateway URL');
    url = positionals[0] ?? '';
    json = values.json === true;
    allowMock = values['allow-mock'] === true;
    if (values.receipt !== undefined && values['receipt-file'] !== undefined)
      throw new UsageError('give --receipt or --receipt-file, not both');
    const receipt =
      values['receipt-file'] !== undefined
        ? new TextDecoder().decode(await readBytes(values['receipt-file'], '--receipt-file')).trim()
        : values.receipt;
    let sample: AuditSampleJson | undefined;
    if (values['sample-file'] !== undefined) {
      try {
        sample = JSON.parse(
          new TextDecoder().decode(await readBytes(values['sample-file'], '--sample-file')),
        ) as AuditSampleJson;
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw new UsageError('--sample-file is not JSON');
      }
    }
    if (values.ca !== undefined) {
      ca = new TextDecoder().decode(await readBytes(values.ca, '--ca'));
      if (!ca.includes('-----BEGIN CERTIFICATE-----'))
        throw new UsageError(`--ca: ${values.ca} holds no PEM certificate`);
    }
    const statePath = values.state ?? defaultStatePath();
    const timeoutMs = parseCount(values.timeout, '--timeout', 1, 600_000);
    const quorum = parseCount(values.quorum, '--quorum', 0, values.witness?.length ?? 0);
    options = {
      ...(values['expect-measurement'] === undefined ? {} : { expectedMeasurement: values['expect-measurement'] }),
      ...(values['expect-launch-measurement'] === undefined
        ? {}
        : { expectedLaunchMeasurement: values['expect-launch-measurement'] }),
      ...(receipt === undefined ? {} : { receipt }),
      ...(values['request-file'] === undefined
        ? {}
        : { request: await readBytes(values['request-file'], '--request-file') }),
      ...(values['response-file'] === undefined
        ? {}
        : { response: await readBytes(values['response-file'], '--response-file') }),
      ...(sample === undefined ? {} : { sample }),
      requireHardware: values['require-hardware'] === true,
      allowDebug: values['allow-debug'] === true,
      ...(values['min-tcb'] === undefined ? {} : { minTcb: parseMinTcb(values['min-tcb']) }),
      state: fileState(statePath),
      acceptNewLog: values['accept-new-log'] === true,
      ...(values.witness === undefined ? {} : { witnesses: values.witness }),
      ...(quorum === undefined ? {} : { quorum }),
      strict: values.strict === true,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    };
    let gateway: string;
    try {
      gateway = checkOptions(url, options);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    if (values['reset-state'] === true) resetState(statePath, gateway);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`saferouter-verify: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }

  // https: through a transport that shows `tls-binding` the certificate of each connection.
  let tls: TlsTransport | undefined;
  if (new URL(url).protocol === 'https:') {
    tls = createTlsTransport({ ca, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) });
    options = { ...options, fetch: tls.fetch, tlsPeerCertificates: tls.peerCertificates };
  }
  let result: GatewayVerification;
  try {
    result = await verifyGateway(url, options);
  } finally {
    await tls?.close();
  }
  io.stdout(json ? `${JSON.stringify(result, null, 2)}\n` : human(result));
  if (result.verdict === 'failed') return result.unreachable === true ? 2 : 1;
  if (result.verdict === 'demo') return allowMock ? 0 : 3;
  return 0;
}

function defaultIo(): CliIo {
  return { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t) };
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
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`saferouter-verify: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
