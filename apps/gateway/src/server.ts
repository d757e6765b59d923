/**
 * The gateway's entry point: read the environment once, start, and shut down cleanly on
 * SIGTERM/SIGINT. A bad config stops the start with a message naming the field.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@saferouter/router';
import { loadGatewayConfig } from './config.js';
import { startGateway } from './start.js';

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
  const running = await startGateway(config, env, fileURLToPath(import.meta.url));
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
  const { attestor, measurement } = running;
  console.log(
    `saferouter: measurement ${measurement.hex} (of ${measurement.binaryPath}, the catalog and ${measurement.staticFiles} served static file(s)); attestation backend ${attestor.backend}${attestor.hardware ? ' (AMD SEV-SNP hardware)' : ' (MOCK, demo only: not hardware)'}`,
  );
  console.log(
    `saferouter: listening on ${running.url} (data dir ${config.dataDir}${config.configPath ? `, config ${config.configPath}` : ', default catalog'})`,
  );
  if (existsSync(join(running.dashboardDir, 'index.html'))) {
    console.log(`saferouter: dashboard at ${running.url}/ (sign in with an API key or the admin key)`);
  } else {
    console.warn(
      `saferouter: no dashboard built in ${running.dashboardDir}: / answers 503 (run \`pnpm --filter @saferouter/dashboard build\` or set SAFEROUTER_DASHBOARD_DIR)`,
    );
  }
  if (existsSync(join(running.verifierDir, 'index.html'))) {
    console.log(
      `saferouter: verifier page at ${running.url}/verify/ (a copy hosted apart from this gateway is the one to trust)`,
    );
  } else {
    console.warn(
      `saferouter: no verifier page built in ${running.verifierDir}: /verify answers 503 (run \`pnpm --filter @saferouter/verifier build\` or set SAFEROUTER_VERIFIER_DIR)`,
    );
  }

  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    console.log(`saferouter: ${signal}, shutting down`);
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('saferouter: shutdown failed', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('saferouter: failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
