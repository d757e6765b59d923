import { InvalidArgumentError } from '@saferouter/errors';
import type { BillingStore } from '@saferouter/store';
import { describe, expect, it } from 'vitest';
import { createBilling, DEFAULT_HOLD_TTL_MS, type AdmitInput, type Billing, type BillingOptions } from './admission.js';
import { InsufficientCreditsError } from './hold.js';
import { parseUsdAmount, type Pricing } from './money.js';
import { createFakeBillingStore, type FakeBillingStore } from './testing/fake-billing-store.js';

const T0 = 1_700_000_000_000;
const KEY = 'key_a';
/** $2 / $10 per million: prompt 1000 + output 1000 holds 2000 + 10000 = 12000 µ$. */
const P: Pricing = { inputMicrosPerMillion: 2_000_000, outputMicrosPerMillion: 10_000_000 };
const DEAR: Pricing = { inputMicrosPerMillion: 4_000_000, outputMicrosPerMillion: 20_000_000 };
const CHEAP: Pricing = { inputMicrosPerMillion: 1_000_000, outputMicrosPerMillion: 5_000_000 };
const FREE: Pricing = { inputMicrosPerMillion: 0, outputMicrosPerMillion: 0 };

interface Setup {
  store: FakeBillingStore;
  billing: Billing;
  advance(ms: number): void;
  input(overrides?: Partial<AdmitInput>): AdmitInput;
}

async function setup(
  balanceMicros: number,
  options: { interleave?: boolean } & Partial<BillingOptions> = {},
): Promise<Setup> {
  const store = createFakeBillingStore({ interleave: options.interleave ?? false });
  let now = T0;
  let n = 0;
  const billing = createBilling({
    store,
    clock: () => now,
    ids: (kind) => `${kind}_${++n}`,
    holdTtlMs: options.holdTtlMs,
  });
  if (balanceMicros > 0)
    await store.credit({ id: 'seed', keyId: KEY, amountMicros: balanceMicros, kind: 'topup', ts: T0 });
  let requests = 0;
  return {
    store,
    billing,
    advance: (ms) => {
      now += ms;
    },
    input: (overrides) => ({
      keyId: KEY,
      requestId: `req_${++requests}`,
      pricing: P,
      promptTokens: 1000,
      maxOutputTokens: 1000,
      ...overrides,
    }),
  };
}

async function refusal(promise: Promise<unknown>): Promise<InsufficientCreditsError> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(InsufficientCreditsError.isInstance(err), 'expected an InsufficientCreditsError').toBe(true);
  return err as InsufficientCreditsError;
}

/** A store that fails the test if billing touches it at all. */
const untouchable = new Proxy(
  {},
  {
    get: (_target, prop) =>
      prop === 'then' ? undefined : () => Promise.reject(new Error(`store.${String(prop)} was called`)),
  },
) as BillingStore;

