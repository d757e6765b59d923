/**
 * The EHBP row of `pnpm bench`: the gateway's throughput with request and response bodies sealed
 * (HPKE per request, AES-GCM per chunk), as a ratio to the same gateway in plaintext, driven by
 * the same Node load generator (undici, `connections` requests in flight) in alternating rounds.
 * autocannon cannot drive EHBP: every sealed request needs a fresh HPKE encapsulation (the
 * gateway refuses a replayed one). The generator seals and opens too, so the ratio is the
 * end-to-end cost of the channel on this machine, client included (the generator seals with the
 * node:crypto HPKE sender).
 */
import { createEhbpFetch, KEYS_PATH, parseKeyConfig } from '@saferouter/ehbp';
import { nodeSender } from '@saferouter/ehbp/server';
import { Agent, fetch as undiciFetch } from 'undici';

export interface EhbpRound {
  plainReqPerSec: number;
  sealedReqPerSec: number;
}

export interface EhbpRow {
  mode: 'non-stream' | 'stream';
  rounds: EhbpRound[];
  /** Median over rounds of sealed / plain. */
  ratio: number;
  failures: number;
}

type Fetch = typeof globalThis.fetch;

async function drive(
  fetch: Fetch,
  url: string,
  init: RequestInit,
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
        const res = await fetch(url, init);
        const text = await res.text();
        if (res.status === 200 && text.includes(expect)) ok++;
        else failed++;
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return { ok, failed };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

export async function benchEhbp(options: {
  gateway: string;
  authorization: string;
  bodyFor: (mode: 'non-stream' | 'stream') => string;
  connections: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  log: (msg: string) => void;
}): Promise<EhbpRow[]> {
  const dispatcher = new Agent({ connections: options.connections, pipelining: 1 });
  try {
    const plain: Fetch = (input, init) =>
      undiciFetch(input as string, { ...(init as object), dispatcher }) as unknown as Promise<Response>;
    const keys = await plain(options.gateway + KEYS_PATH);
    const { publicKey } = parseKeyConfig(new Uint8Array(await keys.arrayBuffer()));
    const sealed = createEhbpFetch(publicKey, { fetch: plain, sender: nodeSender });
    const url = `${options.gateway}/v1/chat/completions`;
    const rows: EhbpRow[] = [];
    for (const mode of ['non-stream', 'stream'] as const) {
      const init: RequestInit = {
        method: 'POST',
        headers: { authorization: options.authorization, 'content-type': 'application/json' },
        body: options.bodyFor(mode),
      };
      // A whole answer: the reply text, or a stream's terminal event.
      const expect = mode === 'stream' ? 'data: [DONE]' : 'deterministic reply';
      const rounds: EhbpRound[] = [];
      let failures = 0;
      for (let round = 1; round <= options.rounds; round++) {
        const rps: Record<'plain' | 'sealed', number> = { plain: 0, sealed: 0 };
        for (const [name, fetch] of [
          ['plain', plain],
          ['sealed', sealed],
        ] as const) {
          options.log(
            `gateway ${name === 'sealed' ? 'EHBP' : 'plaintext'} ${mode} @${options.connections} conn (undici), round ${round}: ${options.warmupS}s warm-up + ${options.durationS}s`,
          );
          if (options.warmupS > 0) await drive(fetch, url, init, expect, options.connections, options.warmupS);
          const r = await drive(fetch, url, init, expect, options.connections, options.durationS);
          failures += r.failed;
          rps[name] = r.ok / options.durationS;
        }
        rounds.push({ plainReqPerSec: rps.plain, sealedReqPerSec: rps.sealed });
      }
      rows.push({ mode, rounds, ratio: median(rounds.map((r) => r.sealedReqPerSec / r.plainReqPerSec)), failures });
    }
    return rows;
  } finally {
    await dispatcher.close();
  }
}

export function formatEhbp(rows: readonly EhbpRow[]): string {
  return rows
    .map((r) => {
      const plain = median(r.rounds.map((x) => x.plainReqPerSec));
      const sealed = median(r.rounds.map((x) => x.sealedReqPerSec));
      const per = r.rounds.map((x) => (x.sealedReqPerSec / x.plainReqPerSec).toFixed(2)).join(', ');
      return `ratio EHBP/plaintext, same gateway (${r.mode}): ${r.ratio.toFixed(2)} (per round: ${per}; ${Math.round(sealed)} vs ${Math.round(plain)} req/s)${r.failures > 0 ? ` !!! ${r.failures} FAILED REQUESTS` : ''}`;
    })
    .join('\n');
}
