/**
 * The first four checks: `quote` (a fresh nonce, the bundle and the published keys fetched and
 * shaped), then attest's `verifyBundle`, whose finer checks are split three ways: the evidence
 * (signature, chain, TCB, policy) into `hardware`, the nonce and report_data into `binding`, and
 * the measurement into `measurement`.
 */
import { fromHex, safeParseBundle, toHex, type AttestationBundle, type Check } from '@saferouter/attest';
import { verifyBundle } from '@saferouter/attest';
import type { SubCheck } from './checks.js';
import type { Http } from './http.js';
import type { VerifyGatewayOptions } from './options.js';
import { failedBecause, type Outcome, type Runner } from './runner.js';

/** What `GET /attestation/verifying-key` publishes, as far as the verifier uses it. */
export interface Published {
  readonly signingKey: string;
  readonly transparencyLogKey?: string;
  readonly startupIndex?: number;
}

export interface QuoteResult {
  readonly nonce: Uint8Array;
  readonly bundle: AttestationBundle;
  readonly backend: string;
  readonly published: Published;
}

/** What the attestation established, for the log and receipt checks. */
export interface Attested {
  /** 64 hex, bound by the report. */
  readonly measurement: string;
  readonly signingKey: string;
  /** The X25519 sealing key bound in the report (64 hex): EHBP seals to it. */
  readonly sealingKey: string;
  readonly backend: string;
  /** Verified SEV-SNP evidence (never the mock). */
  readonly hardware: boolean;
  readonly published: Published;
}

const HEX64 = /^[0-9a-f]{64}$/;

function parsePublished(value: unknown): Published {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error('/attestation/verifying-key did not answer a JSON object');
  const v = value as Record<string, unknown>;
  if (typeof v['signingKey'] !== 'string' || !HEX64.test(v['signingKey']))
    throw new Error('/attestation/verifying-key: signingKey is not 64 lowercase hex characters');
  const out: { signingKey: string; transparencyLogKey?: string; startupIndex?: number } = {
    signingKey: v['signingKey'],
  };
  if (v['transparencyLogKey'] !== undefined) {
    if (typeof v['transparencyLogKey'] !== 'string' || v['transparencyLogKey'].length > 1024)
      throw new Error('/attestation/verifying-key: transparencyLogKey is not a verifier key string');
    out.transparencyLogKey = v['transparencyLogKey'];
  }
  if (v['startupIndex'] !== undefined) {
    const i = v['startupIndex'];
    if (typeof i !== 'number' || !Number.isSafeInteger(i) || i < 0)
      throw new Error('/attestation/verifying-key: startupIndex is not a non-negative integer');
    out.startupIndex = i;
  }
  return out;
}

/** `quote`: a fresh CSPRNG nonce, `POST /attestation/quote`, the bundle's shape, the published keys. */
export async function fetchQuote(http: Http): Promise<Outcome<QuoteResult>> {
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const raw = await http.postJson('/attestation/quote', { nonce: toHex(nonce) });
  const parsed = safeParseBundle(raw);
  if (!parsed.ok)
    return {
      status: 'fail',
      detail: `the quote is not an attestation bundle: ${parsed.issues.slice(0, 5).join('; ')}`,
    };
  const published = parsePublished(await http.getJson('/attestation/verifying-key'));
  const bundle = parsed.bundle;
  return {
    status: 'pass',
    detail: `nonce ${toHex(nonce).slice(0, 16)}… answered by a ${bundle.backend === 'mock' ? 'MOCK (demo)' : bundle.backend} bundle of ${bundle.certChain.length} certificate(s)`,
    value: { nonce, bundle, backend: bundle.backend, published },
  };
}

const BINDING = new Set(['nonce', 'binding']);
const MEASUREMENT = new Set(['measurement']);

/** The launch half of attest's measurement detail (`…; the guest's launch MEASUREMENT …`), so a pass says whether the VM image was compared too. */
const launchNote = (checks: readonly Check[]): string => {
  const detail = checks.find((c) => c.id === 'measurement')?.detail ?? '';
  const at = detail.indexOf('; ');
  return at < 0 ? '' : detail.slice(at);
};
const sub = (checks: readonly Check[]): SubCheck[] => checks.map((c) => ({ id: c.id, ok: c.ok, detail: c.detail }));
const firstFailed = (checks: readonly Check[]): Check | undefined => checks.find((c) => !c.ok);