describe('admit', () => {
  it('holds the worst case until the expiry and settles the real cost', async () => {
    const { store, billing, input } = await setup(1_000_000);
    const admission = await billing.admit(input());
    expect(admission.heldMicros).toBe(12_000);
    expect(admission.state).toBe('held');
    expect([...store.holds.values()]).toEqual([
      {
        id: 'hold_1',
        keyId: KEY,
        amountMicros: 12_000,
        requestId: 'req_1',
        ts: T0,
        expiresAt: T0 + DEFAULT_HOLD_TTL_MS,
      },
    ]);
    expect(await store.balance(KEY)).toEqual({ keyId: KEY, balanceMicros: 1_000_000, heldMicros: 12_000 });

    // 900 × 2 + 321 × 10 = 5010 µ$ exactly.
    const outcome = await admission.settle({ promptTokens: 900, completionTokens: 321 });
    expect(outcome).toMatchObject({ costMicros: 5_010, chargedMicros: 5_010, holdMissing: false });
    expect(outcome.entry).toMatchObject({
      kind: 'charge',
      amountMicros: -5_010,
      requestId: 'req_1',
      note: null,
      keyId: KEY,
    });
    expect(admission.state).toBe('settled');
    expect(admission.heldMicros).toBe(0);
    expect(await store.balance(KEY)).toEqual({ keyId: KEY, balanceMicros: 994_990, heldMicros: 0 });
    expect(await store.ledgerSum(KEY)).toBe(994_990);
  });

  it('rounds the charge up to a whole micro-dollar and notes estimates', async () => {
    const { store, billing, input } = await setup(1_000_000);
    const admission = await billing.admit(
      input({ pricing: { inputMicrosPerMillion: 150_000, outputMicrosPerMillion: 600_000 } }),
    );
    // 7 × 0.15 + 3 × 0.6 = 2.85 µ$ → 3.
    const outcome = await admission.settle({ promptTokens: 7, completionTokens: 3, estimated: true });
    expect(outcome).toMatchObject({ costMicros: 3, chargedMicros: 3 });
    expect((await store.ledger(KEY))[0]).toMatchObject({ amountMicros: -3, note: 'estimated' });
  });

  it('charges cached prompt tokens at the cached input price, in one rounding', async () => {
    const { store, billing, input } = await setup(1_000_000);
    const cachedPrice: Pricing = { ...P, cachedInputMicrosPerMillion: 500_000 };
    // 200 × 2 + 800 × 0.5 + 100 × 10 = 1800 µ$ (3000 µ$ if the cache were ignored).
    const cached = await billing.admit(input({ pricing: cachedPrice }));
    expect(await cached.settle({ promptTokens: 1000, completionTokens: 100, cachedTokens: 800 })).toMatchObject({
      costMicros: 1_800,
      chargedMicros: 1_800,
    });
    expect((await store.ledger(KEY))[0]).toMatchObject({ kind: 'charge', amountMicros: -1_800, requestId: 'req_1' });
    expect(await store.balance(KEY)).toEqual({ keyId: KEY, balanceMicros: 998_200, heldMicros: 0 });

    // Without a cached price, cached tokens cost the input price.
    const plain = await billing.admit(input());
    expect((await plain.settle({ promptTokens: 1000, completionTokens: 100, cachedTokens: 800 })).chargedMicros).toBe(
      3_000,
    );
    // More cached tokens than prompt tokens: the whole prompt at the cached price, no more.
    const over = await billing.admit(input({ pricing: cachedPrice }));
    expect((await over.settle({ promptTokens: 1000, completionTokens: 100, cachedTokens: 5_000 })).chargedMicros).toBe(
      1_500,
    );
    // One rounding for the whole request: 4 × 0.15 + 3 × 0.015 = 0.645 µ$ → 1 (not 1 + 1).
    const tiny = await billing.admit(
      input({
        pricing: { inputMicrosPerMillion: 150_000, outputMicrosPerMillion: 0, cachedInputMicrosPerMillion: 15_000 },
      }),
    );
    expect(await tiny.settle({ promptTokens: 7, completionTokens: 0, cachedTokens: 3 })).toMatchObject({
      costMicros: 1,
      chargedMicros: 1,
    });
    // A free admission stays free.
    const free = await billing.admit(input({ pricing: cachedPrice, free: true }));
    expect((await free.settle({ promptTokens: 1000, completionTokens: 100, cachedTokens: 800 })).chargedMicros).toBe(0);
    expect(await store.balance(KEY)).toEqual({ keyId: KEY, balanceMicros: 998_200 - 3_000 - 1_500 - 1, heldMicros: 0 });

    const bad = await billing.admit(input({ pricing: cachedPrice }));
    await expect(bad.settle({ promptTokens: 10, completionTokens: 1, cachedTokens: -1 })).rejects.toThrow(
      /usage\.cachedTokens/,
    );
    await expect(bad.settle({ promptTokens: 10, completionTokens: 1, cachedTokens: 1.5 })).rejects.toThrow(
      InvalidArgumentError,
    );
    expect(bad.state).toBe('held');
  });

  it('settles once: repeated and concurrent settles return the first outcome', async () => {
    const { store, billing, input } = await setup(1_000_000, { interleave: true });
    const admission = await billing.admit(input());
    const [a, b] = await Promise.all([
      admission.settle({ promptTokens: 1000, completionTokens: 10 }),
      admission.settle({ promptTokens: 1000, completionTokens: 999 }),
    ]);
    expect(b).toBe(a);
    expect(await admission.settle({ promptTokens: 5, completionTokens: 5 })).toBe(a);
    expect(a.chargedMicros).toBe(2_100);
    expect((await store.ledger(KEY)).filter((r) => r.kind === 'charge')).toHaveLength(1);
  });

  it('releases for nothing, idempotently; settle after release charges nothing', async () => {
    const { store, billing, input } = await setup(1_000_000);
    const admission = await billing.admit(input());
    await admission.release();
    await admission.release();
    expect(admission.state).toBe('released');
    expect(store.holds.size).toBe(0);
    expect(await admission.settle({ promptTokens: 1000, completionTokens: 1000 })).toEqual({
      costMicros: 12_000,
      chargedMicros: 0,
      holdMissing: false,
    });
    expect(await store.balance(KEY)).toEqual({ keyId: KEY, balanceMicros: 1_000_000, heldMicros: 0 });
    expect(await store.ledger(KEY)).toHaveLength(1); // only the seed top-up
  });

  it('makes release a no-op after settle (safe in a finally block)', async () => {
    const { store, billing, input } = await setup(1_000_000);
    const admission = await billing.admit(input());
    await admission.settle({ promptTokens: 1, completionTokens: 1 });
    const calls = store.calls.length;
    await admission.release();
    expect(store.calls.length).toBe(calls);
    expect(admission.state).toBe('settled');
  });

  it('refuses with a 402 naming the affordable tokens, and leaves no hold', async () => {
    const { store, billing, input } = await setup(10_000);
    const err = await refusal(billing.admit(input()));
    expect(err.statusCode).toBe(402);
    expect(err.code).toBe('insufficient_credits');
    // (10000 − 1000 × 2) µ$ / 10 µ$ per output token = 800.
    expect(err.affordableTokens).toBe(800);
    expect(err.requiredMicros).toBe(12_000);
    expect(err.availableMicros).toBe(10_000);
    expect(err.message).toBe(
      'This request requires more credits, or fewer max_tokens. You requested up to 1000 tokens, but can only afford 800. ' +
        'To increase, add credits with POST /v1/credits/topup.',
    );
    expect(store.holds.size).toBe(0);
  });

  it('matches the OpenRouter example: 8192 requested, fewer affordable', async () => {
    const { billing, input } = await setup(20_000);
    const err = await refusal(billing.admit(input({ maxOutputTokens: 8192, promptTokens: 500 })));
    // (20000 − 500 × 2) / 10 = 1900.
    expect(err.message).toContain('You requested up to 8192 tokens, but can only afford 1900.');
    expect(err.toJSON().error.type).toBe('insufficient_quota');
  });

  it('says when not even the prompt is affordable', async () => {
    const { billing, input } = await setup(1_000);
    const err = await refusal(billing.admit(input({ promptTokens: 1_000 })));
    expect(err.affordableTokens).toBe(0);
    expect(err.message).toContain('Its prompt (about 1000 tokens) alone costs more than the available $0.001');
    expect(err.message).toContain('no output tokens are affordable');
    const empty = await setup(0);
    const err0 = await refusal(empty.billing.admit(empty.input()));
    expect(err0.availableMicros).toBe(0);
    expect(err0.affordableTokens).toBe(0);
  });

  it("counts other requests' holds as unavailable", async () => {
    const { billing, input } = await setup(20_000);
    const first = await billing.admit(input());
    const err = await refusal(billing.admit(input()));
    expect(err.availableMicros).toBe(8_000);
    expect(err.affordableTokens).toBe(600);
    await first.release();
    expect((await billing.admit(input())).heldMicros).toBe(12_000);
  });

  it('places no hold and never touches the store for zero-priced (demo) models', async () => {
    const billing = createBilling({ store: untouchable });
    const admission = await billing.admit({
      keyId: KEY,
      requestId: 'r',
      pricing: FREE,
      promptTokens: 1e9,
      maxOutputTokens: 1e9,
    });
    expect(admission.heldMicros).toBe(0);
    expect(await admission.settle({ promptTokens: 1e9, completionTokens: 1e9 })).toEqual({
      costMicros: 0,
      chargedMicros: 0,
      holdMissing: false,
    });
    await admission.release();
  });

  it('treats free: true as zero-priced whatever the pricing', async () => {
    const billing = createBilling({ store: untouchable });
    const admission = await billing.admit({
      keyId: KEY,
      requestId: 'r',
      pricing: DEAR,
      promptTokens: 10,
      maxOutputTokens: 10,
      free: true,
    });
    expect(admission.free).toBe(true);
    await admission.reprice(P);
    expect(await admission.settle({ promptTokens: 10, completionTokens: 10 })).toEqual({
      costMicros: 0,
      chargedMicros: 0,
      holdMissing: false,
    });
  });

  it('holds at least 1 µ$ for a priced model whose worst case rounds to nothing', async () => {
    const { store, billing, input } = await setup(100);
    const admission = await billing.admit(
      input({ pricing: { inputMicrosPerMillion: 0, outputMicrosPerMillion: 5 }, maxOutputTokens: 0 }),
    );
    expect(admission.heldMicros).toBe(1);
    expect((await admission.settle({ promptTokens: 10, completionTokens: 300_000 })).chargedMicros).toBe(2); // 1.5 → 2
    expect(store.holds.size).toBe(0);
  });

  it('clamps a charge the balance cannot pay, recording the clamp', async () => {
    const { store, billing, input } = await setup(12_000);
    const admission = await billing.admit(input());
    // The upstream produced more than estimated: 0 + 2000 × 10 = 20000 µ$.
    const outcome = await admission.settle({ promptTokens: 0, completionTokens: 2_000 });
    expect(outcome).toMatchObject({ costMicros: 20_000, chargedMicros: 12_000 });
    expect((await store.ledger(KEY))[0]).toMatchObject({ amountMicros: -12_000, note: 'clamped from 20000' });
    expect(await store.balance(KEY)).toEqual({ keyId: KEY, balanceMicros: 0, heldMicros: 0 });
  });

  it('reports a hold the store expired as holdMissing and charges nothing', async () => {
    const { store, billing, input, advance } = await setup(100_000, { holdTtlMs: 60_000 });
    const admission = await billing.admit(input());
    expect([...store.holds.values()][0]?.expiresAt).toBe(T0 + 60_000);
    advance(60_001);
    expect(await billing.expireHolds()).toBe(1);
    expect(await admission.settle({ promptTokens: 1000, completionTokens: 1000 })).toEqual({
      costMicros: 12_000,
      chargedMicros: 0,
      holdMissing: true,
    });
    expect(await store.ledgerSum(KEY)).toBe(100_000);
  });

  it('can retry a settle whose store call failed, charging once', async () => {
    const inner = createFakeBillingStore();
    let failures = 1;
    const flaky: BillingStore = {
      ...inner,
      settle: (id, input) => (failures-- > 0 ? Promise.reject(new Error('connection reset')) : inner.settle(id, input)),
    };
    await inner.credit({ id: 'seed', keyId: KEY, amountMicros: 50_000, kind: 'topup', ts: T0 });
    const billing = createBilling({ store: flaky, clock: () => T0 });
    const admission = await billing.admit({
      keyId: KEY,
      requestId: 'r',
      pricing: P,
      promptTokens: 1000,
      maxOutputTokens: 1000,
    });
    await expect(admission.settle({ promptTokens: 1000, completionTokens: 100 })).rejects.toThrow('connection reset');
    expect(admission.state).toBe('held');
    expect(await admission.settle({ promptTokens: 1000, completionTokens: 100 })).toMatchObject({
      chargedMicros: 3_000,
    });
    expect(await inner.balance(KEY)).toEqual({ keyId: KEY, balanceMicros: 47_000, heldMicros: 0 });
  });

  it('uses generated ids by default', async () => {
    const store = createFakeBillingStore();
    await store.credit({ id: 'seed', keyId: KEY, amountMicros: 50_000, kind: 'topup', ts: T0 });
    await createBilling({ store }).admit({
      keyId: KEY,
      requestId: 'r',
      pricing: P,
      promptTokens: 1,
      maxOutputTokens: 1,
    });
    expect([...store.holds.keys()][0]).toMatch(/^hold_[0-9a-f]{32}$/);
  });

  it('rejects malformed input, naming the argument', async () => {
    const { billing, input } = await setup(1_000);
    await expect(billing.admit(input({ keyId: 5 as unknown as string }))).rejects.toThrow(/input\.keyId/);
    await expect(billing.admit(input({ keyId: '' }))).rejects.toThrow(InvalidArgumentError);
    await expect(billing.admit(input({ requestId: '' }))).rejects.toThrow(/input\.requestId/);
    await expect(billing.admit(input({ requestId: 'r'.repeat(129) }))).rejects.toThrow(InvalidArgumentError);
    await expect(billing.admit(input({ promptTokens: -1 }))).rejects.toThrow(InvalidArgumentError);
    await expect(billing.admit(input({ maxOutputTokens: 1.5 }))).rejects.toThrow(/input\.maxOutputTokens/);
    await expect(
      billing.admit(input({ pricing: { inputMicrosPerMillion: 0.5, outputMicrosPerMillion: 0 } })),
    ).rejects.toThrow(/input\.pricing/);
    await expect(billing.admit(input({ free: 'yes' as unknown as boolean }))).rejects.toThrow(InvalidArgumentError);
    await expect(billing.admit(null as unknown as AdmitInput)).rejects.toThrow(InvalidArgumentError);
    const admission = await billing.admit(input({ pricing: FREE }));
    await expect(admission.settle({ promptTokens: 1, completionTokens: -1 })).rejects.toThrow(
      /usage\.completionTokens/,
    );
    await expect(
      admission.settle({ promptTokens: 1, completionTokens: 1, estimated: 'yes' as unknown as boolean }),
    ).rejects.toThrow(InvalidArgumentError);
  });
});

