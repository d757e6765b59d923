/**
 * SafeRouter soak: `pnpm soak` at the repo root. A bounded mixed load against the built gateway
 * (apps/gateway/dist/server.mjs, its own process), once per storage backend, reporting what a long
 * run would show first: memory that grows, an event loop that stalls, errors nobody expected, and
 * books that no longer balance.
 *
 * For each backend (SQLite; Postgres in a fresh schema of the local `test` database with Redis
 * for the per-key limits) it starts a gateway against the soak's fake upstream (soak-upstream.ts,
 * its own process), makes keys through the admin API, and runs SOAK_CONCURRENCY workers drawing
 * operations from the mix in soak-mix.ts for SOAK_SECONDS: chat answers and streams, a primary
 * that fails so its fallback answers, clients that disconnect mid-stream, Responses API calls,
 * 402s (a key with credit for two requests), 429s (rpm and concurrency limits), and keys created,
 * used, revoked and then refused with 401. Every answer is sorted into an expected kind or an
 * unexpected one (soak-client.ts). After the load it checks every key's books (soak-books.ts),
 * stops the gateway with SIGTERM, and drops the schema.
 *
 * It reports per backend: requests and their kinds; the gateway's RSS (VmRSS of the child) at the
 * start, after the warm-up, at the end, its peak and drift; event-loop lag, as the gateway
 * reports it on GET /metrics (`nodejs_eventloop_lag_p99_seconds`, per 5 s scrape interval; Node's
 * histogram counts its own 10 ms sampling interval, so an idle loop reads ≈ 10 ms, and the idle
 * reading is reported beside it) when that gauge exists, and always the latency of a GET /health
 * probe every 200 ms on its own connection (an upper bound on the lag, loopback included); and
 * the books. It writes bench/results/soak-latest.json and exits 1 when any backend saw an
 * unexpected answer, inexact books, or a gateway that did not exit 0 on SIGTERM (2 when a server
 * or database could not be started). RSS drift and lag are reported, not judged.
 *
 * Environment: SOAK_SECONDS (load per backend, default 300), SOAK_BACKENDS (`sqlite,postgres`),
 * SOAK_CONCURRENCY (16), SOAK_WARMUP_SECONDS (when the "after warm-up" RSS is read; default 10%
 * of SOAK_SECONDS, at most 30), SOAK_TIMEOUT_MS (per request, 30000), SOAK_DATABASE_URL
 * (postgres://postgres@127.0.0.1:5432/test), SOAK_REDIS_URL (redis://127.0.0.1:6379),
 * BENCH_GATEWAY_BUILD=0 (use the existing build), BENCH_GATEWAY_ENTRY (as for `pnpm bench`).
 *
 * @example
 *   SOAK_SECONDS=60 pnpm soak
 *   SOAK_BACKENDS=postgres BENCH_GATEWAY_BUILD=0 pnpm soak
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCleanup, spawnChild, stopAll, waitForUrlLine } from './children.js';
import { startGateway } from './gateway.js';
import { prepareBackend, type Backend, type BackendName } from './soak-backend.js';
import { checkBooks, type BooksReport } from './soak-books.js';
import { soakCatalog } from './soak-catalog.js';
import { isExpected, type Outcome } from './soak-client.js';
import {
  CONCURRENCY_LIMIT,
  createKey,
  RPM_LIMIT,
  runMix,
  usdToMicros,
  type AdminContext,
  type MixContext,
  type SoakKey,
} from './soak-mix.js';
import { GatewayWatch, summarizeMs } from './soak-probes.js';
import { formatResult, type BackendResult } from './soak-report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function numEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min)
    throw new RangeError(`${name} must be a number >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

function backendsEnv(): BackendName[] {
  const raw = process.env['SOAK_BACKENDS'] ?? 'sqlite,postgres';
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const n of names)
    if (n !== 'sqlite' && n !== 'postgres')
      throw new RangeError(`SOAK_BACKENDS is a comma list of sqlite and postgres, got ${JSON.stringify(raw)}`);
  if (names.length === 0) throw new RangeError('SOAK_BACKENDS names no backend');
  return names as BackendName[];
}

const seconds = numEnv('SOAK_SECONDS', 300, 1);
const config = {
  seconds,
  backends: backendsEnv(),
  concurrency: Math.floor(numEnv('SOAK_CONCURRENCY', 16, 1)),
  warmupSeconds: numEnv('SOAK_WARMUP_SECONDS', Math.min(30, seconds / 10), 0),
  timeoutMs: Math.floor(numEnv('SOAK_TIMEOUT_MS', 30_000, 100)),
  buildGateway: process.env['BENCH_GATEWAY_BUILD'] !== '0',
  gatewayEntry: process.env['BENCH_GATEWAY_ENTRY'] ?? 'apps/gateway/dist/server.mjs',
};

const log = (msg: string): void => void process.stderr.write(`soak: ${msg}\n`);
const round = (x: number, digits = 1): number => Number(x.toFixed(digits));

async function main(): Promise<number> {
  installCleanup();
  const workDir = await mkdtemp(join(tmpdir(), 'saferouter-soak-'));
  const results: BackendResult[] = [];
  try {
    let upstreamUrl: string;
    try {
      const child = spawnChild(
        'soak upstream',
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'bench/src/soak-upstream.ts')],
        { cwd: ROOT, env: process.env },
      );
      upstreamUrl = await waitForUrlLine(child);
    } catch (e) {
      log(`UPSTREAM FAILED TO START\n${e instanceof Error ? e.message : String(e)}`);
      return 2;
    }
    let build = config.buildGateway;
    for (const name of config.backends) {
      let backend: Backend;
      try {
        backend = await prepareBackend(name, workDir);
      } catch (e) {
        log(`${name}: CANNOT PREPARE THE BACKEND\n${e instanceof Error ? e.message : String(e)}`);
        return 2;
      }
      try {
        const result = await soakOne(backend, upstreamUrl, workDir, build);
        if (result === undefined) return 2;
        build = false;
        results.push(result);
      } finally {
        await backend.cleanup().catch((e: unknown) => log(`${name}: cleanup failed: ${String(e)}`));
      }
    }
  } finally {
    await stopAll();
    await rm(workDir, { recursive: true, force: true });
  }

  const resultsDir = join(ROOT, 'bench', 'results');
  await mkdir(resultsDir, { recursive: true });
  const record = {
    finishedAt: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
    },
    config,
    pass: results.every((r) => r.pass),
    results,
  };
  await writeFile(join(resultsDir, 'soak-latest.json'), `${JSON.stringify(record, null, 2)}\n`);
  process.stdout.write(`\n${results.map(formatResult).join('\n\n')}\n\nresults: bench/results/soak-latest.json\n`);
  const failed = results.filter((r) => !r.pass);
  if (failed.length > 0) {
    process.stdout.write(
      `\n!!! SOAK FAILED on ${failed.map((r) => r.backend).join(', ')}:\n${failed
        .flatMap((r) => r.problems.map((p) => `!!!   ${r.backend}: ${p}`))
        .join('\n')}\n`,
    );
    return 1;
  }
  return 0;
}

async function soakOne(
  backend: Backend,
  upstreamUrl: string,
  workDir: string,
  build: boolean,
): Promise<BackendResult | undefined> {
  const name = backend.name;
  log(`${name}: starting the gateway (${backend.describe})`);
  let gw: Awaited<ReturnType<typeof startGateway>>;
  try {
    gw = await startGateway({
      root: ROOT,
      upstreamUrl,
      workDir,
      build,
      entry: config.gatewayEntry,
      name: `soak-${name}`,
      env: backend.env,
      catalog: soakCatalog(upstreamUrl),
    });
  } catch (e) {
    log(`${name}: GATEWAY FAILED TO START\n${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  const pid = gw.child.proc.pid ?? 0;
  const outcomes: Outcome[] = [];
  const keys = new Map<string, SoakKey>();
  const admin: AdminContext = {
    baseUrl: gw.url,
    adminKey: gw.adminKey,
    keys,
    record: (o) => void outcomes.push(o),
    timeoutMs: config.timeoutMs,
  };

  // The key startGateway issued ($1,000,000) is one of the main keys; three more, and the limited ones.
  const own = await fetch(`${gw.url}/v1/key`, { headers: { authorization: `Bearer ${gw.userKey}` } });
  const ownId = ((await own.json()) as { id?: unknown }).id;
  if (typeof ownId !== 'string') throw new Error(`${name}: GET /v1/key answered ${own.status} without an id`);
  const benchKey: SoakKey = {
    id: ownId,
    secret: gw.userKey,
    name: 'bench',
    creditedMicros: usdToMicros('1000000'),
    revoked: false,
  };
  keys.set(benchKey.id, benchKey);
  const mainKeys = [benchKey];
  for (let i = 1; i <= 3; i++) mainKeys.push(await mustCreate(admin, `soak-main-${i}`, '1000'));
  const ctx: MixContext = {
    ...admin,
    mainKeys,
    rpmKey: await mustCreate(admin, 'soak-rpm', '1000', { rpm: RPM_LIMIT }),
    concurrencyKey: await mustCreate(admin, 'soak-concurrency', '1000', { concurrency: CONCURRENCY_LIMIT }),
  };

  const metrics = await GatewayWatch.metricsHaveLag(gw.url, gw.adminKey);
  const watch = new GatewayWatch(pid, gw.url, gw.adminKey, metrics);
  let idleP99Ms: number | undefined;
  if (metrics) {
    // Two scrapes 2 s apart with no load: the idle reading (Node's sampling interval included).
    await watch.finalScrape();
    await new Promise((r) => setTimeout(r, 2000));
    await watch.finalScrape();
    idleP99Ms = watch.lagP99.v.at(-1);
    watch.lagP99.t.length = 0;
    watch.lagP99.v.length = 0;
  }
  const rssStart = await watch.sampleRss();
  watch.t0 = Date.now();
  watch.start();
  log(
    `${name}: ${config.seconds}s of mixed load at ${config.concurrency} workers (event-loop lag from ${metrics ? '/metrics' : 'the /health probe only'})`,
  );
  const started = Date.now();
  let rssAfterWarmup: number | undefined;
  const warmupTimer = setTimeout(() => {
    void watch.sampleRss().then((v) => (rssAfterWarmup = v));
  }, config.warmupSeconds * 1000);
  const progress = setInterval(() => {
    const unexpected = outcomes.filter((o) => !isExpected(o.kind)).length;
    log(
      `${name}: ${Math.round((Date.now() - started) / 1000)}s, ${outcomes.length} requests, ${unexpected} unexpected, RSS ${round(watch.rss.v.at(-1) ?? Number.NaN)} MiB`,
    );
  }, 15_000);
  const ops = await runMix(ctx, config.concurrency, started + config.seconds * 1000);
  const loadSeconds = (Date.now() - started) / 1000;
  clearInterval(progress);
  clearTimeout(warmupTimer);
  await watch.finalScrape();
  // Let the last streams settle and the batch writer flush before the end reading.
  await new Promise((r) => setTimeout(r, 2000));
  const rssEnd = await watch.sampleRss();
  await watch.stop();
  const alive = gw.child.alive;

  log(`${name}: load done (${outcomes.length} requests in ${round(loadSeconds)} s); checking the books`);
  const store = await backend.openStore(gw.dataDir);
  let books: BooksReport;
  try {
    books = await checkBooks({ baseUrl: gw.url, adminKey: gw.adminKey, store, keys, outcomes });
  } finally {
    await store.close();
  }
  log(`${name}: stopping the gateway (SIGTERM)`);
  await gw.child.stop(15_000);
  const gatewayExitCode = await gw.child.exited();

  const expected: Record<string, number> = {};
  const unexpected: Record<string, number> = {};
  const byOp: Record<string, Record<string, number>> = {};
  for (const o of outcomes) {
    const bucket = isExpected(o.kind) ? expected : unexpected;
    bucket[o.kind] = (bucket[o.kind] ?? 0) + 1;
    const op = (byOp[o.op] ??= {});
    op[o.kind] = (op[o.kind] ?? 0) + 1;
  }
  const unexpectedOutcomes = outcomes.filter((o) => !isExpected(o.kind));
  const lagValues = watch.lagP99.v;
  const sortedLag = [...lagValues].sort((a, b) => a - b);
  const health = summarizeMs(watch.health.v);

  const problems: string[] = [];
  if (unexpectedOutcomes.length > 0)
    problems.push(
      `${unexpectedOutcomes.length} unexpected answer(s): ${Object.entries(unexpected)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ')}`,
    );
  if (!books.exact) problems.push(`books inexact: ${books.problemCount} discrepancy(ies), first: ${books.problems[0]}`);
  if (!alive) problems.push('the gateway died during the load');
  if (gatewayExitCode !== 0) problems.push(`the gateway exited with ${String(gatewayExitCode)} on SIGTERM, not 0`);
  for (const [kind, n] of Object.entries({
    ok: 1,
    fallback: 1,
    disconnect: 1,
    'refused-402': 1,
    'refused-429': 1,
    'revoked-401': 1,
  }))
    if ((expected[kind] ?? 0) < n && config.seconds >= 10) problems.push(`the mix never produced "${kind}"`);

  const peak = watch.rss.v.length === 0 ? undefined : Math.max(...watch.rss.v);
  const diff = (a: number | undefined, b: number | undefined): number | undefined =>
    a === undefined || b === undefined ? undefined : round(a - b);
  return {
    backend: name,
    describe: backend.describe,
    pass: problems.length === 0,
    problems,
    requests: outcomes.length,
    requestsPerSecond: round(outcomes.length / loadSeconds),
    loadSeconds: round(loadSeconds),
    ops,
    expected,
    unexpected,
    byOp,
    unexpectedSamples: unexpectedOutcomes
      .slice(0, 20)
      .map((o) => ({ op: o.op, kind: o.kind, status: o.status, detail: o.detail })),
    rss: {
      startMiB: rssStart === undefined ? undefined : round(rssStart),
      afterWarmupMiB: rssAfterWarmup === undefined ? undefined : round(rssAfterWarmup),
      endMiB: rssEnd === undefined ? undefined : round(rssEnd),
      peakMiB: peak === undefined ? undefined : round(peak),
      driftMiB: diff(rssEnd, rssStart),
      driftAfterWarmupMiB: diff(rssEnd, rssAfterWarmup),
      series: watch.rss.t.map((t, i) => [t, round(watch.rss.v[i] ?? Number.NaN)]),
    },
    eventLoopLag: metrics
      ? {
          source: 'metrics',
          idleP99Ms: idleP99Ms === undefined ? undefined : round(idleP99Ms, 2),
          intervalP99Ms: {
            median: round(sortedLag[Math.floor(sortedLag.length / 2)] ?? Number.NaN, 2),
            max: round(sortedLag.at(-1) ?? Number.NaN, 2),
            intervals: sortedLag.length,
          },
          note: "nodejs_eventloop_lag_p99_seconds from GET /metrics, one value per ~5 s scrape (the histogram resets at each); Node's histogram includes its 10 ms sampling interval, see idleP99Ms",
        }
      : {
          source: 'health-probe',
          note: 'GET /metrics serves no nodejs_eventloop_lag_p99_seconds in this build: the lag is bounded by the /health probe latency only (healthProbe: loopback and HTTP parsing included)',
        },
    healthProbe: { ...health, failures: watch.healthFailures },
    books,
    gatewayExitCode,
  };
}

async function mustCreate(
  ctx: AdminContext,
  name: string,
  creditUsd: string,
  limits?: { rpm?: number; concurrency?: number },
): Promise<SoakKey> {
  const key = await createKey(ctx, name, creditUsd, limits);
  if (key === undefined) throw new Error(`could not create the ${name} key`);
  return key;
}

main().then(
  (code) => process.exit(code),
  async (e: unknown) => {
    log(`FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    await stopAll();
    process.exit(1);
  },
);