/** `hardware`, `binding` and `measurement`; returns what they established unless one that later checks need failed. */
export async function checkAttestation(
  run: Runner,
  quote: QuoteResult,
  options: VerifyGatewayOptions,
): Promise<Attested | undefined> {
  const { bundle, nonce } = quote;
  const verdict = await verifyBundle(bundle, {
    nonce,
    ...(options.expectedMeasurement === undefined
      ? {}
      : { expectedMeasurement: fromHex(options.expectedMeasurement.toLowerCase()) }),
    ...(options.expectedLaunchMeasurement === undefined
      ? {}
      : { expectedLaunchMeasurement: fromHex(options.expectedLaunchMeasurement.toLowerCase()) }),
    requireHardware: options.requireHardware === true,
    allowDebug: options.allowDebug === true,
    ...(options.minTcb === undefined ? {} : { minTcb: options.minTcb }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const evidence = verdict.checks.filter((c) => !BINDING.has(c.id) && !MEASUREMENT.has(c.id));
  const binding = verdict.checks.filter((c) => BINDING.has(c.id));
  const measurement = verdict.checks.filter((c) => MEASUREMENT.has(c.id));
  const mock = bundle.backend === 'mock';

  const hardware = await run.run('hardware', async () => {
    const failed = firstFailed(evidence);
    if (failed !== undefined || verdict.report === undefined) {
      const why = failed === undefined ? 'the report could not be judged' : `${failed.id}: ${failed.detail}`;
      return { status: 'fail', detail: `${mock ? 'MOCK (DEMO) bundle: ' : ''}${why}`, sub: sub(evidence) };
    }
    if (mock)
      return {
        status: 'warn',
        detail:
          'DEMO, not hardware: the MOCK attestation backend signed this report with a software key on the server itself. It proves nothing about hardware, isolation or what code runs.',
        sub: sub(evidence),
        value: true,
      };
    const detail = `AMD SEV-SNP report verified: ${verdict.product ?? '?'} CPU, signed by its ${(verdict.signingKeyKind ?? '?').toUpperCase()}, chain to the pinned AMD root, TCB and policy accepted`;
    return { status: 'pass', detail, sub: sub(evidence), value: true };
  });
  if (hardware === undefined) {
    run.skip('binding', failedBecause('hardware'));
    run.skip('measurement', failedBecause('hardware'));
    return undefined;
  }

  const published = quote.published;
  const bound = await run.run('binding', async () => {
    const failed = firstFailed(binding);
    if (failed !== undefined || binding.length < 2) {
      return {
        status: 'fail',
        detail: failed === undefined ? 'the binding was not checked' : `${failed.id}: ${failed.detail}`,
        sub: sub(binding),
      };
    }
    if (published.signingKey !== bundle.signingKey)
      return {
        status: 'fail',
        detail: `/attestation/verifying-key publishes signing key ${published.signingKey.slice(0, 16)}…, not the bound ${bundle.signingKey.slice(0, 16)}…`,
        sub: sub(binding),
      };
    return {
      status: 'pass',
      detail: binding.find((c) => c.id === 'binding')?.detail ?? '',
      sub: sub(binding),
      value: true,
    };
  });
  if (bound === undefined) {
    run.skip('measurement', failedBecause('binding'));
    return undefined;
  }

  await run.run('measurement', async () => {
    const failed = firstFailed(measurement);
    if (failed !== undefined || measurement.length === 0)
      return {
        status: 'fail',
        detail: failed === undefined ? 'the measurement was not checked' : failed.detail,
        sub: sub(measurement),
      };
    if (options.expectedMeasurement === undefined)
      return {
        status: 'warn',
        detail: `not compared — run \`pnpm measure\` on the source you trust and pass its output (attested: ${bundle.measurement})`,
        sub: sub(measurement),
      };
    return {
      status: 'pass',
      detail: `attested ${bundle.measurement} equals the expected value${launchNote(measurement)}`,
      sub: sub(measurement),
    };
  });

  return {
    measurement: bundle.measurement,
    signingKey: bundle.signingKey,
    sealingKey: bundle.sealingKey,
    backend: bundle.backend,
    hardware: bundle.backend === 'sev-snp',
    published,
  };
}