describe('createBilling', () => {
  it('rejects malformed options', () => {
    expect(() => createBilling(undefined as unknown as BillingOptions)).toThrow(InvalidArgumentError);
    expect(() => createBilling({} as BillingOptions)).toThrow(/options\.store/);
    expect(() => createBilling({ store: createFakeBillingStore(), holdTtlMs: 0 })).toThrow(InvalidArgumentError);
    expect(() => createBilling({ store: createFakeBillingStore(), clock: 1 as unknown as () => number })).toThrow(
      /options\.clock/,
    );
  });

  it('credits top-ups', async () => {
    const { store, billing } = await setup(0);
    const entry = await billing.topup({ keyId: KEY, amountMicros: parseUsdAmount('5.25'), note: 'card' });
    expect(entry).toMatchObject({
      id: 'ledger_1',
      keyId: KEY,
      kind: 'topup',
      amountMicros: 5_250_000,
      ts: T0,
      note: 'card',
    });
    expect(await store.balance(KEY)).toMatchObject({ balanceMicros: 5_250_000 });
    await expect(billing.topup({ keyId: KEY, amountMicros: 0 })).rejects.toThrow(/input\.amountMicros/);
    await expect(billing.topup({ keyId: '', amountMicros: 1 })).rejects.toThrow(InvalidArgumentError);
  });

  it('refunds a withheld reply as an adjustment naming the request', async () => {
    const { store, billing } = await setup(0);
    await billing.topup({ keyId: KEY, amountMicros: 1_000 });
    const entry = await billing.refund({
      keyId: KEY,
      amountMicros: 214,
      requestId: 'req_1',
      note: 'refund: audit_failed',
    });
    expect(entry).toMatchObject({ keyId: KEY, kind: 'adjustment', amountMicros: 214, requestId: 'req_1' });
    expect(await store.balance(KEY)).toMatchObject({ balanceMicros: 1_214 });
    await expect(billing.refund({ keyId: KEY, amountMicros: 0, requestId: 'r', note: 'x' })).rejects.toThrow(
      /input\.amountMicros/,
    );
    await expect(billing.refund({ keyId: KEY, amountMicros: 1, requestId: '', note: 'x' })).rejects.toThrow(
      InvalidArgumentError,
    );
  });
});

