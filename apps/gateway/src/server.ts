/**
 * The gateway's entry point: read the environment once, start, and shut down cleanly on
 * SIGTERM/SIGINT. A bad config stops the start with a message naming the field.
 */
import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@saferouter/router';
import { loadGatewayConfig } from './config.js';
import { startGateway } from './start.js';
import { handleShutdownSignals } from './shutdown.js';
import { isClusterPrimary, runPrimary, workerStartupIndex } from './cluster.js';

async function main(): Promise<void> {
  const env = process.env;
  let config;
  try {
    config = loadGatewayConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`saferouter: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
  const entry = fileURLToPath(import.meta.url);
  const workers = config.workers ?? 1;
  // SAFEROUTER_WORKERS > 1: this process records the start (one startup entry, the admin key),
  // then forks the workers that serve (cluster.ts) and supervises them.
  const primary = isClusterPrimary(workers);
  const running = await startGateway(config, env, entry, {
    listen: !primary,
    startupIndex: workerStartupIndex(env),
  });
  if (running.generatedAdminKey) {
    console.log(
      [
        '',
        '  SafeRouter generated an admin key. It is shown this once and stored only as a hash:',
        '',
        `    ${running.generatedAdminKey}`,
        '',
        '  Keep it somewhere safe, or set SAFEROUTER_ADMIN_KEY to choose your own.',
        '',
      ].join('\n'),
    );
  }
  // Everything but the banner above goes through the logger (JSON lines, or pretty at a terminal).
  const { attestor, measurement, logger } = running;
  if (primary) {
    logger.info(
      { measurement: measurement.hex, backend: attestor.backend, hardware: attestor.hardware },
      `measurement ${measurement.hex}; attestation backend ${attestor.backend}${attestor.hardware ? ' (AMD SEV-SNP hardware)' : ' (MOCK, demo only: not hardware)'}`,
    );
    const startupIndex = running.startupLog.index;
    // The primary's own store, logs and limiter are closed: the workers open theirs.
    await running.close();
    process.exit(
      await runPrimary({
        workers,
        startupIndex,
        log: { info: (m) => logger.info(m), error: (m) => logger.error(m) },
      }),
    );
  }
  logger.info(
    { measurement: measurement.hex, backend: attestor.backend, hardware: attestor.hardware },
    `measurement ${measurement.hex} (of ${measurement.binaryPath}, the catalog and ${measurement.staticFiles} served static file(s)); attestation backend ${attestor.backend}${attestor.hardware ? ' (AMD SEV-SNP hardware)' : ' (MOCK, demo only: not hardware)'}`,
  );
  logger.info(
    { url: running.url },
    `listening on ${running.url} (data dir ${config.dataDir}${config.configPath ? `, config ${config.configPath}` : ', default catalog'})`,
  );
  if (existsSync(join(running.dashboardDir, 'index.html'))) {
    logger.info(`dashboard at ${running.url}/ (sign in with an API key or the admin key)`);
  } else {
    logger.warn(
      `no dashboard built in ${running.dashboardDir}: / answers 503 (run \`pnpm --filter @saferouter/dashboard build\` or set SAFEROUTER_DASHBOARD_DIR)`,
    );
  }
  if (existsSync(join(running.verifierDir, 'index.html'))) {
    logger.info(`verifier page at ${running.url}/verify/ (a copy hosted apart from this gateway is the one to trust)`);
  } else {
    logger.warn(
      `no verifier page built in ${running.verifierDir}: /verify answers 503 (run \`pnpm --filter @saferouter/verifier build\` or set SAFEROUTER_VERIFIER_DIR)`,
    );
  }

  // SIGTERM/SIGINT: drain for up to SAFEROUTER_DRAIN_MS, flush, close, exit 0; again: exit now.
  // A cluster worker drains on the primary's SIGTERM only: a terminal's Ctrl-C reaches every
  // process of the group, and the primary already turns it into that SIGTERM.
  if (cluster.isWorker) process.on('SIGINT', () => undefined);
  const workerSignals: Pick<NodeJS.Process, 'on'> = {
    on: ((event: string, listener: () => void) => {
      if (event === 'SIGTERM') process.on('SIGTERM', listener);
      return process;
    }) as NodeJS.Process['on'],
  };
  handleShutdownSignals({
    ...(cluster.isWorker ? { signals: workerSignals } : {}),
    drain: (ms) => running.drain(ms),
    drainMs: config.drainMs ?? 30_000,
    log: (level, message, err) => (err === undefined ? logger[level](message) : logger[level]({ err }, message)),
  });
}

main().catch((err: unknown) => {
  console.error('saferouter: failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
