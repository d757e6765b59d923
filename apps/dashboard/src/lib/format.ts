/** Display formatting, in one place, so every page shows money, tokens and times alike. */

/** `"0.000123"` → `$0.000123`; exact decimals from the API are shown as given, trimmed. */
export function usd(value: string | number | undefined): string {
  if (value === undefined) return '—';
  const text = typeof value === 'number' ? value.toFixed(6) : value;
  const [whole = '0', frac = ''] = text.split('.');
  const trimmed = frac.replace(/0+$/, '');
  const shown = trimmed.length < 2 ? trimmed.padEnd(2, '0') : trimmed;
  return `$${Number(whole).toLocaleString('en-US')}.${shown}`;
}

/** Per-token USD price (OpenRouter's convention) → USD per 1M tokens. */
export function perMillion(value: string): string {
  const n = Number(value) * 1_000_000;
  if (!Number.isFinite(n)) return '—';
  return n === 0 ? 'free' : `$${n.toLocaleString('en-US', { maximumFractionDigits: 4 })}`;
}

export function tokens(n: number | undefined): string {
  if (n === undefined) return '—';
  if (n >= 1_000_000) return `${(n / 1_000_000).toLocaleString('en-US', { maximumFractionDigits: 1 })}M`;
  if (n >= 1_000) return `${(n / 1_000).toLocaleString('en-US', { maximumFractionDigits: 1 })}K`;
  return n.toLocaleString('en-US');
}

export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n).toLocaleString('en-US')} ms`;
}

export function dateTime(epochMs: number | null | undefined): string {
  if (epochMs === null || epochMs === undefined) return '—';
  return new Date(epochMs).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function time(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function percent(rate: number): string {
  return `${(rate * 100).toLocaleString('en-US', { maximumFractionDigits: 1 })}%`;
}

/** `sk-sr-abcdefghijkl…` → `sk-sr-abcd…wxyz`: enough to recognise, not enough to use. */
export function maskKey(key: string): string {
  return key.length <= 14 ? '••••' : `${key.slice(0, 10)}…${key.slice(-4)}`;
}