describe('reprice (fallback to another model)', () => {
  it('holds the difference for a dearer candidate and settles at its price', async () => {
    const { store, billing, input } = await setup(1_000_000);
    const admission = await billing.admit(input());
    await admission.reprice(DEAR); // worst case 4000 + 20000 = 24000
    expect(admission.heldMicros).toBe(24_000);
    expect([...store.holds.values()].map((h) => h.amountMicros)).toEqual([12_000, 12_000]);
    expect(admission.pricing).toBe(DEAR);
    // 1000 × 4 + 500 × 20 = 14000 µ$: more than the first hold, charged in full.
    expect(await admission.settle({ promptTokens: 1000, completionTokens: 500 })).toMatchObject({
      costMicros: 14_000,
      chargedMicros: 14_000,
    });
    expect(store.holds.size).toBe(0);
    expect((await store.ledger(KEY)).filter((r) => r.kind === 'charge').map((r) => r.amountMicros)).toEqual([-14_000]);
  });

  it('keeps the hold for a cheaper candidate and settles lower', async () => {
    const { store, billing, input } = await setup(1_000_000);
    const admission = await billing.admit(input());
    await admission.reprice(CHEAP);
    expect(admission.heldMicros).toBe(12_000);
    expect(store.holds.size).toBe(1);
    expect((await admission.settle({ promptTokens: 1000, completionTokens: 1000 })).chargedMicros).toBe(6_000);
  });

  it('refuses an unaffordable candidate with a 402 and keeps the current pricing', async () => {
    const { store, billing, input } = await setup(20_000);
    const admission = await billing.admit(input());
    const err = await refusal(admission.reprice(DEAR));
    // This request's own 12000 counts as available: (20000 − 4000) / 20 = 800.
    expect(err.availableMicros).toBe(20_000);
    expect(err.affordableTokens).toBe(800);
    expect(err.isRetryable).toBe(true);
    expect(admission.pricing).toBe(P);
    expect(admission.heldMicros).toBe(12_000);
    expect(store.holds.size).toBe(1);
    expect((await admission.settle({ promptTokens: 1000, completionTokens: 1000 })).chargedMicros).toBe(12_000);
  });

  it('can grow the output allowance for a candidate with a larger maximum', async () => {
    const { billing, input } = await setup(1_000_000);
    const admission = await billing.admit(input());
    await admission.reprice(P, { maxOutputTokens: 4_000 });
    expect(admission.heldMicros).toBe(42_000);
  });

  it('holds on the first priced candidate after a free one, and releases when the last is free', async () => {
    const { store, billing, input } = await setup(1_000_000);
    const admission = await billing.admit(input({ pricing: FREE }));
    expect(store.holds.size).toBe(0);
    await admission.reprice(P);
    expect(admission.heldMicros).toBe(12_000);
    await admission.reprice(FREE);
    expect(await admission.settle({ promptTokens: 1000, completionTokens: 1000 })).toEqual({
      costMicros: 0,
      chargedMicros: 0,
      holdMissing: false,
    });
    expect(store.holds.size).toBe(0);
    expect(await store.ledger(KEY)).toHaveLength(1);
  });

  it('orders reprice before a settle issued after it, and refuses reprice once settled', async () => {
    const { billing, input } = await setup(1_000_000, { interleave: true });
    const admission = await billing.admit(input());
    const [, outcome] = await Promise.all([
      admission.reprice(DEAR),
      admission.settle({ promptTokens: 1000, completionTokens: 0 }),
    ]);
    expect(outcome.chargedMicros).toBe(4_000);
    await expect(admission.reprice(CHEAP)).rejects.toThrow(/already settled/);
    await expect(admission.reprice({ inputMicrosPerMillion: -1, outputMicrosPerMillion: 0 })).rejects.toThrow(
      InvalidArgumentError,
    );
  });
});

