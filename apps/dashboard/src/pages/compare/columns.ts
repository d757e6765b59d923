/**
 * The compare page's columns: up to four, at least one, two to start. The models chosen per
 * column are remembered in localStorage (`saferouter.compare.models`); a remembered model that
 * is gone or unavailable gives way to a default.
 */
import type { Model } from '../../lib/api';
import { isStringArray, readJson, writeJson } from '../../lib/storage';
import { nextModel } from '../chat/default-model';

export const MAX_COLUMNS = 4;
export const START_COLUMNS = 2;
const STORED = 'compare.models';

export interface Column {
  /** Stable across removals, for React keys and handles. */
  id: number;
  /** Chosen model; undefined means "the default for this position". */
  model: string | undefined;
}

let lastId = 0;
export const newColumn = (model?: string): Column => ({ id: ++lastId, model });

export function initialColumns(): Column[] {
  const stored = readJson(STORED, isStringArray)?.slice(0, MAX_COLUMNS) ?? [];
  if (stored.length === 0) return Array.from({ length: START_COLUMNS }, () => newColumn());
  return stored.map((model) => newColumn(model));
}

/** Each column's model: its choice when still offered, else the first model no column before it uses. */
export function resolveModels(
  columns: readonly Column[],
  models: readonly Model[] | undefined,
): (string | undefined)[] {
  if (models === undefined) return columns.map((c) => c.model);
  const out: string[] = [];
  for (const column of columns) {
    const chosen = models.some((m) => m.id === column.model && m.available) ? column.model : undefined;
    const model = chosen ?? nextModel(models, out);
    if (model !== undefined) out.push(model);
    else return columns.map((c) => c.model);
  }
  return out;
}

export function storeModels(models: readonly string[]): void {
  writeJson(STORED, models);
}
