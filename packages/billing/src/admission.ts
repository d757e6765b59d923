/**
 * Admission: the life of one request's money over a `BillingStore` — hold the worst case before
 * the upstream is called, then either settle the real cost or release the hold for nothing.
 *
 * Fallback re-pricing: one admission follows the request across its fallback chain. Before each
 * attempt the caller calls `admission.reprice(candidatePricing)`; when that candidate's worst case
 * is dearer than what is already held, an extra hold for the difference is placed (or the call
 * fails with `InsufficientCreditsError`, which fallback treats as retryable). The alternative —
 * one hold for the dearest candidate, computed up front — is simpler but refuses a key that can
 * afford the model it asked for only because some fallback it will probably never reach is
 * dearer, and holds more of the balance away from concurrent requests on every call. Holds never
 * shrink on re-pricing: a cheaper candidate simply settles lower.
 *
 * Settlement charges the last priced candidate's cost on the first hold and releases the extra
 * ones. Holds outlive requests by `holdTtlMs`; a hold the store expired before settlement
 * (`expireHolds`) charges nothing, reported as `holdMissing`, because retrying a charge whose
 * first attempt may have committed would risk billing twice.
 */
import { InvalidArgumentError } from '@saferouter/errors';
import { timeOrderedId, type BillingStore, type LedgerEntry } from '@saferouter/store';
import { assertPricing, exactCostMicros, isFreePricing, type Pricing } from './money.js';
import { affordableOutputTokens, InsufficientCreditsError, promptAffordable } from './hold.js';
import {
  assertCount,
  assertFunction,
  assertKeyId,
  assertObject,
  assertPositiveInteger,
  assertString,
  checkObject,
} from './validate.js';

/** How long a hold survives a crashed process before `expireHolds` may reclaim it. */
export const DEFAULT_HOLD_TTL_MS = 30 * 60_000;

export interface BillingOptions {
  store: BillingStore;
  /** Milliseconds since the epoch. Default `Date.now`. */
  clock?: (() => number) | undefined;
  /** Must exceed the longest a request may run. Default 30 minutes. */
  holdTtlMs?: number | undefined;
  /** New unique ids for holds (`hold`) and ledger rows (`ledger`). Default `hold_…` / `led_…` UUIDs. */
  ids?: ((kind: 'hold' | 'ledger') => string) | undefined;
}

export interface AdmitInput {
  keyId: string;
  /** `X-Request-Id`; stored on the hold and the charge row. */
  requestId: string;
  /** Pricing of the first candidate. */
  pricing: Pricing;
  /** From `estimatePromptTokens`. */
  promptTokens: number;
  /** `max_tokens` if the client set it, else the model's maximum output. */
  maxOutputTokens: number;
  /** Charge nothing whatever the pricing (a demo model, an unmetered key): no hold, settles to 0. */
  free?: boolean | undefined;
}

export interface SettleUsage {
  promptTokens: number;
  completionTokens: number;
  /** Prompt tokens served from the provider's cache, charged at the cached input price. Default 0. */
  cachedTokens?: number | undefined;
  /** True when the counts are estimates (a cut stream without `usage`); noted on the charge row. */
  estimated?: boolean | undefined;
}

export interface SettleOutcome {
  /** The cost of the usage at the admission's current pricing, rounded up. */
  costMicros: number;
  /** What the ledger was charged: `costMicros` unless clamped to the balance (or hold missing). */
  chargedMicros: number;
  /** The charge row, absent when nothing was charged. */
  entry?: LedgerEntry | undefined;
  /** The store no longer knew the hold (expired, or settled by an earlier attempt); nothing charged. */
  holdMissing: boolean;
}

export type AdmissionState = 'held' | 'settled' | 'released';

export interface Admission {
  readonly keyId: string;
  readonly requestId: string;
  readonly free: boolean;
  /** The pricing `settle` charges at: the admitted one, or the last `reprice`. */
  readonly pricing: Pricing;
  /** Total held for this request across its holds. */
  readonly heldMicros: number;
  readonly state: AdmissionState;
  /**
   * Switches to another candidate's pricing, holding more if its worst case is dearer.
   * @throws {InsufficientCreditsError} when the extra hold is refused (pricing unchanged).
   * @throws {Error} after `settle` or `release`.
   */
  reprice(pricing: Pricing, options?: { maxOutputTokens?: number | undefined }): Promise<void>;
  /** Charges the usage and ends the admission. Idempotent: later calls return the first outcome. */
  settle(usage: SettleUsage): Promise<SettleOutcome>;
  /** Ends the admission charging nothing (the attempt failed before any output). Idempotent; a no-op after `settle`. */
  release(): Promise<void>;
}

