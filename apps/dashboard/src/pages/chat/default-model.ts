/**
 * Which models the pages start with: the free built-in demo models first (trying SafeRouter costs
 * nothing), then the rest of the catalog in its order; unavailable models never.
 */
import type { Model } from '../../lib/api';

const PREFERRED = ['saferouter/demo', 'saferouter/demo-thinking'];

function ranked(models: readonly Model[]): Model[] {
  const available = models.filter((m) => m.available);
  const rank = (m: Model): number => {
    const preferred = PREFERRED.indexOf(m.id);
    if (preferred !== -1) return preferred;
    return m.demo === true ? PREFERRED.length : PREFERRED.length + 1;
  };
  return available
    .map((m, i) => ({ m, i }))
    .sort((a, b) => rank(a.m) - rank(b.m) || a.i - b.i)
    .map(({ m }) => m);
}

/** The first model to offer, given a remembered choice that may no longer exist. */
export function defaultModel(models: readonly Model[], remembered: string | undefined): string | undefined {
  if (remembered !== undefined && models.some((m) => m.id === remembered && m.available)) return remembered;
  return ranked(models)[0]?.id;
}

/** A model for a new compare column: the first one no other column uses, else the first one. */
export function nextModel(models: readonly Model[], taken: readonly string[]): string | undefined {
  const order = ranked(models);
  return (order.find((m) => !taken.includes(m.id)) ?? order[0])?.id;
}
