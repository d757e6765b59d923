/**
 * `verifyGateway`: every trust claim of a SafeRouter gateway checked from the gateway's own
 * public endpoints, nothing else (the AMD chain comes inside the bundle), in the fixed order of
 * CHECK_IDS. A check whose inputs come from a failed check is skipped with the reason, so one
 * tampering fails exactly one check. Never throws on bad data; `assertGateway` throws.
 */
import { CHECK_IDS, type GatewayVerification } from './checks.js';
import { failedBecause, Runner } from './runner.js';
import { VerifyError } from './errors.js';
import { createHttp, type Http } from './http.js';
import { checkLog, type VerifiedLog } from './log-checks.js';
import { checkOptions, type VerifyGatewayOptions } from './options.js';
import { checkReceipt } from './receipt-check.js';
import { compareWithRemembered, saveRemembered } from './remembered.js';
import { checkAttestation, type Attested, type QuoteResult, fetchQuote } from './attestation-checks.js';
import { memoryState } from './state.js';
import { runTlsBinding } from './tls-binding.js';

/**
 * Verifies a gateway end to end.
 *
 * @example
 * const result = await verifyGateway('https://router.example.com', {
 *   expectedMeasurement: '4f1c…', // from `pnpm measure` on source you trust
 *   state: localStorageState(),   // remember checkpoints between runs
 * });
 * result.verdict; // 'verified' | 'demo' | 'failed'
 * for (const c of result.checks) console.log(c.status, c.title, c.detail);
 * @throws {TypeError | RangeError} only for malformed arguments (a URL that is not http(s), a bad option).
 */
export async function verifyGateway(url: string, options: VerifyGatewayOptions = {}): Promise<GatewayVerification> {
  const gateway = checkOptions(url, options);
  const startedAt = new Date();
  const started = performance.now();
  const http: Http = createHttp(
    gateway,
    options.timeoutMs ?? 10_000,
    options.fetch ?? globalThis.fetch.bind(globalThis),
  );
  const state = options.state ?? memoryState();
  const run = new Runner();

  const quote = await run.run<QuoteResult>('quote', () => fetchQuote(http));
  let attested: Attested | undefined;
  if (quote === undefined) {
    for (const id of ['hardware', 'binding', 'measurement'] as const) run.skip(id, failedBecause('quote'));
  } else {
    attested = await checkAttestation(run, quote, options);
  }

  let startup: VerifiedLog | undefined;
  if (attested === undefined) {
    run.skip('startup-log', failedBecause(run.status('hardware') === 'fail' ? 'hardware' : 'binding'));
  } else {
    const a = attested;
    startup = await run.run('startup-log', () => checkLog(http, 'startup', a, options));
  }

  const ready: { startup?: VerifiedLog; audit?: VerifiedLog } = {};
  if (startup === undefined) {
    run.skip('log-consistency', failedBecause(attested === undefined ? 'binding' : 'startup-log'));
    run.skip('audit-log', failedBecause(attested === undefined ? 'binding' : 'startup-log'));
  } else {
    const s = startup;
    const consistent = await run.run('log-consistency', () => compareWithRemembered(http, state, gateway, s, options));
    if (consistent !== undefined) ready.startup = s;
    const audit = await run.run('audit-log', async () => {
      const log = await checkLog(http, 'audit', s.attested, options, s.vkey);
      if (log.status === 'fail' || log.value === undefined) return log;
      const compared = await compareWithRemembered(http, state, gateway, log.value, options);
      return {
        ...compared,
        detail: `${log.detail}; ${compared.detail}`,
        sub: [...(log.sub ?? []), ...(compared.sub ?? [])],
      };
    });
    if (audit !== undefined) ready.audit = audit;
  }

  if (options.receipt !== undefined) {
    if (startup === undefined) run.skip('receipt', failedBecause(attested === undefined ? 'binding' : 'startup-log'));
    else {
      const s = startup;
      await run.run('receipt', () => checkReceipt(http, s, options));
    }
  }

  // Run last, so it judges every TLS connection this run opened; CHECK_IDS lists it after binding.
  await runTlsBinding(run, gateway, quote?.bundle, options);

  const checks = CHECK_IDS.flatMap((id) => run.checks.filter((c) => c.id === id));
  const failed =
    checks.some((c) => c.status === 'fail') || (options.strict === true && checks.some((c) => c.status === 'warn'));
  const backend = quote?.backend;
  const verdict = failed ? 'failed' : backend === 'sev-snp' && attested?.hardware === true ? 'verified' : 'demo';
  if (!failed) {
    // Remembered only after a run in which nothing failed.
    for (const log of [ready.startup, ready.audit]) if (log !== undefined) await saveRemembered(state, gateway, log);
  }
  return {
    ok: !failed,
    verdict,
    checks,
    gateway,
    ...(attested === undefined ? {} : { measurement: attested.measurement, sealingKey: attested.sealingKey }),
    hardware: !failed && attested?.hardware === true,
    ...(run.unreachable ? { unreachable: true as const } : {}),
    ...(backend === undefined ? {} : { backend }),
    startedAt: startedAt.toISOString(),
    ms: Math.round(performance.now() - started),
  };
}

/**
 * `verifyGateway`, throwing unless the verdict is `verified` (or `demo`, with `allowMock`).
 *
 * @example
 * const result = await assertGateway(url, { expectedMeasurement, allowMock: false });
 * @throws {VerifyError} naming the first failed check (`code`), or `demo` for a mock gateway.
 */
export async function assertGateway(
  url: string,
  options: VerifyGatewayOptions & { allowMock?: boolean } = {},
): Promise<GatewayVerification> {
  const result = await verifyGateway(url, options);
  const failed =
    result.checks.find((c) => c.status === 'fail') ??
    (options.strict === true ? result.checks.find((c) => c.status === 'warn') : undefined);
  if (failed !== undefined) throw new VerifyError(failed.id, `${failed.title}: ${failed.detail}`, result);
  if (result.verdict === 'demo' && options.allowMock !== true)
    throw new VerifyError(
      'demo',
      'DEMO: the gateway runs the MOCK attestation backend, not AMD SEV-SNP hardware',
      result,
    );
  return result;
}
