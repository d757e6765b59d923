// The metering unit without HTTP: real SQLite books, scripted upstreams through the real relay.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  exactCostMicros,
  InsufficientCreditsError,
  RateLimitError,
  type Admission,
  type Billing,
} from '@saferouter/billing';
import { SafeRouterError } from '@saferouter/errors';
import type { ChatRequestBody, StreamResult } from '@saferouter/router';
import { holdShape } from './estimates.js';
import {
  BillingFailedError,
  createMeteredChat,
  type ChatCaller,
  type MeteredReply,
  type MeteringDeps,
} from './metered-chat.js';
import { entry, fixedCatalog, openBooks, sse, type Books, type Script } from './testing.js';

const dec = new TextDecoder();
/** Request bytes for tests that do not look at receipts. */
const REQUEST_BYTES = new TextEncoder().encode('{}');
const USAGE = { prompt_tokens: 1000, completion_tokens: 2000 };
const PRICEY = entry('pricey', 2_000_000, 8_000_000);
const CHEAP = entry('cheap', 1_000_000, 1_000_000);
const COST_PRICEY = exactCostMicros(PRICEY.pricing, USAGE.prompt_tokens, USAGE.completion_tokens);
const COST_CHEAP = exactCostMicros(CHEAP.pricing, USAGE.prompt_tokens, USAGE.completion_tokens);

let books: Books;
let ids = 0;

beforeEach(async () => {
  books = await openBooks(1_000_000);
});
afterEach(async () => {
  await books.close();
});

function deps(
  chain: { entry: typeof PRICEY; script: () => Script }[],
  overrides: Partial<MeteringDeps> = {},
): MeteringDeps {
  return {
    catalog: fixedCatalog(chain),
    billing: books.billing,
    limiter: books.limiter,
    activity: { push: (e) => books.activity.push(e) },
    clock: () => 1_700_000_000_000,
    newId: () => `act_${++ids}`,
    log: () => undefined,
    ...overrides,
  };
}

function caller(
  limits: ChatCaller['limits'] = { rpm: null, concurrency: null },
  role: ChatCaller['role'] = 'user',
): ChatCaller {
  return { id: books.keyId, role, limits };
}

function body(model: string, stream: boolean): ChatRequestBody {
  return { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 100, stream };
}

function streamOf(reply: MeteredReply): StreamResult {
  if (!reply.stream) throw new Error('expected a stream');
  return reply.result;
}

async function readAll(result: StreamResult, onChunk?: (text: string) => Promise<void>): Promise<string> {
  let text = '';
  for (let c = await result.read(); c !== undefined; c = await result.read()) {
    text += dec.decode(c);
    await onChunk?.(text);
  }
  return text;
}

/** Billing whose admissions settle through `settle` (holding, failing) instead of their own. */
function withSettle(
  billing: Billing,
  settle: (admission: Admission, usage: Parameters<Admission['settle']>[0]) => ReturnType<Admission['settle']>,
): Billing {
  return {
    ...billing,
    admit: async (input) => {
      const admission = await billing.admit(input);
      return Object.assign(Object.create(admission) as Admission, {
        reprice: admission.reprice.bind(admission),
        release: admission.release.bind(admission),
        settle: (usage: Parameters<Admission['settle']>[0]) => settle(admission, usage),
      });
    },
  };
}

/** Lets a test hold an admission's settle until it says so. */
const slowSettle = (billing: Billing, gate: Promise<void>): Billing =>
  withSettle(billing, async (admission, usage) => {
    await gate;
    return admission.settle(usage);
  });

/** An admission whose charge cannot be written. */
const failingSettle = (billing: Billing): Billing => withSettle(billing, () => Promise.reject(new Error('disk full')));

