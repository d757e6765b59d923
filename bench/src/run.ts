/**
 * SafeRouter throughput and latency benchmark: `pnpm bench` at the repo root.
 *
 * Starts three servers as separate processes on 127.0.0.1, each with its own event loop: the fake
 * upstream (packages/fake-upstream, request log off), a bare node:http pass-through proxy (the
 * practical ceiling for a Node proxy, the baseline) and the built gateway (apps/gateway/dist/
 * server.mjs, auth on, with a user key issued through POST /v1/keys; receipts on, audit rate at its
 * default 0.05), plus a second gateway with every request committed to the audit log
 * (SAFEROUTER_AUDIT_RATE=1). It then drives them with
 * autocannon from this process: for non-stream and stream chat completions at 32 connections,
 * the upstream once (reference) and bare proxy / gateway alternately for several rounds (medians
 * reported, so machine noise hits both sides), then latency at 1 connection. It prints a table,
 * the gateway/bare req/s ratios and the added latency, and writes bench/results/latest.json.
 * Exits non-zero if a server fails to start or any run saw a non-2xx response or an error.
 *
 * Environment: BENCH_DURATION (measured seconds per run, default 10), BENCH_WARMUP (2),
 * BENCH_LATENCY_DURATION (5), BENCH_ROUNDS (3), BENCH_CONNECTIONS (32), BENCH_SKIP_GATEWAY=1
 * (bench upstream and bare proxy only), BENCH_GATEWAY_BUILD=0 (use the existing build),
 * BENCH_GATEWAY_ENTRY (server entry relative to the repo root, default apps/gateway/dist/server.mjs),
 * BENCH_AUDIT=0 (skip the second gateway, the one at SAFEROUTER_AUDIT_RATE=1; BENCH_SECOND=quiet
 * makes it the same gateway with logs and metrics off instead, labelled so in the report, and
 * gateway / it is the cost of logs and metrics), BENCH_EHBP=0 (skip
 * the EHBP rows: the gateway with sealed bodies against plaintext, same load generator; see
 * ehbp-load.ts), BENCH_SECOND_ENTRY (the second gateway runs this server entry instead; with
 * BENCH_SECOND=same it also runs with the first one's settings: two builds A/B in one run),
 * BENCH_SECOND_ENV (a JSON object: the second gateway's extra environment, e.g.
 * '{"SAFEROUTER_METRICS":"0"}' to price metrics alone), BENCH_PIN=1 (servers under test alone on
 * CPU 1, the rest on CPU 0: see children.ts `PIN`).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMs, installCleanup, PIN, pinSelf, spawnChild, stopAll, waitForUrlLine } from './children.js';
import { startGateway } from './gateway.js';
import { runLoad, type LoadResult } from './load.js';
import { preflight } from './preflight.js';
import { benchEhbp, formatEhbp } from './ehbp-load.js';
import {
  formatSecond,
  DEFAULT_SECOND_LABEL,
  formatSummary,
  formatTable,
  problemsOf,
  rowsOf,
  summarize,
  type Mode,
  type RunRecord,
  type TargetName,
} from './report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = ['--import', 'tsx'];

function numEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min)
    throw new RangeError(`${name} must be a number >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

const config = {
  durationS: numEnv('BENCH_DURATION', 10, 1),
  warmupS: numEnv('BENCH_WARMUP', 2, 0),
  latencyDurationS: numEnv('BENCH_LATENCY_DURATION', 5, 1),
  rounds: Math.floor(numEnv('BENCH_ROUNDS', 3, 1)),
  connections: Math.floor(numEnv('BENCH_CONNECTIONS', 32, 1)),
  skipGateway: process.env['BENCH_SKIP_GATEWAY'] === '1',
  buildGateway: process.env['BENCH_GATEWAY_BUILD'] !== '0',
  gatewayEntry: process.env['BENCH_GATEWAY_ENTRY'] ?? 'apps/gateway/dist/server.mjs',
  audit: process.env['BENCH_AUDIT'] !== '0',
  /** BENCH_SECOND=quiet: the second gateway runs with logs and metrics off instead of audit rate 1. */
  quietSecond: process.env['BENCH_SECOND'] === 'quiet',
  /** BENCH_SECOND=same: the second gateway runs with the first one's settings (for BENCH_SECOND_ENTRY). */
  sameSecond: process.env['BENCH_SECOND'] === 'same',
  /** BENCH_SECOND_ENTRY: the second gateway runs this server entry (A/B of two builds, interleaved). */
  secondEntry: process.env['BENCH_SECOND_ENTRY'] || undefined,
  /** BENCH_SECOND_ENV: JSON object, the second gateway's extra environment (instead of the above). */
  secondEnv: process.env['BENCH_SECOND_ENV']
    ? (JSON.parse(process.env['BENCH_SECOND_ENV']) as Record<string, string>)
    : undefined,
  ehbp: process.env['BENCH_EHBP'] !== '0',
};

