/**
 * Activity conformance for what migration 5 added: the per-generation fields (generation id,
 * finish reason, cached and reasoning tokens, excluded endpoints, generation time) with their
 * defaults for entries written without them, the lookup of one request's attempts by request id
 * or generation id, and the endpoint speed samples routing learns from.
 */

import { InvalidArgumentError } from '@saferouter/errors';
import { describe, expect, it } from 'vitest';
import { ACTIVITY_EXCLUDED_MAX_BYTES, fitActivityExcluded } from './activity-excluded.js';
import { ACTIVITY_MAX_SAMPLES } from './activity-inputs.js';
import type { ActivityEntry, ActivityExcludedEndpoint, StoredActivityEntry } from './activity-types.js';
import { newActivityEntry as entry, storedActivity, T0, type ConformanceContext } from './conformance-support.js';

const EXCLUDED: ActivityExcludedEndpoint[] = [
  { model: 'glm-x', provider: 'zai', reason: 'provider.ignore' },
  { model: 'glm-x', provider: 'slow-host', reason: 'missing capability: tools' },
  // Not ASCII, so the byte bound is counted in UTF-8, not in characters.
  { model: 'glm-x', provider: 'hôte', reason: 'provider.max_price.prompt ≥ 2 $' },
];

/** A successful attempt with every field migration 5 added. */
function full(n: number, overrides: Partial<ActivityEntry> = {}): ActivityEntry {
  return entry(n, {
    generationId: `chatcmpl-${n}`,
    finishReason: 'tool_calls',
    cachedTokens: 6,
    reasoningTokens: 3,
    excluded: EXCLUDED,
    generationMs: 1_234,
    ...overrides,
  });
}

const ids = (entries: readonly StoredActivityEntry[]): string[] => entries.map((e) => e.id);

/**
 * @example
 * describeActivityGenerationConformance({ store: () => store, open });
 */