describe('metered chat, non-stream', () => {
  it('charges the reported usage before returning, and records one attempt', async () => {
    const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ usage: USAGE }) }]));
    const reply = await chat.complete({
      caller: caller(),
      requestId: 'req_1',
      requestBytes: REQUEST_BYTES,
      body: body('pricey', false),
    });
    expect(reply).toMatchObject({ stream: false, requested: 'pricey', answeredBy: 'pricey' });
    expect(await books.charges()).toEqual([{ requestId: 'req_1', amountMicros: -COST_PRICEY }]);
    expect(await books.account()).toMatchObject({ balanceMicros: 1_000_000 - COST_PRICEY, heldMicros: 0 });
    expect(books.activity).toHaveLength(1);
    expect(books.activity[0]).toMatchObject({
      attempt: 1,
      status: 200,
      costMicros: COST_PRICEY,
      promptTokens: 1000,
      completionTokens: 2000,
      estimated: false,
    });
  });

  it('falls back, re-pricing the hold, and charges the price of the model that answered', async () => {
    const chat = createMeteredChat(
      deps([
        { entry: PRICEY, script: () => ({ status: 503 }) },
        { entry: CHEAP, script: () => ({ usage: USAGE }) },
      ]),
    );
    const reply = await chat.complete({
      caller: caller(),
      requestId: 'req_2',
      requestBytes: REQUEST_BYTES,
      body: body('pricey', false),
    });
    expect(reply.answeredBy).toBe('cheap');
    expect(await books.charges()).toEqual([{ requestId: 'req_2', amountMicros: -COST_CHEAP }]);
    expect(books.activity.map((e) => [e.model, e.attempt, e.status, e.costMicros])).toEqual([
      ['pricey', 1, 503, 0],
      ['cheap', 2, 200, COST_CHEAP],
    ]);
    expect((await books.account()).heldMicros).toBe(0);
  });

  it('estimates a reply without usage, and says so', async () => {
    const chat = createMeteredChat(deps([{ entry: CHEAP, script: () => ({ usage: undefined }) }]));
    await chat.complete({
      caller: caller(),
      requestId: 'req_3',
      requestBytes: REQUEST_BYTES,
      body: body('cheap', false),
    });
    expect(books.activity[0]).toMatchObject({ estimated: true, completionTokens: 4 }); // "Hello there": 11 bytes / 3
    expect((await books.charges())[0]?.amountMicros).toBeLessThan(0);
  });

  it('charges nothing when every candidate fails, releasing the hold and recording each attempt', async () => {
    const chat = createMeteredChat(
      deps([
        { entry: PRICEY, script: () => ({ status: 503 }) },
        { entry: CHEAP, script: () => ({ status: 502 }) },
      ]),
    );
    await expect(
      chat.complete({ caller: caller(), requestId: 'req_4', requestBytes: REQUEST_BYTES, body: body('pricey', false) }),
    ).rejects.toMatchObject({ statusCode: 502 });
    expect(await books.charges()).toEqual([]);
    expect(await books.account()).toMatchObject({ balanceMicros: 1_000_000, heldMicros: 0 });
    expect(books.activity.map((e) => e.status)).toEqual([503, 502]);
  });

  it('refuses over a limit (429) and without credit (402), each with one attempt-0 entry', async () => {
    const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ usage: USAGE }) }]));
    const limited = chat.complete({
      caller: caller({ rpm: 0, concurrency: null }),
      requestId: 'req_5',
      requestBytes: REQUEST_BYTES,
      body: body('pricey', false),
    });
    await expect(limited).rejects.toBeInstanceOf(RateLimitError);
    await expect(limited).rejects.toMatchObject({ statusCode: 429, headers: { 'retry-after': expect.any(String) } });

    const huge = { ...body('pricey', false), max_tokens: 10_000_000 };
    await expect(
      chat.complete({ caller: caller(), requestId: 'req_6', requestBytes: REQUEST_BYTES, body: huge }),
    ).rejects.toBeInstanceOf(InsufficientCreditsError);
    expect(books.activity.map((e) => [e.requestId, e.attempt, e.status])).toEqual([
      ['req_5', 0, 429],
      ['req_6', 0, 402],
    ]);
    expect(await books.account()).toMatchObject({ balanceMicros: 1_000_000, heldMicros: 0 });
  });

  it('bills nothing to the admin key, but records it', async () => {
    const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ usage: USAGE }) }]));
    await chat.complete({
      caller: caller(undefined, 'admin'),
      requestId: 'req_7',
      requestBytes: REQUEST_BYTES,
      body: body('pricey', false),
    });
    expect(await books.charges()).toEqual([]);
    expect(books.activity[0]).toMatchObject({ status: 200, costMicros: 0 });
  });

  it('withholds the reply when the charge cannot be written (503 billing_failed), leaving no hold', async () => {
    const broken = failingSettle(books.billing);
    const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ usage: USAGE }) }], { billing: broken }));
    const failed = chat.complete({
      caller: caller(),
      requestId: 'req_8',
      requestBytes: REQUEST_BYTES,
      body: body('pricey', false),
    });
    await expect(failed).rejects.toBeInstanceOf(BillingFailedError);
    await expect(failed).rejects.toMatchObject({ statusCode: 503, code: 'billing_failed' });
    expect(await books.account()).toMatchObject({ balanceMicros: 1_000_000, heldMicros: 0 });
    expect(books.activity[0]).toMatchObject({ status: 503 });
  });
});