const REQUEST = { model: 'fake-model', messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 64 };
const bodyFor = (mode: Mode): string => JSON.stringify(mode === 'stream' ? { ...REQUEST, stream: true } : REQUEST);

const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);

async function startServer(name: string, script: string, args: string[], underTest = false): Promise<string> {
  const child = spawnChild(name, process.execPath, [...TSX, join(ROOT, script), ...args], {
    cwd: ROOT,
    underTest,
    env: process.env,
  });
  return waitForUrlLine(child);
}

async function main(): Promise<number> {
  installCleanup();
  pinSelf();
  if (PIN) log('BENCH_PIN=1: servers under test on CPU 1, load generator and upstream on CPU 0');
  const workDir = await mkdtemp(join(tmpdir(), 'saferouter-bench-'));
  try {
    return await bench(workDir);
  } finally {
    await stopAll();
    await rm(workDir, { recursive: true, force: true });
  }
}

async function bench(workDir: string): Promise<number> {
  const targets: Partial<Record<TargetName, string>> = {};
  let authorization: string;
  let auditAuthorization: string | undefined;
  let gatewayPid: number | undefined;
  /** Server processes whose CPU time per request each run records. */
  const pids: Partial<Record<TargetName, number | undefined>> = {};
  try {
    targets.upstream = await startServer('fake upstream', 'packages/fake-upstream/src/cli.ts', [
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ]);
    targets.bare = await startServer(
      'bare proxy',
      'bench/src/bare-proxy.ts',
      ['--upstream', targets.upstream, '--port', '0', '--host', '127.0.0.1'],
      true,
    );
    if (config.skipGateway) {
      log('BENCH_SKIP_GATEWAY=1: benching upstream and bare proxy only');
      authorization = `Bearer sk-sr-${randomBytes(32).toString('base64url')}`;
    } else {
      const gw = await startGateway({
        root: ROOT,
        upstreamUrl: targets.upstream,
        workDir,
        build: config.buildGateway,
        entry: config.gatewayEntry,
      });
      targets.gateway = gw.url;
      gatewayPid = gw.child.proc.pid;
      pids.gateway = gatewayPid;
      authorization = `Bearer ${gw.userKey}`;
      if (config.audit) {
        // A second gateway, interleaved round by round with the first: by default committing every
        // request to the audit log (receipts are on in both); with BENCH_SECOND=quiet, the same
        // gateway with logs and metrics off, so `gateway` / `gateway-audit` is their cost.
        const audited = await startGateway({
          root: ROOT,
          upstreamUrl: targets.upstream,
          workDir,
          build: false,
          entry: config.secondEntry ?? config.gatewayEntry,
          name: 'gateway-audit',
          env: config.secondEnv
            ? config.secondEnv
            : config.sameSecond
              ? {}
              : config.quietSecond
                ? { SAFEROUTER_LOG_LEVEL: 'silent', SAFEROUTER_METRICS: '0' }
                : { SAFEROUTER_AUDIT_RATE: '1' },
        });
        targets['gateway-audit'] = audited.url;
        pids['gateway-audit'] = audited.child.proc.pid;
        auditAuthorization = `Bearer ${audited.userKey}`;
      }
    }
  } catch (e) {
    log(`SERVER FAILED TO START\n${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  log(`servers: ${JSON.stringify(targets)}`);

  // Every target gets the identical request, auth header included (the bare proxy forwards it);
  // the audited gateway has its own data dir, so its own key.
  const headers = { 'content-type': 'application/json', authorization };
  const headersFor = (target: TargetName): Record<string, string> =>
    target === 'gateway-audit' && auditAuthorization !== undefined
      ? { ...headers, authorization: auditAuthorization }
      : headers;
  for (const [name, url] of Object.entries(targets)) {
    try {
      await preflight(name, url, headersFor(name as TargetName), REQUEST);
    } catch (e) {
      log(`PREFLIGHT FAILED\n${e instanceof Error ? e.message : String(e)}`);
      return 1;
    }
  }

  const runs: RunRecord[] = [];
  const load = async (
    target: TargetName,
    mode: Mode,
    connections: number,
    round: number,
    durationS: number,
    warmupS: number,
  ): Promise<void> => {
    const url = `${targets[target] ?? ''}/v1/chat/completions`;
    const spec = { url, connections, headers: headersFor(target), body: bodyFor(mode) };
    log(
      `${target} ${mode} @${connections} conn, round ${round}: ${warmupS > 0 ? `${warmupS}s warm-up + ` : ''}${durationS}s`,
    );
    const warmup: LoadResult | undefined = warmupS > 0 ? await runLoad({ ...spec, durationS: warmupS }) : undefined;
    const pid = pids[target];
    const cpuBefore = cpuMs(pid);
    const measured = await runLoad({ ...spec, durationS });
    const cpuAfter = cpuMs(pid);
    const cpuUsPerReq =
      cpuBefore === undefined || cpuAfter === undefined || measured.ok === 0
        ? undefined
        : ((cpuAfter - cpuBefore) * 1000) / measured.ok;
    const record: RunRecord = { target, mode, connections, round, warmup, measured, cpuUsPerReq };
    runs.push(record);
    for (const p of problemsOf(record)) log(`!!! ${p}`);
  };
  const compared: TargetName[] = targets.gateway === undefined ? ['bare'] : ['bare', 'gateway'];
  const underLoad: TargetName[] = targets['gateway-audit'] === undefined ? compared : [...compared, 'gateway-audit'];

  for (const mode of ['non-stream', 'stream'] as const) {
    await load('upstream', mode, config.connections, 1, config.durationS, config.warmupS);
    for (let round = 1; round <= config.rounds; round++) {
      for (const t of underLoad) await load(t, mode, config.connections, round, config.durationS, config.warmupS);
    }
  }
  for (let round = 1; round <= config.rounds; round++) {
    for (const t of compared)
      await load(t, 'non-stream', 1, round, config.latencyDurationS, Math.min(1, config.warmupS));
  }

  // EHBP: the same gateway, sealed against plaintext, driven by one Node load generator.
  const ehbp =
    targets.gateway === undefined || !config.ehbp
      ? []
      : await benchEhbp({
          gateway: targets.gateway,
          authorization,
          bodyFor,
          connections: config.connections,
          durationS: config.durationS,
          warmupS: config.warmupS,
          rounds: config.rounds,
          log,
          gatewayPid,
        });

  const rows = rowsOf(runs);
  const summary = summarize(rows, config.connections, runs);
  const secondLabel = config.sameSecond
    ? 'second build'
    : config.quietSecond
      ? 'logs and metrics off'
      : DEFAULT_SECOND_LABEL;
  const second = formatSecond(runs, config.connections, secondLabel);
  const problems = [
    ...runs.flatMap(problemsOf),
    ...ehbp.filter((r) => r.failures > 0).map((r) => `EHBP ${r.mode}: ${r.failures} failed requests`),
  ];
  process.stdout.write(
    `\n${formatTable(rows, secondLabel)}\n\n${formatSummary(summary, secondLabel)}\n${second === '' ? '' : `${second}\n`}${ehbp.length === 0 ? '' : `${formatEhbp(ehbp)}\n`}`,
  );

  const resultsDir = join(ROOT, 'bench', 'results');
  await mkdir(resultsDir, { recursive: true });
  const machine = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
  };
  const record = {
    finishedAt: new Date().toISOString(),
    machine,
    config,
    request: REQUEST,
    targets,
    rows,
    summary,
    ehbp,
    problems,
    runs,
  };
  await writeFile(join(resultsDir, 'latest.json'), `${JSON.stringify(record, null, 2)}\n`);
  process.stdout.write(`\nresults: bench/results/latest.json\n`);

  if (problems.length > 0) {
    process.stdout.write(
      `\n!!! ${problems.length} RUN(S) HAD NON-2XX RESPONSES OR ERRORS — numbers above are NOT valid:\n${problems.map((p) => `!!!   ${p}`).join('\n')}\n`,
    );
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  async (e: unknown) => {
    log(`FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    await stopAll();
    process.exit(1);
  },
);
