/**
 * SAFEROUTER_WORKERS=N: N worker processes serving one port (node:cluster), so a gateway uses
 * every core of its VM.
 *
 * - **One start, one startup entry.** The primary measures, attests and appends this start's
 *   record to the startup log (generating the admin key on a first start), then serves nothing
 *   itself: it forks the workers, each told the entry's index (`SAFEROUTER_STARTUP_INDEX`, set
 *   here, not by operators). Workers share the data dir, hence the identity keys the primary
 *   created, and open that entry instead of appending their own (`openStartupRecord` checks it
 *   names their signing key).
 * - **Postgres only** (config.ts refuses N > 1 on SQLite): admission stays exact across workers
 *   exactly as it does across replicas, by the store's atomic holds; per-key limits need Redis
 *   to be shared (as for replicas).
 * - **Metrics** are aggregated by prom-client's `AggregatorRegistry` in the primary: a worker
 *   asked for `/metrics` asks the primary over IPC, which collects every worker's registry.
 * - **Signals.** SIGTERM/SIGINT to the primary becomes a SIGTERM to every worker, each drains its
 *   own requests; the primary exits 0 when all exited cleanly. A second signal kills them at once.
 *   Workers ignore SIGINT (a terminal sends Ctrl-C to the whole process group).
 *   A worker that dies unexpectedly is replaced (same startup entry).
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/** The environment variable a worker reads its startup entry's index from. */
export const STARTUP_INDEX_ENV = 'SAFEROUTER_STARTUP_INDEX';

const METRICS_REQUEST = 'saferouter:metrics-request';
const METRICS_RESPONSE = 'saferouter:metrics-response';
/** A worker waits this long for the primary's aggregate before answering /metrics with an error. */
const METRICS_TIMEOUT_MS = 5_000;

export interface PrimaryOptions {
  workers: number;
  /** This start's startup-log index, handed to every worker. */
  startupIndex: number;
  log: { info(message: string): void; error(message: string): void };
}

/** The worker's startup index from its environment, or undefined in a single-process gateway. */
export function workerStartupIndex(env: Record<string, string | undefined>): number | undefined {
  if (!cluster.isWorker) return undefined;
  const raw = env[STARTUP_INDEX_ENV];
  const index = raw === undefined ? NaN : Number(raw);
  if (!Number.isSafeInteger(index) || index < 0)
    throw new Error(`${STARTUP_INDEX_ENV} is not a log index: '${raw ?? ''}'`);
  return index;
}

/** True in the process that forks workers: SAFEROUTER_WORKERS > 1 and not a worker itself. */
export function isClusterPrimary(workers: number): boolean {
  return workers > 1 && cluster.isPrimary;
}

/**
 * Forks the workers and supervises them until a signal; resolves with the exit code.
 *
 * @example process.exit(await runPrimary({ workers: 4, startupIndex, log }));
 */
export function runPrimary(options: PrimaryOptions): Promise<number> {
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  let failed = false;
  const fork = (): Worker => cluster.fork({ [STARTUP_INDEX_ENV]: String(options.startupIndex) });

  cluster.on('message', (worker, message: unknown) => {
    if (!isMessage(message, METRICS_REQUEST)) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: METRICS_RESPONSE, id: message.id, text }),
      (error: unknown) => worker.send({ type: METRICS_RESPONSE, id: message.id, error: String(error) }),
    );
  });

  return new Promise((resolve) => {
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) {
        if (code !== 0) failed = true;
        if (Object.keys(cluster.workers ?? {}).length === 0) resolve(failed ? 1 : 0);
        return;
      }
      options.log.error(
        `saferouter: worker ${worker.process.pid ?? '?'} exited (${signal ?? `code ${code}`}); starting another`,
      );
      fork();
    });
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // A second signal: no more waiting.
        for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
        resolve(1);
        return;
      }
      stopping = true;
      options.log.info(`saferouter: ${signal}, draining ${Object.keys(cluster.workers ?? {}).length} worker(s)`);
      // Always SIGTERM: a terminal's Ctrl-C already reached the workers as SIGINT, which they
      // ignore (server.ts), so that one keypress is one drain, not a drain and an exit.
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    for (let i = 0; i < options.workers; i++) fork();
    options.log.info(`saferouter: ${options.workers} workers started (startup entry ${options.startupIndex})`);
  });
}

interface Message {
  type: string;
  id: number;
  text?: string;
  error?: string;
}

function isMessage(value: unknown, type: string): value is Message {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === type;
}

/**
 * In a worker: this worker's metrics registry joins the primary's aggregate, and the returned
 * function fetches the aggregate (every worker's metrics) for `/metrics`.
 */
export function clusterMetrics(registry: Registry): () => Promise<string> {
  // Constructing one installs prom-client's worker-side listener that answers the primary.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  let next = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  process.on('message', (message: unknown) => {
    if (!isMessage(message, METRICS_RESPONSE)) return;
    const pending = waiting.get(message.id);
    if (pending === undefined) return;
    waiting.delete(message.id);
    if (message.text !== undefined) pending.resolve(message.text);
    else pending.reject(new Error(`the primary could not aggregate metrics: ${message.error ?? 'unknown'}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the primary did not answer for metrics in time'));
      }, METRICS_TIMEOUT_MS);
      waiting.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      process.send?.({ type: METRICS_REQUEST, id });
    });
}