describe('metered chat, stream', () => {
  it('commits the charge before the client can read [DONE], split at every byte of it, LF, CRLF and no-space', async () => {
    const forms: [string, (text: string) => string][] = [
      ['LF', (t) => t],
      ['CRLF', (t) => t.replaceAll('\n', '\r\n')],
      ['no space', (t) => t.replaceAll('data: ', 'data:')],
    ];
    let n = 0;
    for (const [name, form] of forms) {
      const whole = form(sse(['Hello', ' there'], USAGE).join(''));
      const done = whole.lastIndexOf('data');
      for (let split = done; split < whole.length; split++) {
        const chunks = [whole.slice(0, split), whole.slice(split)];
        const requestId = `req_s${++n}`;
        const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ chunks }) }]));
        const reply = await chat.complete({
          caller: caller(),
          requestId,
          requestBytes: REQUEST_BYTES,
          body: body('pricey', true),
        });
        let chargedWhenDoneSeen: unknown;
        const text = await readAll(streamOf(reply), async (sofar) => {
          if (sofar.includes('[DONE]') && chargedWhenDoneSeen === undefined) {
            chargedWhenDoneSeen = (await books.charges()).find((c) => c.requestId === requestId);
          }
        });
        expect(text, `${name}, split at ${split}`).toBe(whole);
        expect(chargedWhenDoneSeen, `${name}, split at ${split}`).toEqual({ requestId, amountMicros: -COST_PRICEY });
      }
    }
    expect(n).toBeGreaterThan(40);
    expect((await books.account()).heldMicros).toBe(0);
  });

  it('asks the upstream for usage on every stream', async () => {
    const seen: ChatRequestBody[] = [];
    const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ usage: USAGE }) }]));
    const b = { ...body('pricey', true), stream_options: { include_usage: false } };
    const reply = await chat.complete({ caller: caller(), requestId: 'req_u', requestBytes: REQUEST_BYTES, body: b });
    seen.push(b);
    await readAll(streamOf(reply));
    expect(seen[0]?.stream_options).toEqual({ include_usage: true });
  });

  it('a client leaving mid-stream is charged for the text delivered (estimated, 499), and no hold is left', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const chat = createMeteredChat(
      deps([
        { entry: CHEAP, script: () => ({ chunks: sse(['A'.repeat(300), 'B'.repeat(300)], USAGE), gate: () => gate }) },
      ]),
    );
    const result = streamOf(
      await chat.complete({
        caller: caller(),
        requestId: 'req_left',
        requestBytes: REQUEST_BYTES,
        body: body('cheap', true),
      }),
    );
    expect(dec.decode(await result.read())).toContain('AAA');
    result.cancel(new Error('client left'));
    release();
    await result.summary;
    await new Promise((r) => setTimeout(r, 10));
    const [charge] = await books.charges();
    const prompt = holdShape(body('cheap', true), CHEAP).promptTokens;
    expect(charge?.amountMicros).toBe(-exactCostMicros(CHEAP.pricing, prompt, 100)); // 300 bytes / 3 = 100 tokens
    expect(books.activity[0]).toMatchObject({ status: 499, estimated: true, completionTokens: 100 });
    expect((await books.account()).heldMicros).toBe(0);
  });

  it('an upstream cut before [DONE] is recorded as 502, charged from the usage it did send', async () => {
    const chat = createMeteredChat(deps([{ entry: CHEAP, script: () => ({ chunks: sse(['Hi'], USAGE, '') }) }]));
    const text = await readAll(
      streamOf(
        await chat.complete({
          caller: caller(),
          requestId: 'req_cut',
          requestBytes: REQUEST_BYTES,
          body: body('cheap', true),
        }),
      ),
    );
    expect(text).toContain('"code":"stream_interrupted"');
    expect(text).not.toContain('[DONE]');
    await new Promise((r) => setTimeout(r, 10));
    expect(await books.charges()).toEqual([{ requestId: 'req_cut', amountMicros: -COST_CHEAP }]);
    expect(books.activity[0]).toMatchObject({ status: 502, estimated: false });
  });

  it('when the charge fails, the stream ends with billing_failed and no [DONE]', async () => {
    const broken = failingSettle(books.billing);
    const chat = createMeteredChat(deps([{ entry: PRICEY, script: () => ({ usage: USAGE }) }], { billing: broken }));
    const text = await readAll(
      streamOf(
        await chat.complete({
          caller: caller(),
          requestId: 'req_bf',
          requestBytes: REQUEST_BYTES,
          body: body('pricey', true),
        }),
      ),
    );
    expect(text).toContain('"code":"billing_failed"');
    expect(text).not.toContain('[DONE]');
    expect(text).not.toContain('disk full');
    expect(await books.account()).toMatchObject({ balanceMicros: 1_000_000, heldMicros: 0 });
  });

  it('a client leaving while the charge is being written still gets the charge written, once', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const events = sse(['Hello'], USAGE);
    const chunks = [events.slice(0, -1).join(''), events.at(-1) as string];
    const chat = createMeteredChat(
      deps([{ entry: PRICEY, script: () => ({ chunks }) }], { billing: slowSettle(books.billing, gate) }),
    );
    const result = streamOf(
      await chat.complete({
        caller: caller(),
        requestId: 'req_mid',
        requestBytes: REQUEST_BYTES,
        body: body('pricey', true),
      }),
    );
    const first = await result.read();
    expect(first).toBeDefined();
    const last = result.read(); // reaches [DONE]: the hook waits on the gate
    await new Promise((r) => setTimeout(r, 10));
    result.cancel(new Error('client left'));
    open();
    expect(await last).toBeUndefined(); // [DONE] is withheld from a client that left
    await result.summary;
    await new Promise((r) => setTimeout(r, 10));
    expect(await books.charges()).toEqual([{ requestId: 'req_mid', amountMicros: -COST_PRICEY }]);
    expect(books.activity).toHaveLength(1);
    expect(books.activity[0]).toMatchObject({ status: 200, costMicros: COST_PRICEY });
    expect((await books.account()).heldMicros).toBe(0);
  });

  it('holds the concurrency slot until the stream ends', async () => {
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const chat = createMeteredChat(deps([{ entry: CHEAP, script: () => ({ usage: USAGE, gate: () => gate }) }]));
    const limits = { rpm: null, concurrency: 1 };
    const result = streamOf(
      await chat.complete({
        caller: caller(limits),
        requestId: 'req_c1',
        requestBytes: REQUEST_BYTES,
        body: body('cheap', true),
      }),
    );
    await expect(
      chat.complete({
        caller: caller(limits),
        requestId: 'req_c2',
        requestBytes: REQUEST_BYTES,
        body: body('cheap', true),
      }),
    ).rejects.toMatchObject({ statusCode: 429 });
    open();
    await readAll(result);
    const again = streamOf(
      await chat.complete({
        caller: caller(limits),
        requestId: 'req_c3',
        requestBytes: REQUEST_BYTES,
        body: body('cheap', true),
      }),
    );
    await readAll(again);
  });

  it('a model that does not exist is a 404 before anything is held or recorded', async () => {
    const chat = createMeteredChat(deps([{ entry: CHEAP, script: () => ({ usage: USAGE }) }]));
    const missing = chat.complete({
      caller: caller(),
      requestId: 'req_404',
      requestBytes: REQUEST_BYTES,
      body: body('nope', true),
    });
    await expect(missing).rejects.toSatisfy((e: unknown) => SafeRouterError.isInstance(e) && e.statusCode === 404);
    expect(books.activity).toEqual([]);
  });
});
