/**
 * `pnpm measure`: prints the measurement a gateway built from this checkout reports, reading the
 * catalog exactly as the gateway does (`SAFEROUTER_CONFIG`, or the default catalog). Bundled by
 * build.mjs next to `server.mjs`, which is the binary it measures.
 */
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@saferouter/router';
import { loadCatalogConfig } from './config.js';
import { measureGateway } from './measure.js';
import { resolve } from 'node:path';
import { loadServedFiles } from './static-files.js';

const binaryPath = fileURLToPath(new URL('./server.mjs', import.meta.url));
try {
  const catalog = loadCatalogConfig(process.env.SAFEROUTER_CONFIG);
  // The dashboard and verifier page the gateway would serve, found as the gateway finds them.
  const dir = (name: string): string | undefined => (process.env[name] ? resolve(process.env[name]) : undefined);
  const served = loadServedFiles({
    dashboardDir: dir('SAFEROUTER_DASHBOARD_DIR'),
    verifierDir: dir('SAFEROUTER_VERIFIER_DIR'),
  });
  const { hex } = await measureGateway(binaryPath, catalog, served.manifest);
  process.stdout.write(`${hex}\n`);
} catch (err) {
  process.stderr.write(
    `saferouter measure: ${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
}
