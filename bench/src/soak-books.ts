/**
 * The soak's books: after the load, every key's money must add up to the micro-dollar, the way
 * concurrent-spend.e2e checks one key. For each key the soak made:
 *   - the balance the gateway reports (`GET /v1/credits`, admin) equals the store's balance and the
 *     sum of its ledger rows, is not negative, and nothing is still held;
 *   - its top-ups are exactly the credit the soak gave it; its charges are what took the rest;
 *   - the cost of its activity entries (`GET /v1/activity`, admin) equals its charges, request by
 *     request, and the per-model usage of `GET /v1/credits` sums to the same;
 * and for every request the client saw answered or refused, the activity says the same thing
 * (a 200, a fallback after a 503, a 499 for a client that left, one `attempt: 0` entry for a 402
 * or 429). Activity is written in batches and a stream a client left settles when its end is
 * seen, so the checks wait for the gateway to go quiet first.
 */
import type { Store } from '@saferouter/store';
import { isExpected, type Outcome } from './soak-client.js';
import { usdToMicros, type SoakKey } from './soak-mix.js';
import { SOAK_MODELS } from './soak-catalog.js';

export interface BooksInput {
  baseUrl: string;
  adminKey: string;
  store: Store;
  keys: Map<string, SoakKey>;
  /** Every request outcome the client recorded. */
  outcomes: readonly Outcome[];
  /** How long to wait for holds to clear and activity to land (default 20 s). */
  quietTimeoutMs?: number;
}

export interface BooksReport {
  exact: boolean;
  keys: number;
  /** Activity entries and the distinct requests they belong to. */
  activityEntries: number;
  requests: number;
  creditedMicros: number;
  chargedMicros: number;
  activityCostMicros: number;
  balanceMicros: number;
  /** How long the gateway took to go quiet after the load stopped. */
  quietAfterMs: number;
  /** The activity status of the last attempt of each request whose client left mid-stream (499, or 200 if it had ended). */
  disconnectsRecordedAs: Record<string, number>;
  /** Every discrepancy, first 50. */
  problems: string[];
  problemCount: number;
}

interface ActivityRow {
  request_id: string;
  key_id: string;
  model: string;
  attempt: number;
  status: number;
  cost_usd: string;
}

const MAX_PROBLEMS = 50;

/**
 * Waits for the gateway to go quiet, then checks every key's books.
 *
 * @example
 * const books = await checkBooks({ baseUrl, adminKey, store, keys, outcomes });
 * if (!books.exact) console.error(books.problems);
 * @throws Error when the gateway's admin API cannot be read at all.
 */
