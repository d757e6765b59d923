/**
 * One check as a row: its status (an icon for the eye, a word for everyone), what it proves and
 * what it does not, this run's detail and timing, and the composed libraries' sub-results.
 * Tests find it by `data-check="<id>"` and read `data-status` (a contract: keep both).
 */
import type { VerifyCheck } from '@saferouter/verify';
import { el, formatMs } from './dom.js';

type Status = VerifyCheck['status'];

const STATUS: Record<Status, { icon: string; label: string }> = {
  pass: { icon: '✓', label: 'Pass' },
  fail: { icon: '✗', label: 'Fail' },
  warn: { icon: '!', label: 'Warning' },
  skip: { icon: '–', label: 'Skipped' },
};

function subResults(check: VerifyCheck): HTMLElement | null {
  const sub = check.sub ?? [];
  if (sub.length === 0) return null;
  const failed = sub.filter((s) => !s.ok).length;
  const summary = `${sub.length} sub-check${sub.length === 1 ? '' : 's'}${failed > 0 ? `, ${failed} failed` : ', all passed'}`;
  return el(
    'details',
    { class: 'sub', open: failed > 0 },
    el('summary', {}, summary),
    el(
      'ul',
      {},
      ...sub.map((s) =>
        el(
          'li',
          { 'data-sub': s.id, 'data-ok': s.ok ? 'true' : 'false' },
          el('span', { class: `sub-mark ${s.ok ? 'ok' : 'bad'}`, 'aria-hidden': 'true' }, s.ok ? '✓' : '✗'),
          el('span', { class: 'visually-hidden' }, s.ok ? 'passed: ' : 'failed: '),
          el('code', {}, s.id),
          ' ',
          s.detail,
        ),
      ),
    ),
  );
}

export function checkRow(check: VerifyCheck): HTMLLIElement {
  const status = STATUS[check.status];
  return el(
    'li',
    { class: `check status-${check.status}`, 'data-check': check.id, 'data-status': check.status },
    el(
      'div',
      { class: 'check-head' },
      el(
        'span',
        { class: 'badge' },
        el('span', { class: 'badge-icon', 'aria-hidden': 'true' }, status.icon),
        el('span', { class: 'badge-label' }, status.label),
      ),
      el('h3', {}, check.title),
      el('span', { class: 'timing', title: 'time spent in this check' }, formatMs(check.ms)),
    ),
    el('p', { class: 'detail', 'data-detail': true }, check.detail),
    el(
      'dl',
      { class: 'meaning' },
      el('dt', {}, 'Proves'),
      el('dd', {}, check.proves),
      el('dt', {}, 'Does not prove'),
      el('dd', {}, check.doesNotProve),
    ),
    subResults(check),
  );
}