export interface Billing {
  /**
   * Holds the worst case of a request, or refuses it.
   * @throws {InsufficientCreditsError} when the key cannot afford it.
   * @throws {InvalidArgumentError} on malformed input.
   */
  admit(input: AdmitInput): Promise<Admission>;
  /**
   * Credits a top-up (from `parseUsdAmount`) to a key's ledger. The one way credit enters the
   * ledger: key creation with initial credit and `POST /v1/credits/topup` both come through here.
   * @throws {InvalidArgumentError} on a malformed key id, amount, note or request id.
   */
  topup(input: {
    keyId: string;
    amountMicros: number;
    note?: string | undefined;
    requestId?: string | undefined;
  }): Promise<LedgerEntry>;
  /**
   * Gives back (part of) a charge whose reply was withheld after it committed (an audit log that
   * could not be written): an `adjustment` credit on the ledger, naming the request.
   * @throws {InvalidArgumentError} on a malformed key id, amount, note or request id.
   */
  refund(input: { keyId: string; amountMicros: number; requestId: string; note: string }): Promise<LedgerEntry>;
  /** Releases holds past their expiry (left by crashed processes); run it periodically. */
  expireHolds(): Promise<number>;
}

// Time-ordered, so inserts append to the id-clustered tables (see timeOrderedId).
const defaultIds = (kind: 'hold' | 'ledger'): string => timeOrderedId(kind === 'hold' ? 'hold' : 'led');

/**
 * Billing over a store.
 *
 * @example
 * const billing = createBilling({ store });
 * const admission = await billing.admit({ keyId, requestId, pricing, promptTokens: estimatePromptTokens(body), maxOutputTokens: 4096 });
 * try {
 *   const result = await model.doGenerate({ body });
 *   await admission.settle({ promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens });
 * } finally {
 *   await admission.release(); // no-op once settled; frees the hold if the call threw
 * }
 * @throws {InvalidArgumentError} on malformed options.
 */
