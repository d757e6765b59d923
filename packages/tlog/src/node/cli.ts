#!/usr/bin/env node
/**
 * Node-only CLI: `saferouter-tlog verify <directory-or-url> --vkey <vkey> [--entry N]` checks any
 * c2sp.org/tlog-tiles log, from a directory or over HTTP(S): the checkpoint signature (and
 * configured witnesses), the root recomputed from the tiles, and with `--entry N` the entry's
 * inclusion, printing the entry. Exit 0 when everything holds, 1 with the reason otherwise.
 * Run from the repo with `pnpm saferouter-tlog verify …` (tsx), or after `pnpm build` as the
 * `saferouter-tlog` bin, `dist/node/cli.js`, with plain node.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { encodeBase64 } from '../encoding/base64.js';
import { utf8Decode } from '../encoding/bytes.js';
import { generateSignerKey, parseVerifierKey } from '../note/keys.js';
import { SIGNATURE_TYPE_ED25519 } from '../note/signer.js';
import { createHttpTileFetch } from '../tiles/http-fetch.js';
import { verifyTileLog } from '../tiles/tile-log-verifier.js';
import { errorMessage } from '../verification.js';
import { createDirectoryTileFetch } from './directory-fetch.js';

export const USAGE = `Usage: saferouter-tlog verify <directory-or-url> --vkey <vkey> [options]
       saferouter-tlog keygen <name>

Verifies a C2SP tlog-tiles log: the checkpoint signature, the root hash recomputed from the
tiles and, with --entry, the inclusion of one entry (which is printed).

Options:
  --vkey <vkey>       the log's verifier key (name+keyid+base64), required
  --entry <N>         fetch entry N, verify its inclusion and print it
  --origin <origin>   require this checkpoint origin line
  --witness <vkey>    a witness cosignature key (repeatable)
  --quorum <N>        witness cosignatures required (default: 0)
  --audit             also check every tile and entry bundle (reads the whole log)
  -h, --help          show this help

keygen prints a new Ed25519 log key pair: the signer key (PRIVATE+KEY+…, keep it secret: it is
what SAFEROUTER_LOG_KEY takes) on the first line, its verifier key (publish it) on the second.
`;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** HTTP client for URL logs; defaults to the global fetch. */
  readonly fetch?: (url: string, init?: RequestInit) => Promise<Response>;
}

function parseCount(text: string | undefined, name: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^(0|[1-9][0-9]*)$/.test(text) || !Number.isSafeInteger(Number(text)))
    throw new Error(`${name} must be a non-negative integer`);
  return Number(text);
}

/** Printable text as is; anything else (binary, control characters) as base64. */
function describeEntry(entry: Uint8Array): string {
  try {
    const text = utf8Decode(entry);
    // eslint-disable-next-line no-control-regex -- the point is to find control characters
    if (!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) return text.endsWith('\n') ? text : `${text}\n`;
  } catch {
    // not UTF-8: fall through to base64
  }
  return `base64:${encodeBase64(entry)}\n`;
}

/**
 * Runs the CLI with `argv` (without the node and script paths) and returns the exit code.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        vkey: { type: 'string' },
        entry: { type: 'string' },
        origin: { type: 'string' },
        witness: { type: 'string', multiple: true },
        quorum: { type: 'string' },
        audit: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    io.stderr(`saferouter-tlog: ${errorMessage(error)}\n\n${USAGE}`);
    return 1;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout(USAGE);
    return 0;
  }
  const [command, location, ...extra] = positionals;
  if (command === 'keygen') {
    if (location === undefined || extra.length > 0) {
      io.stderr(`saferouter-tlog: expected \`keygen <name>\`\n\n${USAGE}`);
      return 1;
    }
    try {
      const { skey, vkey } = await generateSignerKey(location);
      io.stdout(`${skey}\n${vkey}\n`);
      return 0;
    } catch (error) {
      io.stderr(`saferouter-tlog: ${errorMessage(error)}\n`);
      return 1;
    }
  }
  if (command !== 'verify' || location === undefined || extra.length > 0 || values.vkey === undefined) {
    io.stderr(`saferouter-tlog: expected \`verify <directory-or-url> --vkey <vkey>\`\n\n${USAGE}`);
    return 1;
  }

  try {
    const verifier = parseVerifierKey(values.vkey);
    if (verifier.type !== SIGNATURE_TYPE_ED25519) throw new Error('--vkey must be an Ed25519 (type 0x01) log key');
    const witnesses = (values.witness ?? []).map((w) => parseVerifierKey(w));
    const entryIndex = parseCount(values.entry, '--entry');
    const quorum = parseCount(values.quorum, '--quorum');
    const isUrl = /^https?:\/\//i.test(location);
    const fetch = isUrl
      ? createHttpTileFetch(location, io.fetch === undefined ? {} : { fetch: io.fetch })
      : createDirectoryTileFetch(location);
    const result = await verifyTileLog({
      fetch,
      verifier,
      witnesses,
      ...(quorum === undefined ? {} : { witnessQuorum: quorum }),
      ...(values.origin === undefined ? {} : { origin: values.origin }),
      ...(entryIndex === undefined ? {} : { entryIndex }),
      ...(values.audit === true ? { audit: true } : {}),
    });
    for (const check of result.checks) io.stdout(`${check.ok ? 'ok  ' : 'FAIL'} ${check.id}: ${check.detail}\n`);
    if (!result.ok) {
      io.stderr(`saferouter-tlog: verification failed: ${result.issues.join('; ')}\n`);
      return 1;
    }
    const cp = result.checkpoint!.checkpoint;
    io.stdout(`verified ${cp.origin} at size ${cp.size}, root ${encodeBase64(cp.rootHash)}\n`);
    if (result.entry !== undefined) {
      io.stdout(`entry ${entryIndex} (${result.entry.length} bytes):\n`);
      io.stdout(describeEntry(result.entry));
    }
    return 0;
  } catch (error) {
    io.stderr(`saferouter-tlog: ${errorMessage(error)}\n`);
    return 1;
  }
}

function isMain(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(resolve(script)) === realpathSync(fileURLToPath(import.meta.url));
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
  process.exitCode = await runCli(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