export async function checkBooks(input: BooksInput): Promise<BooksReport> {
  const started = Date.now();
  await waitForQuiet(input, started + (input.quietTimeoutMs ?? 20_000));
  const activity = await allActivity(input);
  const quietAfterMs = Date.now() - started;

  const problems: string[] = [];
  const problem = (p: string): void => void problems.push(p);
  const byKey = groupBy(activity, (a) => a.key_id);
  const byRequest = groupBy(activity, (a) => a.request_id);
  let creditedMicros = 0;
  let chargedMicros = 0;
  let activityCostMicros = 0;
  let balanceMicros = 0;

  await pool([...input.keys.values()], 8, async (key) => {
    const who = `${key.name} ${key.id}`;
    const [credits, stored, ledgerSum, ledger] = await Promise.all([
      getCredits(input, key.id),
      input.store.billing.balance(key.id),
      input.store.billing.ledgerSum(key.id),
      allLedger(input.store, key.id),
    ]);
    const topups = ledger.filter((r) => r.kind === 'topup').reduce((s, r) => s + r.amountMicros, 0);
    const charges = ledger.filter((r) => r.kind === 'charge');
    const charged = -charges.reduce((s, r) => s + r.amountMicros, 0);
    const rows = byKey.get(key.id) ?? [];
    const cost = rows.reduce((s, a) => s + usdToMicros(a.cost_usd), 0);
    const usageCost = credits.usage.reduce((s, u) => s + usdToMicros(u.cost_usd), 0);
    creditedMicros += key.creditedMicros;
    chargedMicros += charged;
    activityCostMicros += cost;
    balanceMicros += credits.balance;

    if (credits.held !== 0) problem(`${who}: ${credits.held} µ$ still held`);
    if (credits.balance < 0) problem(`${who}: negative balance ${credits.balance} µ$`);
    if (credits.balance !== stored.balanceMicros)
      problem(`${who}: the gateway reports ${credits.balance} µ$, the store holds ${stored.balanceMicros} µ$`);
    if (stored.balanceMicros !== ledgerSum)
      problem(`${who}: balance ${stored.balanceMicros} µ$ ≠ ledger sum ${ledgerSum} µ$`);
    if (ledger.reduce((s, r) => s + r.amountMicros, 0) !== ledgerSum)
      problem(`${who}: the ledger rows read back do not sum to ledgerSum`);
    if (topups !== key.creditedMicros) problem(`${who}: top-ups ${topups} µ$ ≠ credit given ${key.creditedMicros} µ$`);
    const others = ledger.filter((r) => r.kind !== 'topup' && r.kind !== 'charge');
    if (others.length > 0) problem(`${who}: ${others.length} unexpected ledger row(s): ${others[0]?.kind}`);
    if (credits.balance !== key.creditedMicros - charged)
      problem(`${who}: balance ${credits.balance} µ$ ≠ credit ${key.creditedMicros} − charges ${charged} µ$`);
    if (cost !== charged) problem(`${who}: activity cost ${cost} µ$ ≠ charges ${charged} µ$`);
    if (usageCost !== cost) problem(`${who}: /v1/credits usage ${usageCost} µ$ ≠ activity cost ${cost} µ$`);

    // Request by request: each charge is that request's activity cost, and every cost was charged.
    const chargeOf = new Map<string, number>();
    for (const r of charges) {
      const id = r.requestId ?? '(none)';
      chargeOf.set(id, (chargeOf.get(id) ?? 0) - r.amountMicros);
    }
    const costOf = new Map<string, number>();
    for (const a of rows) costOf.set(a.request_id, (costOf.get(a.request_id) ?? 0) + usdToMicros(a.cost_usd));
    for (const [id, c] of chargeOf)
      if ((costOf.get(id) ?? 0) !== c)
        problem(`${who}: request ${id} charged ${c} µ$, activity says ${costOf.get(id) ?? 0} µ$`);
    for (const [id, c] of costOf)
      if (c !== 0 && !chargeOf.has(id)) problem(`${who}: request ${id} has activity cost ${c} µ$ but no charge`);
  });

  // What the client saw must be what the activity says.
  for (const o of input.outcomes) {
    if (o.requestId === undefined) continue;
    const rows = byRequest.get(o.requestId) ?? [];
    const mismatch = activityMismatch(o, rows);
    if (mismatch !== undefined) problem(`${o.op} ${o.kind} ${o.requestId}: ${mismatch}`);
  }
  const disconnectsRecordedAs: Record<string, number> = {};
  for (const o of input.outcomes) {
    if (o.kind !== 'disconnect' || o.requestId === undefined) continue;
    const rows = byRequest.get(o.requestId) ?? [];
    const last = rows.reduce<ActivityRow | undefined>(
      (m, r) => (m === undefined || r.attempt > m.attempt ? r : m),
      undefined,
    );
    const status = String(last?.status ?? 'none');
    disconnectsRecordedAs[status] = (disconnectsRecordedAs[status] ?? 0) + 1;
  }
  const known = new Set(input.keys.keys());
  const strays = activity.filter((a) => !known.has(a.key_id));
  if (strays.length > 0) problem(`${strays.length} activity entries of keys the soak did not make`);

  return {
    exact: problems.length === 0,
    keys: input.keys.size,
    activityEntries: activity.length,
    requests: byRequest.size,
    creditedMicros,
    chargedMicros,
    activityCostMicros,
    balanceMicros,
    quietAfterMs,
    disconnectsRecordedAs,
    problems: problems.slice(0, MAX_PROBLEMS),
    problemCount: problems.length,
  };
}

/** Outcomes that leave activity behind (a 401 never reaches metering; unexpected ones are errors already). */
function needsActivity(o: Outcome): boolean {
  return ['ok', 'fallback', 'disconnect', 'refused-402', 'refused-429'].includes(o.kind);
}