export function createBilling(options: BillingOptions): Billing {
  checkObject(options, 'options');
  const { store } = options;
  checkObject(store, 'options.store');
  const clock = options.clock ?? Date.now;
  assertFunction(clock, 'options.clock');
  const holdTtlMs = options.holdTtlMs ?? DEFAULT_HOLD_TTL_MS;
  assertPositiveInteger(holdTtlMs, 'options.holdTtlMs');
  const ids = options.ids ?? defaultIds;
  assertFunction(ids, 'options.ids');

  const refusal = (
    pricing: Pricing,
    availableMicros: number,
    input: HoldShape,
    requiredMicros: number,
  ): InsufficientCreditsError =>
    new InsufficientCreditsError({
      requestedTokens: input.maxOutputTokens,
      affordableTokens: Math.min(
        affordableOutputTokens(pricing, availableMicros, input.promptTokens),
        input.maxOutputTokens,
      ),
      promptTokens: input.promptTokens,
      availableMicros,
      requiredMicros,
      promptAffordable: promptAffordable(pricing, availableMicros, input.promptTokens),
    });

  /** Places one hold; returns its id or throws the 402 computed against `ownHeld + available`. */
  const hold = async (
    keyId: string,
    requestId: string,
    amountMicros: number,
    refuse: (available: number) => Error,
  ): Promise<string> => {
    const id = ids('hold');
    const now = clock();
    const result = await store.placeHold({ id, keyId, amountMicros, requestId, ts: now, expiresAt: now + holdTtlMs });
    if (!result.ok) throw refuse(result.availableMicros);
    return id;
  };

  return {
    async admit(input) {
      assertAdmitInput(input);
      const { keyId, requestId, pricing, promptTokens, maxOutputTokens } = input;
      const free = input.free === true;
      const holdIds: string[] = [];
      let held = 0;
      if (!free && !isFreePricing(pricing)) {
        // A priced request always holds at least 1 µ$, so there is a hold to settle against.
        held = Math.max(1, exactCostMicros(pricing, promptTokens, maxOutputTokens));
        holdIds.push(await hold(keyId, requestId, held, (available) => refusal(pricing, available, input, held)));
      }
      return createAdmission({ keyId, requestId, free, pricing, promptTokens, maxOutputTokens, holdIds, held });
    },

    async topup(input) {
      checkObject(input, 'input');
      assertKeyId(input.keyId, 'input.keyId');
      assertPositiveInteger(input.amountMicros, 'input.amountMicros');
      if (input.note !== undefined) assertString(input.note, 'input.note', 0, 500);
      if (input.requestId !== undefined) assertString(input.requestId, 'input.requestId', 1, 128);
      return store.credit({
        id: ids('ledger'),
        keyId: input.keyId,
        amountMicros: input.amountMicros,
        kind: 'topup',
        ts: clock(),
        note: input.note,
        ...(input.requestId === undefined ? {} : { requestId: input.requestId }),
      });
    },

    async refund(input) {
      checkObject(input, 'input');
      assertKeyId(input.keyId, 'input.keyId');
      assertPositiveInteger(input.amountMicros, 'input.amountMicros');
      assertString(input.requestId, 'input.requestId', 1, 128);
      assertString(input.note, 'input.note', 1, 500);
      return store.credit({
        id: ids('ledger'),
        keyId: input.keyId,
        amountMicros: input.amountMicros,
        kind: 'adjustment',
        ts: clock(),
        note: input.note,
        requestId: input.requestId,
      });
    },

    expireHolds: () => store.expireHolds(clock()),
  };

  function createAdmission(
    init: HoldShape & {
      keyId: string;
      requestId: string;
      free: boolean;
      pricing: Pricing;
      holdIds: string[];
      held: number;
    },
  ): Admission {
    const { keyId, requestId, free, promptTokens, holdIds } = init;
    let { pricing, held, maxOutputTokens } = init;
    let state: AdmissionState = 'held';
    let outcome: SettleOutcome | undefined;
    // Store calls of one admission run one at a time, so `reprice` can never race `settle`.
    let queue: Promise<unknown> = Promise.resolve();
    const serial = <T>(task: () => Promise<T>): Promise<T> => {
      const run = queue.then(task, task);
      queue = run.catch(() => undefined);
      return run;
    };

    return {
      keyId,
      requestId,
      free,
      get pricing() {
        return pricing;
      },
      get heldMicros() {
        return held;
      },
      get state() {
        return state;
      },

      async reprice(next, repriceOptions) {
        assertPricing(next, 'pricing');
        const nextMax = repriceOptions?.maxOutputTokens ?? maxOutputTokens;
        assertCount(nextMax, 'options.maxOutputTokens');
        return serial(async () => {
          if (state !== 'held') throw new Error(`admission ${requestId} is already ${state}; it cannot be re-priced`);
          if (!free && !isFreePricing(next)) {
            const required = Math.max(1, exactCostMicros(next, promptTokens, nextMax));
            if (required > held) {
              const shape = { promptTokens, maxOutputTokens: nextMax };
              // Our own holds count as affordable for the message: the request may spend them.
              holdIds.push(
                await hold(keyId, requestId, required - held, (available) =>
                  refusal(next, available + held, shape, required),
                ),
              );
              held = required;
            }
          }
          pricing = next;
          maxOutputTokens = nextMax;
        });
      },

      async settle(usage) {
        checkObject(usage, 'usage');
        assertCount(usage.promptTokens, 'usage.promptTokens');
        assertCount(usage.completionTokens, 'usage.completionTokens');
        if (usage.cachedTokens !== undefined) assertCount(usage.cachedTokens, 'usage.cachedTokens');
        if (usage.estimated !== undefined && typeof usage.estimated !== 'boolean')
          throw new InvalidArgumentError('usage.estimated', 'usage.estimated must be a boolean', 'type');
        return serial(async () => {
          if (outcome !== undefined) return outcome;
          const cost = free
            ? 0
            : exactCostMicros(pricing, usage.promptTokens, usage.completionTokens, usage.cachedTokens);
          if (state === 'released') return { costMicros: cost, chargedMicros: 0, holdMissing: false };
          const [primary, ...extras] = holdIds;
          let result: SettleOutcome = { costMicros: cost, chargedMicros: 0, holdMissing: false };
          if (primary !== undefined && cost === 0) {
            await releaseAll(store, holdIds);
          } else if (primary !== undefined) {
            // Extras first: if the settle below fails, everything is still retryable, whereas a
            // failure after a committed charge would leave a retry seeing `holdMissing`.
            await releaseAll(store, extras);
            const note = usage.estimated === true ? 'estimated' : undefined;
            const settled = await store.settle(primary, { costMicros: cost, ts: clock(), note });
            result =
              settled === undefined
                ? { costMicros: cost, chargedMicros: 0, holdMissing: true }
                : { costMicros: cost, chargedMicros: settled.chargedMicros, entry: settled.entry, holdMissing: false };
          }
          outcome = result;
          state = 'settled';
          held = 0;
          return result;
        });
      },

      release() {
        return serial(async () => {
          if (state !== 'held') return;
          await releaseAll(store, holdIds);
          state = 'released';
          held = 0;
        });
      },
    };
  }
}

interface HoldShape {
  promptTokens: number;
  maxOutputTokens: number;
}

async function releaseAll(store: BillingStore, holdIds: readonly string[]): Promise<void> {
  await Promise.all(holdIds.map((id) => store.release(id)));
}

function assertAdmitInput(input: unknown): asserts input is AdmitInput {
  assertObject(input, 'input');
  assertKeyId(input['keyId'], 'input.keyId');
  assertString(input['requestId'], 'input.requestId', 1, 128); // the store's bound for record ids
  assertPricing(input['pricing'], 'input.pricing');
  assertCount(input['promptTokens'], 'input.promptTokens');
  assertCount(input['maxOutputTokens'], 'input.maxOutputTokens');
  if (input['free'] !== undefined && typeof input['free'] !== 'boolean')
    throw new InvalidArgumentError('input.free', 'input.free must be a boolean', 'type');
}
