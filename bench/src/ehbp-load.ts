/**
 * The EHBP row of `pnpm bench`: the gateway's throughput with request and response bodies sealed
 * (HPKE per request, AES-GCM per chunk), as a ratio to the same gateway in plaintext, driven by
 * the same Node load generator (undici's Pool, `connections` requests in flight) in alternating rounds.
 * autocannon cannot drive EHBP: every sealed request needs a fresh HPKE encapsulation (the
 * gateway refuses a replayed one). The generator seals and opens too, so the ratio is the
 * end-to-end cost of the channel on this machine, the generator's share included.
 */
import { createDecipheriv } from 'node:crypto';
import {
  chunkNonce,
  deriveResponseKeys,
  ENCAPSULATED_KEY_HEADER,
  EXPORT_LABEL,
  frame,
  FrameReader,
  fromHex,
  KEY_LENGTH,
  KEYS_PATH,
  parseKeyConfig,
  REQUEST_INFO,
  RESPONSE_NONCE_HEADER,
  RESPONSE_NONCE_LENGTH,
  TAG_LENGTH,
  toHex,
} from '@saferouter/ehbp';
import { hmac, setupSender } from '@saferouter/ehbp/server';
import { Pool } from 'undici';
import { cpuMs } from './children.js';
import { median } from './report.js';

export interface EhbpRound {
  plainReqPerSec: number;
  sealedReqPerSec: number;
  /** The gateway process's CPU time per completed request (Linux /proc), when readable. */
  plainCpuUsPerReq?: number;
  sealedCpuUsPerReq?: number;
}

export interface EhbpRow {
  mode: 'non-stream' | 'stream';
  rounds: EhbpRound[];
  /** Median over rounds of sealed / plain. */
  ratio: number;
  failures: number;
}

/** One request as the generator sends it: plaintext, or sealed and opened with node:crypto. */
type Send = (body: Uint8Array) => Promise<string>;

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    parts.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(parts, size);
}

function plainSender(pool: Pool, headers: Record<string, string>): Send {
  return async (body) => {
    const res = await pool.request({ path: '/v1/chat/completions', method: 'POST', headers, body });
    const bytes = await readAll(res.body);
    return res.statusCode === 200 ? Buffer.from(bytes).toString('utf8') : `HTTP ${res.statusCode}`;
  };
}

/**
 * The sealed twin of plainSender: HPKE with the node:crypto sender, the body as one frame, the
 * answer opened frame by frame with node:crypto AES-GCM under the spec's response keys. Lean on
 * purpose: the generator shares the machine with the gateway, so its own cost must stay small
 * next to the gateway's (the fetch-based client, with web streams and WebCrypto, was the
 * bottleneck, leaving the gateway 40% idle).
 */
function sealedSender(pool: Pool, headers: Record<string, string>, publicKey: Uint8Array): Send {
  const info = new TextEncoder().encode(REQUEST_INFO);
  const label = new TextEncoder().encode(EXPORT_LABEL);
  return async (body) => {
    const { enc, context } = setupSender(publicKey, info);
    const res = await pool.request({
      path: '/v1/chat/completions',
      method: 'POST',
      headers: { ...headers, [ENCAPSULATED_KEY_HEADER]: toHex(enc) },
      body: frame(context.seal(body)),
    });
    const nonceHex = res.headers[RESPONSE_NONCE_HEADER.toLowerCase()];
    const sealed = await readAll(res.body);
    const nonce = typeof nonceHex === 'string' ? fromHex(nonceHex, RESPONSE_NONCE_LENGTH) : undefined;
    if (res.statusCode !== 200 || nonce === undefined) return `HTTP ${res.statusCode}`;
    const { key, nonceBase } = deriveResponseKeys(context.export(label, KEY_LENGTH), enc, nonce, hmac);
    const reader = new FrameReader(1 << 24);
    let out = '';
    let seq = 0;
    for (const ct of reader.push(sealed)) {
      const decipher = createDecipheriv('aes-256-gcm', key, chunkNonce(nonceBase, seq++));
      decipher.setAuthTag(ct.subarray(ct.length - TAG_LENGTH));
      out += Buffer.concat([decipher.update(ct.subarray(0, ct.length - TAG_LENGTH)), decipher.final()]).toString(
        'utf8',
      );
    }
    return out;
  };
}

