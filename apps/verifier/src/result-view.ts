/**
 * A finished run: the verdict (`data-verdict`), a summary of what was verified and how long it
 * took, and every check as a row. For a mock gateway, the DEMO banner (`data-demo-banner`) is
 * pinned to the top of the screen so no screenshot of green rows can leave it out.
 */
import type { GatewayVerification } from '@saferouter/verify';
import { checkRow } from './check-row.js';
import { el, formatMs } from './dom.js';

/** A mock backend, however the checks went: the result says nothing about hardware. */
export function isDemo(result: GatewayVerification): boolean {
  return result.backend === 'mock' || result.verdict === 'demo';
}

export function demoBanner(): HTMLElement {
  return el(
    'div',
    { class: 'demo-banner', role: 'alert', 'data-demo-banner': true },
    el('strong', {}, 'DEMO — not hardware.'),
    ' This gateway runs the MOCK attestation backend: its quote is signed by a software key on the server itself. ',
    'It proves nothing about hardware, and so nothing about which code runs or who can read your requests.',
  );
}

function verdictText(result: GatewayVerification): { heading: string; text: string } {
  const failed = result.checks.filter((c) => c.status === 'fail');
  const warned = result.checks.filter((c) => c.status === 'warn').length;
  const warnings = warned === 0 ? '' : ` (${warned} warning${warned === 1 ? '' : 's'}: read them below)`;
  switch (result.verdict) {
    case 'verified':
      return {
        heading: 'Verified',
        text: `Every check passed on AMD SEV-SNP hardware evidence${warnings}.`,
      };
    case 'demo':
      return {
        heading: 'DEMO',
        text: `The checks passed, but against the MOCK attestation backend: nothing here is evidence about hardware${warnings}.`,
      };
    case 'failed':
      return {
        heading: 'Failed',
        text: `${failed.length} check${failed.length === 1 ? '' : 's'} failed: ${failed.map((c) => c.title).join(', ') || 'see below'}. Do not rely on this gateway's claims.`,
      };
  }
}

function summary(result: GatewayVerification): HTMLElement {
  const row = (name: string, value: string | HTMLElement): HTMLElement[] => [el('dt', {}, name), el('dd', {}, value)];
  return el(
    'dl',
    { class: 'summary' },
    ...row('Gateway', el('code', {}, result.gateway)),
    ...row('Backend', result.backend ?? 'unknown (no valid quote)'),
    ...row('Hardware evidence', result.hardware ? 'yes: AMD SEV-SNP, verified' : 'no'),
    ...row('Measurement', result.measurement === undefined ? 'none attested' : el('code', {}, result.measurement)),
    ...row('Started', result.startedAt),
    ...row('Total time', el('span', { 'data-total-ms': String(result.ms) }, formatMs(result.ms))),
  );
}

export function resultView(result: GatewayVerification): HTMLElement {
  const verdict = verdictText(result);
  return el(
    'section',
    { class: 'result', 'aria-labelledby': 'verdict-heading' },
    el(
      'div',
      { class: `verdict verdict-${result.verdict}`, 'data-verdict': result.verdict },
      el('h2', { id: 'verdict-heading', tabindex: '-1' }, verdict.heading),
      el('p', {}, verdict.text),
    ),
    summary(result),
    el('h2', { class: 'checks-heading' }, 'Checks'),
    el('ol', { class: 'checks' }, ...result.checks.map(checkRow)),
  );
}