function activityMismatch(o: Outcome, rows: ActivityRow[]): string | undefined {
  const statuses = [...rows].sort((a, b) => a.attempt - b.attempt).map((r) => `${r.attempt}:${r.status}`);
  const wrongKey = rows.find((r) => r.key_id !== o.keyId);
  if (wrongKey !== undefined) return `activity on key ${wrongKey.key_id}, sent with ${o.keyId}`;
  const last = rows.reduce<ActivityRow | undefined>(
    (m, r) => (m === undefined || r.attempt > m.attempt ? r : m),
    undefined,
  );
  switch (o.kind) {
    case 'ok':
      return last?.status === 200 && last.attempt >= 1 ? undefined : `activity ${JSON.stringify(statuses)}, want a 200`;
    case 'fallback': {
      const failed = rows.some((r) => r.model === SOAK_MODELS.flaky && r.status === 503);
      const answered = last?.status === 200 && last.model === SOAK_MODELS.backup;
      return failed && answered
        ? undefined
        : `activity ${JSON.stringify(statuses)}, want 503 then 200 from the fallback`;
    }
    case 'disconnect':
      // 499 once the gateway saw the client leave; 200 if the stream had already ended.
      return last !== undefined && (last.status === 499 || last.status === 200)
        ? undefined
        : `activity ${JSON.stringify(statuses)}, want a 499`;
    case 'refused-402':
    case 'refused-429': {
      const want = o.kind === 'refused-402' ? 402 : 429;
      const one = rows.length === 1 && rows[0]?.attempt === 0 && rows[0].status === want;
      return one && usdToMicros(rows[0]?.cost_usd ?? '0') === 0
        ? undefined
        : `activity ${JSON.stringify(statuses)}, want one free attempt-0 ${want}`;
    }
    case 'revoked-401':
      return rows.length === 0 ? undefined : `a refused revoked key left activity ${JSON.stringify(statuses)}`;
    default:
      return undefined;
  }
}

/**
 * Waits until nothing is held on the keys that may still settle (those whose client left
 * mid-stream or got no complete answer) and the activity count has reached what the client saw
 * and stopped moving. Gives up at `deadline`: the checks then show what is missing.
 */
async function waitForQuiet(input: BooksInput, deadline: number): Promise<void> {
  const settling = new Set(
    input.outcomes.filter((o) => o.kind === 'disconnect' || !isExpected(o.kind)).map((o) => o.keyId),
  );
  settling.delete('admin');
  // At least one entry per request that reached metering, two for a fallback.
  const least =
    input.outcomes.filter(needsActivity).length + input.outcomes.filter((o) => o.kind === 'fallback').length;
  let last = -1;
  for (;;) {
    const held = await Promise.all([...settling].map(async (id) => (await getCredits(input, id)).held));
    const stats = (await adminGet(input, '/v1/activity/stats?window=7d')) as { total: number };
    const quiet = held.every((h) => h === 0) && stats.total >= least && stats.total === last;
    if (quiet || Date.now() > deadline) return;
    last = stats.total;
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Runs `task` over `items`, at most `concurrency` at once. */
async function pool<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await task(items[next++] as T);
    }),
  );
}

function groupBy<T>(xs: readonly T[], keyOf: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = keyOf(x);
    const list = m.get(k);
    if (list === undefined) m.set(k, [x]);
    else list.push(x);
  }
  return m;
}

async function adminGet(input: BooksInput, path: string): Promise<unknown> {
  const res = await fetch(`${input.baseUrl}${path}`, {
    headers: { authorization: `Bearer ${input.adminKey}` },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as unknown;
}

async function getCredits(
  input: BooksInput,
  keyId: string,
): Promise<{ balance: number; held: number; usage: { cost_usd: string }[] }> {
  const body = (await adminGet(input, `/v1/credits?key_id=${encodeURIComponent(keyId)}`)) as {
    balance_usd: string;
    held_usd: string;
    usage: { cost_usd: string }[];
  };
  return { balance: usdToMicros(body.balance_usd), held: usdToMicros(body.held_usd), usage: body.usage };
}

/** Every activity entry of every key, all pages. */
async function allActivity(input: BooksInput): Promise<ActivityRow[]> {
  const out: ActivityRow[] = [];
  let cursor: string | null = null;
  do {
    const page = (await adminGet(
      input,
      `/v1/activity?limit=500${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
    )) as { data: ActivityRow[]; next_cursor: string | null };
    out.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return out;
}

/**
 * A key's whole ledger. `before` is exclusive on `ts` and rows can share a millisecond, so each
 * page asks for `before: oldest ts + 1` and drops the rows it already has.
 */
async function allLedger(store: Store, keyId: string): Promise<Awaited<ReturnType<Store['billing']['ledger']>>> {
  const seen = new Map<string, Awaited<ReturnType<Store['billing']['ledger']>>[number]>();
  let before: number | undefined;
  for (;;) {
    const page = await store.billing.ledger(keyId, { limit: 1000, ...(before === undefined ? {} : { before }) });
    let fresh = 0;
    for (const r of page)
      if (!seen.has(r.id)) {
        seen.set(r.id, r);
        fresh++;
      }
    if (page.length < 1000) break;
    if (fresh === 0) throw new Error(`ledger of ${keyId}: more than 1000 rows in one millisecond, cannot page`);
    before = (page.at(-1)?.ts ?? 0) + 1;
  }
  return [...seen.values()];
}