export function describeActivityGenerationConformance(ctx: ConformanceContext): void {
  describe('activity generations', () => {
    it('round-trips every field added by migration 5, and gives entries without them the defaults', async () => {
      const s = ctx.store();
      const withAll = full(1);
      const old = entry(2);
      const explicitDefaults = entry(3, {
        generationId: null,
        finishReason: null,
        cachedTokens: 0,
        reasoningTokens: 0,
        excluded: [],
        generationMs: null,
      });
      // Only the three known fields of an excluded endpoint are stored.
      const extra = { ...EXCLUDED[0], note: 'not stored' } as ActivityExcludedEndpoint;
      const withExtra = full(4, { excluded: [extra], finishReason: 'stop', generationMs: 0, cachedTokens: 10 });
      await s.activity.insertMany([withAll, old, explicitDefaults, withExtra]);

      const { entries } = await s.activity.list({});
      expect(entries).toEqual([
        storedActivity({ ...withExtra, excluded: [EXCLUDED[0] as ActivityExcludedEndpoint] }),
        storedActivity(explicitDefaults),
        storedActivity(old),
        storedActivity(withAll),
      ]);
      // The defaults are really there, not merely undefined.
      expect(entries[2]).toMatchObject({
        generationId: null,
        finishReason: null,
        cachedTokens: 0,
        reasoningTokens: 0,
        excluded: [],
        generationMs: null,
      });
      expect(await s.activity.generation('chatcmpl-1')).toEqual([storedActivity(withAll)]);
    });

    it('stores the new fields through large batches too', async () => {
      const s = ctx.store();
      // More rows than one Postgres statement carries, so the batch is split.
      const batch = Array.from({ length: 1_200 }, (_, i) =>
        full(i, { cachedTokens: i, excluded: i % 100 === 0 ? EXCLUDED : [], generationMs: i % 7 === 0 ? null : i }),
      );
      await s.activity.insertMany(batch);
      for (const i of [0, 7, 999, 1_000, 1_199]) {
        expect(await s.activity.generation(`chatcmpl-${i}`), `entry ${i}`).toEqual([storedActivity(batch[i]!)]);
      }
    });

    it('finds every attempt of a request, in attempt order, by request id or generation id', async () => {
      const s = ctx.store();
      // Three attempts within one millisecond, ids descending, inserted shuffled: only the
      // attempt number gives the order.
      const a1 = entry(13, { requestId: 'req_A', ts: T0, attempt: 1, status: 502, error: 'upstream_error' });
      const a2 = entry(12, { requestId: 'req_A', ts: T0, attempt: 2, status: 429, error: 'rate_limited' });
      const a3 = full(11, { requestId: 'req_A', ts: T0, attempt: 3, generationId: 'gen-A' });
      const refused = entry(20, { requestId: 'req_R', attempt: 0, status: 402, error: 'insufficient_credit' });
      const other = full(30, { requestId: 'req_B', generationId: 'gen-B' });
      // A generation id that happens to equal another request's id: the request id wins.
      const confusing = full(40, { requestId: 'req_C', generationId: 'req_A' });
      await s.activity.insertMany([a2, other, a3, confusing, refused, a1]);

      const attemptsA = [a1, a2, a3].map(storedActivity);
      expect(await s.activity.generation('req_A')).toEqual(attemptsA);
      expect(await s.activity.generation('gen-A')).toEqual(attemptsA);
      expect(ids(await s.activity.generation('gen-B'))).toEqual([other.id]);
      expect(ids(await s.activity.generation('req_C'))).toEqual([confusing.id]);
      expect(await s.activity.generation('req_R')).toEqual([storedActivity(refused)]);
      expect(await s.activity.generation('gen-nobody')).toEqual([]);
      // A prefix or another case is a different id.
      expect(await s.activity.generation('gen-')).toEqual([]);
      expect(await s.activity.generation('GEN-A')).toEqual([]);
    });

    it('restricts the lookup to the key when one is given', async () => {
      const s = ctx.store();
      await s.activity.insertMany([
        entry(1, { requestId: 'req_A', keyId: 'key_a', status: 500 }),
        full(2, { requestId: 'req_A', keyId: 'key_a', attempt: 2, generationId: 'gen-A' }),
        full(3, { requestId: 'req_B', keyId: 'key_b', generationId: 'gen-B' }),
      ]);
      for (const id of ['req_A', 'gen-A']) {
        expect(ids(await s.activity.generation(id, 'key_a')), id).toEqual(['act_0001', 'act_0002']);
        expect(await s.activity.generation(id, 'key_b'), id).toEqual([]);
      }
      expect(ids(await s.activity.generation('gen-B', 'key_b'))).toEqual(['act_0003']);
      expect(await s.activity.generation('req_B', 'key_a')).toEqual([]);
      expect(await s.activity.generation('gen-B', 'key_nobody')).toEqual([]);
    });

    it('answers a generation id an upstream repeated with the newest request (of the key)', async () => {
      const s = ctx.store();
      await s.activity.insertMany([
        full(1, { requestId: 'req_old', keyId: 'key_a', generationId: 'chatcmpl-fixed', ts: T0 + 100 }),
        full(2, { requestId: 'req_new', keyId: 'key_a', generationId: 'chatcmpl-fixed', ts: T0 + 200 }),
        full(3, { requestId: 'req_b', keyId: 'key_b', generationId: 'chatcmpl-fixed', ts: T0 + 300 }),
      ]);
      expect(ids(await s.activity.generation('chatcmpl-fixed'))).toEqual(['act_0003']);
      expect(ids(await s.activity.generation('chatcmpl-fixed', 'key_a'))).toEqual(['act_0002']);
      expect(ids(await s.activity.generation('chatcmpl-fixed', 'key_b'))).toEqual(['act_0003']);
      expect(ids(await s.activity.generation('req_old'))).toEqual(['act_0001']);
    });

    it('lists endpoint samples: successful measured attempts since a time, newest first, at most limit', async () => {
      const s = ctx.store();
      const speed = (latencyMs: number, completionTokens: number, generationMs: number | null) => ({
        latencyMs,
        completionTokens,
        generationMs,
      });
      await s.activity.insertMany([
        full(1, { model: 'm1', provider: 'p1', ...speed(100, 50, 400) }),
        full(2, { status: 502, error: 'upstream_error' }),
        full(3, { estimated: true }),
        full(4, { attempt: 0 }), // only a refusal is attempt 0; it measures no endpoint
        entry(5, { model: 'm2', provider: 'p2', attempt: 2, status: 204, ...speed(80, 0, null) }),
        full(6, { model: 'm1', provider: 'p3', status: 299, ...speed(300, 900, 2_500) }),
        full(7, { status: 300 }),
        full(8, { status: 199 }),
        full(9, { ts: T0 - 1 }), // before `since`
        full(10, { ts: T0 + 3, model: 'm3', ...speed(7, 1, 2) }),
      ]);
      const sample = (model: string, provider: string, s: ReturnType<typeof speed>) => ({ model, provider, ...s });
      const all = [
        sample('m3', 'openai', speed(7, 1, 2)),
        sample('m1', 'p3', speed(300, 900, 2_500)),
        sample('m2', 'p2', speed(80, 0, null)),
        sample('m1', 'p1', speed(100, 50, 400)),
      ];
      // Newest first: entries 6 and 5, then entry 10 (at T0 + 3), then entry 1.
      expect(await s.activity.endpointSamples(T0, 100)).toEqual([all[1], all[2], all[0], all[3]]);
      expect(await s.activity.endpointSamples(T0, 2)).toEqual([all[1], all[2]]);
      expect(await s.activity.endpointSamples(T0 + 4, 100)).toEqual([all[1], all[2]]);
      expect(await s.activity.endpointSamples(T0 + 11, 100)).toEqual([]);
      expect(await s.activity.endpointSamples(0, ACTIVITY_MAX_SAMPLES)).toHaveLength(5);
    });

    it('keeps excluded lists up to the byte bound, and fitActivityExcluded trims longer ones to it', async () => {
      const s = ctx.store();
      const many = Array.from({ length: 200 }, (_, i) => ({
        model: `model-${i}`,
        provider: `provider-é-${i}`,
        reason: 'provider.require_parameters: tools',
      }));
      const fitted = fitActivityExcluded(many);
      expect(fitted.length).toBeGreaterThan(10);
      expect(fitted.length).toBeLessThan(many.length);
      await s.activity.insertMany([full(1, { excluded: fitted })]);
      const [stored] = await s.activity.generation('chatcmpl-1');
      expect(stored?.excluded).toEqual(fitted);
      // One more item is over the bound: the batch is refused, naming the field.
      const err: unknown = await s.activity.insertMany([full(2, { excluded: many.slice(0, fitted.length + 1) })]).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(InvalidArgumentError.isInstance(err) && err.argument).toBe('entries[0].excluded');
      expect(ACTIVITY_EXCLUDED_MAX_BYTES).toBe(4096);
    });

    it('rejects malformed new fields, storing nothing from the batch, and malformed lookups', async () => {
      const s = ctx.store();
      const bad = (field: string, value: unknown) => {
        const e = { ...full(2), [field]: value } as ActivityEntry;
        return expect(s.activity.insertMany([full(1), e]), `${field}: ${String(value)}`).rejects.toThrow(
          InvalidArgumentError,
        );
      };
      await bad('generationId', '');
      await bad('generationId', 'g'.repeat(201));
      await bad('generationId', 5);
      await bad('generationId', 'a\u0000b');
      await bad('finishReason', '');
      await bad('finishReason', 'r'.repeat(65));
      await bad('cachedTokens', -1);
      await bad('cachedTokens', 1.5);
      await bad('cachedTokens', null);
      await bad('reasoningTokens', '3');
      await bad('reasoningTokens', 2 ** 31);
      await bad('generationMs', -1);
      await bad('generationMs', Number.NaN);
      await bad('excluded', null);
      await bad('excluded', 'provider.ignore');
      await bad('excluded', [null]);
      await bad('excluded', [{ model: 'm', provider: 'p' }]);
      await bad('excluded', [{ model: '', provider: 'p', reason: 'r' }]);
      await bad('excluded', [{ model: 'm', provider: 'p', reason: 'r'.repeat(201) }]);
      expect((await s.activity.list({})).entries).toEqual([]);
      // The longest accepted values are accepted.
      const longest = full(3, { generationId: 'g'.repeat(200), finishReason: 'r'.repeat(64) });
      await s.activity.insertMany([longest]);
      expect(await s.activity.generation('g'.repeat(200))).toEqual([storedActivity(longest)]);

      const lookup = (id: unknown, keyId?: unknown) =>
        expect(s.activity.generation(id as string, keyId as string)).rejects.toThrow(InvalidArgumentError);
      await lookup('');
      await lookup('g'.repeat(201));
      await lookup(5);
      await lookup(undefined);
      await lookup('req_1', '');
      await lookup('req_1', 7);
      const samples = (since: unknown, limit: unknown) =>
        expect(s.activity.endpointSamples(since as number, limit as number)).rejects.toThrow(InvalidArgumentError);
      await samples(-1, 10);
      await samples('0', 10);
      await samples(T0, 0);
      await samples(T0, 1.5);
      await samples(T0, ACTIVITY_MAX_SAMPLES + 1);
      await samples(T0, undefined);
    });
  });
}