async function drive(
  send: Send,
  body: Uint8Array,
  expect: string,
  connections: number,
  durationS: number,
): Promise<{ ok: number; failed: number }> {
  const deadline = performance.now() + durationS * 1000;
  let ok = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      try {
        if ((await send(body)).includes(expect)) ok++;
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return { ok, failed };
}

export async function benchEhbp(options: {
  gateway: string;
  authorization: string;
  bodyFor: (mode: 'non-stream' | 'stream') => string;
  connections: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  log: (msg: string) => void;
  /** The gateway's process id, to read its CPU time per request. */
  gatewayPid?: number | undefined;
}): Promise<EhbpRow[]> {
  const pool = new Pool(options.gateway, { connections: options.connections, pipelining: 1 });
  try {
    const keys = await pool.request({ path: KEYS_PATH, method: 'GET' });
    const { publicKey } = parseKeyConfig(await readAll(keys.body));
    const headers = { authorization: options.authorization, 'content-type': 'application/json' };
    const senders = { plain: plainSender(pool, headers), sealed: sealedSender(pool, headers, publicKey) };
    const rows: EhbpRow[] = [];
    for (const mode of ['non-stream', 'stream'] as const) {
      const body = new TextEncoder().encode(options.bodyFor(mode));
      // A whole answer: the reply text, or a stream's terminal event.
      const expect = mode === 'stream' ? 'data: [DONE]' : 'deterministic reply';
      const rounds: EhbpRound[] = [];
      let failures = 0;
      for (let round = 1; round <= options.rounds; round++) {
        const rps: Record<'plain' | 'sealed', number> = { plain: 0, sealed: 0 };
        const cpu: Partial<Record<'plain' | 'sealed', number>> = {};
        for (const name of ['plain', 'sealed'] as const) {
          options.log(
            `gateway ${name === 'sealed' ? 'EHBP' : 'plaintext'} ${mode} @${options.connections} conn (undici), round ${round}: ${options.warmupS}s warm-up + ${options.durationS}s`,
          );
          if (options.warmupS > 0) await drive(senders[name], body, expect, options.connections, options.warmupS);
          const before = cpuMs(options.gatewayPid);
          const r = await drive(senders[name], body, expect, options.connections, options.durationS);
          const after = cpuMs(options.gatewayPid);
          failures += r.failed;
          rps[name] = r.ok / options.durationS;
          if (before !== undefined && after !== undefined && r.ok > 0) cpu[name] = ((after - before) * 1000) / r.ok;
        }
        rounds.push({
          plainReqPerSec: rps.plain,
          sealedReqPerSec: rps.sealed,
          ...(cpu.plain === undefined ? {} : { plainCpuUsPerReq: cpu.plain }),
          ...(cpu.sealed === undefined ? {} : { sealedCpuUsPerReq: cpu.sealed }),
        });
      }
      rows.push({ mode, rounds, ratio: median(rounds.map((r) => r.sealedReqPerSec / r.plainReqPerSec)), failures });
    }
    return rows;
  } finally {
    await pool.close();
  }
}

export function formatEhbp(rows: readonly EhbpRow[]): string {
  return rows
    .map((r) => {
      const plain = median(r.rounds.map((x) => x.plainReqPerSec));
      const sealed = median(r.rounds.map((x) => x.sealedReqPerSec));
      const per = r.rounds.map((x) => (x.sealedReqPerSec / x.plainReqPerSec).toFixed(2)).join(', ');
      const cpuPlain = r.rounds.flatMap((x) => (x.plainCpuUsPerReq === undefined ? [] : [x.plainCpuUsPerReq]));
      const cpuSealed = r.rounds.flatMap((x) => (x.sealedCpuUsPerReq === undefined ? [] : [x.sealedCpuUsPerReq]));
      const cpu =
        cpuPlain.length === 0 || cpuSealed.length === 0
          ? ''
          : `; gateway CPU per request ${Math.round(median(cpuSealed))} µs sealed vs ${Math.round(median(cpuPlain))} µs plaintext`;
      return `ratio EHBP/plaintext, same gateway (${r.mode}): ${r.ratio.toFixed(2)} (per round: ${per}; ${Math.round(sealed)} vs ${Math.round(plain)} req/s${cpu})${r.failures > 0 ? ` !!! ${r.failures} FAILED REQUESTS` : ''}`;
    })
    .join('\n');
}
