/**
 * `saferouter-verify seal-key`: verify a gateway, seal a provider key to the build it attests
 * (BYOK), and store it there.
 *
 *   printf %s "$OPENAI_API_KEY" | SAFEROUTER_API_KEY=sr-… saferouter-verify seal-key <url> --provider openai
 *
 * The provider key is read from stdin (one trailing newline dropped; never from a terminal, where
 * it would be echoed) and the SafeRouter key from SAFEROUTER_API_KEY, so neither is in the
 * command line, the shell history or `ps`. Neither is ever printed. Exit: 0 sealed (and stored),
 * 1 a check failed or the gateway refused, 2 usage error or the gateway could not be reached,
 * 3 a mock (demo) gateway without --allow-mock.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { assertProvider, MAX_PROVIDER_KEY_BYTES } from '../byok-info.js';
import { byokUploadBody, sealProviderKey, uploadProviderKey, type SealedProviderKey } from '../byok.js';
import { VerifyError } from '../errors.js';
import { HttpStatusError, UnreachableError } from '../http.js';
import { checkOptions, type VerifyGatewayOptions } from '../options.js';
import type { CliIo } from './cli-io.js';
import { defaultStatePath, fileState } from './state-file.js';
import { createTlsTransport, type TlsTransport } from './tls-peer.js';

export const SEAL_KEY_USAGE = `usage: saferouter-verify seal-key <gateway-url> --provider P [options]

Verifies the gateway, seals the provider key read from stdin to the key its attestation binds
(HPKE, bound to the build's measurement, your SafeRouter key id and the provider), and stores it
with POST /v1/byok. Your SafeRouter API key comes from SAFEROUTER_API_KEY.

  --provider P                   the provider the key is for (openai, anthropic, …)
  --allow-mock                   seal to a mock (demo) gateway: nothing protects the key in hardware there
  --always-use                   never fall back to the gateway's own provider key for your requests
  --print                        print the sealed POST /v1/byok body instead of storing it
  --expect-measurement HEX       the measurement you computed (pnpm measure) from source you trust
  --expect-launch-measurement HEX  SEV-SNP launch MEASUREMENT of the VM image (96 hex)
  --state FILE                   where checkpoints are remembered (default ${defaultStatePath()})
  --strict                       warnings fail
  --timeout MS                   per request (default 10000)
  --ca FILE                      https: trust these CA certificates (PEM) instead of Node's default roots

exit: 0 sealed · 1 a check failed or the gateway refused · 2 usage or network error · 3 demo (mock) without --allow-mock
`;

class UsageError extends Error {}

/** The whole of process.stdin, at most `max` bytes; a terminal is refused. */
async function readProcessStdin(max: number): Promise<Uint8Array> {
  if (process.stdin.isTTY === true)
    throw new UsageError(
      'pipe the provider key on stdin (e.g. `printf %s "$KEY" | saferouter-verify seal-key …` or `< file`); it is not read from a terminal, where it would be echoed',
    );
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > max) throw new UsageError(`the provider key on stdin is longer than ${MAX_PROVIDER_KEY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** The provider key from stdin's bytes: UTF-8, one trailing newline (LF or CRLF) dropped. */
function providerKey(bytes: Uint8Array): string {
  // Two bytes for a trailing CRLF.
  if (bytes.length > MAX_PROVIDER_KEY_BYTES + 2)
    throw new UsageError(`the provider key on stdin is longer than ${MAX_PROVIDER_KEY_BYTES} bytes`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError('the provider key on stdin is not UTF-8 text');
  }
  text = text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
  if (text.length === 0) throw new UsageError('stdin held no provider key');
  if (new TextEncoder().encode(text).length > MAX_PROVIDER_KEY_BYTES)
    throw new UsageError(`the provider key on stdin is longer than ${MAX_PROVIDER_KEY_BYTES} bytes`);
  return text;
}

function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1 || n > 600_000)
    throw new UsageError('--timeout must be an integer from 1 to 600000');
  return n;
}

const bound = (sealed: SealedProviderKey): string =>
  `sealed the ${sealed.provider} key for SafeRouter key ${sealed.keyId} to build measurement ${sealed.measurement}${
    sealed.verdict === 'demo' ? ' — DEMO gateway (mock attestation): nothing protects the key in hardware' : ''
  }\n`;

/**
 * @example
 * process.exitCode = await runSealKey(['https://router.example.com', '--provider', 'openai']);
 */
export async function runSealKey(argv: readonly string[], io: CliIo): Promise<number> {
  let url: string;
  let provider: string;
  let apiKey: string;
  let saferouterKey: string;
  let options: VerifyGatewayOptions;
  let allowMock: boolean;
  let alwaysUse: boolean | undefined;
  let print: boolean;
  let ca: string | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        provider: { type: 'string' },
        'allow-mock': { type: 'boolean' },
        'always-use': { type: 'boolean' },
        print: { type: 'boolean' },
        'expect-measurement': { type: 'string' },
        'expect-launch-measurement': { type: 'string' },
        state: { type: 'string' },
        strict: { type: 'boolean' },
        timeout: { type: 'string' },
        ca: { type: 'string' },
      },
    });
    if (values.help === true) {
      io.stdout(SEAL_KEY_USAGE);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('give exactly one gateway URL');
    url = positionals[0] ?? '';
    if (values.provider === undefined) throw new UsageError('--provider is required');
    try {
      assertProvider(values.provider, '--provider');
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    provider = values.provider;
    allowMock = values['allow-mock'] === true;
    alwaysUse = values['always-use'] === true ? true : undefined;
    print = values.print === true;
    if (values.ca !== undefined) {
      try {
        ca = await readFile(values.ca, 'utf8');
      } catch (error) {
        throw new UsageError(
          `--ca: cannot read ${values.ca} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
        );
      }
      if (!ca.includes('-----BEGIN CERTIFICATE-----'))
        throw new UsageError(`--ca: ${values.ca} holds no PEM certificate`);
    }
    const timeoutMs = parseTimeout(values.timeout);
    options = {
      ...(values['expect-measurement'] === undefined ? {} : { expectedMeasurement: values['expect-measurement'] }),
      ...(values['expect-launch-measurement'] === undefined
        ? {}
        : { expectedLaunchMeasurement: values['expect-launch-measurement'] }),
      state: fileState(values.state ?? defaultStatePath()),
      strict: values.strict === true,
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    };
    try {
      checkOptions(url, options);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const env = io.env ?? process.env;
    const fromEnv = env['SAFEROUTER_API_KEY'];
    if (fromEnv === undefined || fromEnv.trim() === '')
      throw new UsageError('set SAFEROUTER_API_KEY to your SafeRouter API key (the sealed key is bound to it)');
    saferouterKey = fromEnv.trim();
    apiKey = providerKey(await (io.stdin ?? (() => readProcessStdin(MAX_PROVIDER_KEY_BYTES + 2)))());
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`saferouter-verify seal-key: ${(error as Error).message}\n\n${SEAL_KEY_USAGE}`);
      return 2;
    }
    throw error;
  }

  let tls: TlsTransport | undefined;
  if (new URL(url).protocol === 'https:') {
    tls = createTlsTransport({ ca, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) });
    options = { ...options, fetch: tls.fetch, tlsPeerCertificates: tls.peerCertificates };
  }
  const fail = (code: number, message: string): number => {
    io.stderr(`saferouter-verify seal-key: ${message}\n`);
    return code;
  };
  try {
    let sealed: SealedProviderKey;
    try {
      sealed = await sealProviderKey(url, { ...options, provider, apiKey, saferouterKey, allowMock });
    } catch (error) {
      if (error instanceof VerifyError) {
        if (error.code === 'demo') return fail(3, error.message);
        if (error.result.unreachable === true) return fail(2, `refusing to seal: ${error.message}`);
        return fail(
          1,
          `refusing to seal: the gateway did not verify (${error.message}). Run \`saferouter-verify ${url}\` to see every check.`,
        );
      }
      if (error instanceof UnreachableError) return fail(2, error.message);
      if (error instanceof HttpStatusError) return fail(1, error.message);
      if (error instanceof TypeError || error instanceof RangeError) return fail(2, error.message);
      throw error;
    }
    io.stderr(bound(sealed));
    const body = byokUploadBody(sealed, alwaysUse);
    if (print) {
      io.stdout(`${JSON.stringify(body, null, 2)}\n`);
      return 0;
    }
    try {
      const stored = await uploadProviderKey(url, sealed, {
        saferouterKey,
        ...(alwaysUse === undefined ? {} : { alwaysUse }),
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      });
      io.stdout(`${JSON.stringify(stored, null, 2)}\n`);
      return 0;
    } catch (error) {
      if (error instanceof UnreachableError) return fail(2, error.message);
      if (error instanceof HttpStatusError) return fail(1, `the gateway did not store the key: ${error.message}`);
      throw error;
    }
  } finally {
    await tls?.close();
  }
}