describe('concurrency through the store', () => {
  it('never admits more than the balance covers, then settles every hold exactly', async () => {
    const { store, billing, input } = await setup(120_000, { interleave: true });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => billing.admit(input())));
    const admitted = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const refused = results.filter((r) => r.status === 'rejected');
    expect(admitted).toHaveLength(10);
    expect(refused.every((r) => r.status === 'rejected' && InsufficientCreditsError.isInstance(r.reason))).toBe(true);
    expect(await store.balance(KEY)).toEqual({ keyId: KEY, balanceMicros: 120_000, heldMicros: 120_000 });

    const outcomes = await Promise.all(
      admitted.map((a, i) => a.settle({ promptTokens: 1000, completionTokens: i * 100 })),
    );
    const charged = outcomes.reduce((sum, o) => sum + o.chargedMicros, 0);
    expect(charged).toBe(outcomes.reduce((sum, o) => sum + o.costMicros, 0));
    expect(charged).toBe(10 * 2_000 + 45_000); // prompts 10 × 2000, outputs Σ i × 100 tokens × 10 µ$ for i < 10
    const balance = await store.balance(KEY);
    expect(balance).toEqual({ keyId: KEY, balanceMicros: 120_000 - charged, heldMicros: 0 });
    expect(await store.ledgerSum(KEY)).toBe(balance.balanceMicros);
  });

  it('keeps the ledger and balance in step under a mixed admit / settle / release / reprice load', async () => {
    const { store, billing } = await setup(0, { interleave: true });
    const keys = ['k1', 'k2', 'k3'];
    for (const keyId of keys)
      await store.credit({ id: `seed_${keyId}`, keyId, amountMicros: 300_000, kind: 'topup', ts: T0 });
    let seed = 11;
    const rand = (max: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % max;
    };
    const charged = new Map<string, number>(keys.map((k) => [k, 0]));
    const run = async (i: number): Promise<void> => {
      const keyId = keys[i % keys.length]!;
      const plan = rand(4);
      const usage = { promptTokens: rand(3_000), completionTokens: rand(3_000) };
      let admission;
      try {
        admission = await billing.admit({
          keyId,
          requestId: `r${i}`,
          pricing: P,
          promptTokens: 1_000,
          maxOutputTokens: 1_000,
        });
      } catch (err) {
        expect(InsufficientCreditsError.isInstance(err)).toBe(true);
        return;
      }
      try {
        if (plan === 0) return; // failed upstream: the finally releases
        if (plan === 1) await admission.reprice(DEAR).catch(() => undefined);
        const outcome = await admission.settle({ ...usage, estimated: plan === 2 });
        expect(outcome.chargedMicros).toBeLessThanOrEqual(outcome.costMicros);
        charged.set(keyId, charged.get(keyId)! + outcome.chargedMicros);
      } finally {
        await admission.release();
      }
    };
    await Promise.all(Array.from({ length: 240 }, (_, i) => run(i)));
    for (const keyId of keys) {
      const balance = await store.balance(keyId);
      expect(balance.heldMicros).toBe(0);
      expect(balance.balanceMicros).toBeGreaterThanOrEqual(0);
      expect(balance.balanceMicros).toBe(300_000 - charged.get(keyId)!);
      expect(await store.ledgerSum(keyId)).toBe(balance.balanceMicros);
    }
    expect(store.holds.size).toBe(0);
  });
});
