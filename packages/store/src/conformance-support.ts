/**
 * Helpers shared by the conformance sections (keys, billing, activity, audit): fixed times, key
 * and sample factories and the handle each section uses to reach the store under test.
 */

import { expect } from 'vitest';
import type { ActivityEntry, StoredActivityEntry } from './activity-types.js';
import type { AuditSample, NewAuditSample } from './audit-types.js';
import { StoreError } from './errors.js';
import { generateApiKey } from './keys.js';
import type { NewKeyRecord, Store } from './types.js';

/** A fixed "now" so tests never depend on the clock. */
export const T0 = 1_700_000_000_000;

/** What each section gets: the store opened for the current test, and a way to open more. */
export interface ConformanceContext {
  /** The store opened before the current test. */
  store(): Store;
  /** Another connection (for Postgres, another pool: a second replica) to the same database. */
  open(): Promise<Store>;
}

/**
 * @example
 * const k = newKey({ role: 'admin' }); // k.secret is the plaintext, never to be stored
 */
export function newKey(overrides: Partial<NewKeyRecord> = {}): NewKeyRecord & { secret: string } {
  const { secret, id, prefix, hash } = generateApiKey();
  return { secret, id, name: 'test key', prefix, hash, role: 'user', createdAt: T0, ...overrides };
}

/** The record alone, without the secret (and without `limits` unless set). */
export function recordOf(k: NewKeyRecord): NewKeyRecord {
  const rec: NewKeyRecord = {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    hash: k.hash,
    role: k.role,
    createdAt: k.createdAt,
  };
  if (k.limits !== undefined) rec.limits = k.limits;
  return rec;
}

/** Inserts a fresh key and returns its id. */
export async function insertKey(store: Store, overrides: Partial<NewKeyRecord> = {}): Promise<string> {
  const k = newKey(overrides);
  await store.keys.insert(recordOf(k));
  return k.id;
}

/** Asserts that `promise` rejects with a `StoreError` carrying `code`. */
export async function expectStoreError(promise: Promise<unknown>, code: StoreError['code']): Promise<void> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(StoreError.isInstance(err), 'expected a StoreError').toBe(true);
  expect((err as StoreError).code).toBe(code);
}

/** Audit sample number `i` of key `key_a`, at `T0 + i`, with salts derived from `i`. */
export function newSample(i: number, overrides: Partial<NewAuditSample> = {}): NewAuditSample {
  return {
    requestId: `req_${i}`,
    keyId: 'key_a',
    ts: T0 + i,
    entry: new TextEncoder().encode(`{"v":1,"request_commitment":"${i}"}`),
    requestSalt: new Uint8Array(32).fill(i & 0xff),
    responseSalt: new Uint8Array(32).fill((i + 128) & 0xff),
    ...overrides,
  };
}

/** The sample as the store hands it back. */
export function storedSample(s: NewAuditSample, index: number | null = null): AuditSample {
  return { ...s, index };
}

/**
 * Activity entry number `n` of key `key_a`, at `T0 + n`, a successful first attempt, written the
 * way a writer from before migration 5 writes it: without the fields that migration added.
 */
export function newActivityEntry(n: number, overrides: Partial<ActivityEntry> = {}): ActivityEntry {
  return {
    id: `act_${String(n).padStart(4, '0')}`,
    requestId: `req_${n}`,
    ts: T0 + n,
    keyId: 'key_a',
    model: 'gpt-x',
    provider: 'openai',
    originalModel: 'gpt-x',
    attempt: 1,
    status: 200,
    error: null,
    latencyMs: 100,
    ttfbMs: 20,
    promptTokens: 10,
    completionTokens: 5,
    costMicros: 30,
    stream: false,
    estimated: false,
    ...overrides,
  };
}

/** The entry as the store hands it back: the migration 5 fields it lacks read as their defaults. */
export function storedActivity(e: ActivityEntry): StoredActivityEntry {
  return {
    ...e,
    generationId: e.generationId ?? null,
    finishReason: e.finishReason ?? null,
    cachedTokens: e.cachedTokens ?? 0,
    reasoningTokens: e.reasoningTokens ?? 0,
    excluded: e.excluded ?? [],
    generationMs: e.generationMs ?? null,
    keySource: e.keySource ?? 'gateway',
  };
}
