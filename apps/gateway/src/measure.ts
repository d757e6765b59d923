/**
 * The gateway's measurement, computed one way for both `pnpm measure` and the running server:
 * SHA-256 over the deterministic bundle (`dist/server.mjs`), the routed catalog and the manifest of
 * the static files it serves (the verifier page), both in RFC 8785 canonical JSON (see
 * docs/attestation.md). The catalog is the parsed config, so formatting and
 * member order in the operator's JSON file do not change the value; any routed field does.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { computeMeasurement, toHex } from '@saferouter/attest';
import type { CatalogConfig } from '@saferouter/router';

export interface GatewayMeasurement {
  measurement: Uint8Array;
  hex: string;
  /** The file measured as `binary`. */
  binaryPath: string;
  /** SHA-256 of the binary alone, hex: the build id recorded in the startup log. */
  binarySha256: string;
  /** How many served static files the measurement covers. */
  staticFiles: number;
}

/** @throws {Error} when the binary cannot be read. */
export async function measureGateway(
  binaryPath: string,
  catalog: CatalogConfig,
  files: Record<string, string>,
): Promise<GatewayMeasurement> {
  const binary = new Uint8Array(await readFile(binaryPath));
  const measurement = computeMeasurement({ binary, providers: catalog.providers, models: catalog.models, files });
  return {
    measurement,
    hex: toHex(measurement),
    binaryPath,
    binarySha256: createHash('sha256').update(binary).digest('hex'),
    staticFiles: Object.keys(files).length,
  };
}
