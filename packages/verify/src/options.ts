/**
 * `verifyGateway`'s options, and their validation (a malformed option is the caller's bug and
 * throws; bad data from the gateway never does).
 */
import type { TcbParts } from '@saferouter/attest';
import type { AuditSampleJson } from '@saferouter/audit';
import type { StateStore } from './state.js';

/** Node only: the DER leaf certificate of each TLS connection made to `url`'s origin. */
export type TlsPeerCertificates = (url: string) => Promise<readonly Uint8Array[]>;

export interface VerifyGatewayOptions {
  /** The measurement you computed yourself (`pnpm measure`), 64 hex. Default: not compared (warn). */
  readonly expectedMeasurement?: string | undefined;
  /** SEV-SNP only: the launch MEASUREMENT of the VM image you expect, 96 hex. */
  readonly expectedLaunchMeasurement?: string | undefined;
  /** The mock backend fails `hardware` instead of warning. */
  readonly requireHardware?: boolean | undefined;
  /** Accept a report whose guest policy allows debugging. */
  readonly allowDebug?: boolean | undefined;
  /** The lowest acceptable reported TCB. */
  readonly minTcb?: Partial<TcbParts> | undefined;
  /** A receipt (compact JWS) to verify: adds the `receipt` check. */
  readonly receipt?: string | undefined;
  /** The exact request body bytes the receipt is for: its `request_sha256` is recomputed. */
  readonly request?: Uint8Array | undefined;
  /** The exact response bytes received (for a stream, the raw SSE bytes): `response_sha256` is recomputed. */
  readonly response?: Uint8Array | undefined;
  /** The receipt's audit sample (an item of `GET /v1/audit/samples`): commitments and inclusion are checked. */
  readonly sample?: AuditSampleJson | undefined;
  /** Where checkpoints are remembered between runs. Default: memory (every run is a first sight). */
  readonly state?: StateStore | undefined;
  /** Accept a log key different from the remembered one (and start its history afresh). */
  readonly acceptNewLog?: boolean | undefined;
  /** Witness verifier keys (C2SP vkeys) whose cosignatures on the startup checkpoint are checked. */
  readonly witnesses?: readonly string[] | undefined;
  /** How many of `witnesses` must have cosigned (default: all of them when any are given). */
  readonly quorum?: number | undefined;
  /** Warnings fail the run. */
  readonly strict?: boolean | undefined;
  /** Timeout of each request to the gateway, in milliseconds (default 10,000). */
  readonly timeoutMs?: number | undefined;
  /** The fetch to use (default `globalThis.fetch`). */
  readonly fetch?: typeof globalThis.fetch | undefined;
  /** The time certificates must be valid at (default now). */
  readonly now?: Date | undefined;
  /**
   * Node only: the DER leaf certificate of each TLS connection made to the gateway's origin (the
   * `fetch` above must be the one whose connections it saw; `createTlsTransport` from
   * `@saferouter/verify/node` supplies both). Given, with an https:// gateway: adds `tls-binding`.
   */
  readonly tlsPeerCertificates?: TlsPeerCertificates | undefined;
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX96 = /^[0-9a-f]{96}$/;

function fail(name: string, what: string, type = false): never {
  throw type ? new TypeError(`${name} must be ${what}`) : new RangeError(`${name} must be ${what}`);
}

/**
 * @throws {TypeError | RangeError} naming the malformed option.
 */
export function checkOptions(url: unknown, o: VerifyGatewayOptions): string {
  if (typeof url !== 'string') fail('url', 'a string', true);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    fail('url', `an http(s) URL, got ${JSON.stringify(url.slice(0, 200))}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') fail('url', 'an http:// or https:// URL');
  if (typeof o !== 'object' || o === null) fail('options', 'an object', true);
  const hex = (v: unknown, name: string, re: RegExp, what: string): void => {
    if (v !== undefined && (typeof v !== 'string' || !re.test(v.toLowerCase()))) fail(name, what);
  };
  hex(o.expectedMeasurement, 'options.expectedMeasurement', HEX64, '64 hex characters');
  hex(o.expectedLaunchMeasurement, 'options.expectedLaunchMeasurement', HEX96, '96 hex characters');
  for (const name of ['requireHardware', 'allowDebug', 'acceptNewLog', 'strict'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean') fail(`options.${name}`, 'a boolean', true);
  }
  if (o.receipt !== undefined && typeof o.receipt !== 'string') fail('options.receipt', 'a string', true);
  for (const name of ['request', 'response'] as const) {
    if (o[name] !== undefined && !(o[name] instanceof Uint8Array)) fail(`options.${name}`, 'a Uint8Array', true);
  }
  if (o.witnesses !== undefined) {
    if (!Array.isArray(o.witnesses) || o.witnesses.some((w) => typeof w !== 'string'))
      fail('options.witnesses', 'an array of verifier key strings', true);
  }
  if (o.quorum !== undefined) {
    const max = o.witnesses?.length ?? 0;
    if (!Number.isSafeInteger(o.quorum) || o.quorum < 0 || o.quorum > max)
      fail('options.quorum', `an integer from 0 to the number of witnesses (${max})`);
  }
  if (o.timeoutMs !== undefined && (!Number.isSafeInteger(o.timeoutMs) || o.timeoutMs < 1 || o.timeoutMs > 600_000))
    fail('options.timeoutMs', 'an integer from 1 to 600000');
  if (o.fetch !== undefined && typeof o.fetch !== 'function') fail('options.fetch', 'a function', true);
  if (o.tlsPeerCertificates !== undefined && typeof o.tlsPeerCertificates !== 'function')
    fail('options.tlsPeerCertificates', 'a function', true);
  if (o.now !== undefined && !(o.now instanceof Date)) fail('options.now', 'a Date', true);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}
