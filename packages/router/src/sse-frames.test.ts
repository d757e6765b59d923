// The SSE framer: every split of every line-ending style, checked against eventsource-parser (an
// independent EventSource implementation) as the reference for where events end and what they hold.
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { eventData, nextKey, parseEvent, SseFramer } from './sse-frames.js';

const enc = new TextEncoder();

/** The events of `text` as eventsource-parser sees them (data, event, id). */
function reference(text: string): { data: string; event: string | undefined; id: string | undefined }[] {
  const out: { data: string; event: string | undefined; id: string | undefined }[] = [];
  const parser = createParser({
    onEvent: (e: EventSourceMessage) => out.push({ data: e.data, event: e.event, id: e.id }),
  });
  parser.feed(text);
  return out;
}

/** Feeds `bytes` cut at `cuts`; returns the complete events (as byte ranges, decoded) and the leftover. */
function frame(
  bytes: Uint8Array,
  cuts: number[],
): { events: string[]; parsed: ReturnType<typeof parseEvent>[]; emitted: string; pending: number } {
  const framer = new SseFramer();
  const events: string[] = [];
  const parsed: ReturnType<typeof parseEvent>[] = [];
  let emitted = '';
  let from = 0;
  for (const at of [...cuts, bytes.byteLength]) {
    const { window, ends } = framer.push(bytes.subarray(from, at));
    from = at;
    let s = 0;
    if (ends.length > 0) emitted += window.toString('utf8', 0, ends[ends.length - 1]);
    for (const e of ends) {
      events.push(window.toString('utf8', s, e));
      parsed.push(parseEvent(window, s, e));
      s = e;
    }
  }
  return { events, parsed, emitted, pending: framer.pendingBytes };
}

const dataEvents = (parsed: ReturnType<typeof parseEvent>[]) =>
  parsed.filter((p) => p.data !== '' || p.event !== undefined);

function stream(eol: string, space = ' '): string {
  return [
    `:${space}keep-alive${eol}${eol}`,
    `data:${space}{"choices":[{"delta":{"content":"Grüße 東京 🌸"},"finish_reason":null}]}${eol}${eol}`,
    `event:${space}note${eol}id:${space}7${eol}data:${space}line one${eol}data:${space}line two${eol}${eol}`,
    `data:${space}{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":5}}${eol}${eol}`,
    `data:${space}[DONE]${eol}${eol}`,
  ].join('');
}

describe('SseFramer', () => {
  for (const [name, eol] of [
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ] as const) {
    for (const space of [' ', '']) {
      it(`frames ${name} events${space === '' ? ' without the space after the colon' : ''} like an EventSource, split at every byte`, () => {
        const text = stream(eol, space);
        const bytes = enc.encode(text);
        // A streaming parser cannot dispatch on a final lone CR (an LF may follow); end it for it.
        const expected = reference(eol === '\r' ? `${text}\n` : text);
        expect(expected.at(-1)?.data).toBe('[DONE]');
        for (let cut = 0; cut <= bytes.byteLength; cut++) {
          const { parsed, emitted, pending } = frame(bytes, [cut]);
          const got = dataEvents(parsed).map((p) => ({ data: p.data, event: p.event }));
          expect(got, `cut at ${cut}`).toEqual(expected.map((e) => ({ data: e.data, event: e.event })));
          // Every byte comes out exactly once, in order, and nothing is left over.
          expect(emitted, `cut at ${cut}`).toBe(text);
          expect(pending).toBe(0);
        }
      });
    }
  }

  it('frames a stream fed one byte at a time, and two cuts at every pair of offsets around [DONE]', () => {
    const text = stream('\r\n');
    const bytes = enc.encode(text);
    const ones = frame(
      bytes,
      Array.from({ length: bytes.byteLength - 1 }, (_, i) => i + 1),
    );
    expect(ones.emitted).toBe(text);
    expect(dataEvents(ones.parsed).at(-1)?.data).toBe('[DONE]');
    const done = text.lastIndexOf('data: [DONE]');
    for (let a = done - 2; a < bytes.byteLength; a++) {
      for (let b = a; b <= bytes.byteLength; b++) {
        const { parsed, emitted } = frame(bytes, [a, b]);
        expect(emitted).toBe(text);
        expect(dataEvents(parsed).at(-1)?.data).toBe('[DONE]');
      }
    }
  });

  it('holds an unfinished event back, and hands it out whole once it ends', () => {
    const framer = new SseFramer();
    const first = framer.push(enc.encode('data: {"a":1}\n\ndata: {"b"'));
    expect(first.window.toString('utf8', 0, first.ends.at(-1))).toBe('data: {"a":1}\n\n');
    expect(framer.pendingBytes).toBe('data: {"b"'.length);
    const second = framer.push(enc.encode(':2}\n'));
    expect(second.ends).toEqual([]);
    const third = framer.push(enc.encode('\n'));
    expect(third.window.toString('utf8', 0, third.ends.at(-1))).toBe('data: {"b":2}\n\n');
    expect(framer.pendingBytes).toBe(0);
  });

  it('treats a CRLF split across reads as one line end, not an empty line', () => {
    const framer = new SseFramer();
    // "data: a\r" + "\n" + "data: b\r\n\r\n": one event with two data lines, not two events.
    expect(framer.push(enc.encode('data: a\r')).ends).toEqual([]);
    expect(framer.push(enc.encode('\n')).ends).toEqual([]);
    const { window, ends } = framer.push(enc.encode('data: b\r\n\r\n'));
    expect(ends).toHaveLength(1);
    expect(parseEvent(window, 0, ends[0]!).data).toBe('a\nb');
  });

  it('ends an event on a trailing CR at once, and gives the LF that follows to nobody', () => {
    const framer = new SseFramer();
    const a = framer.push(enc.encode('data: x\r\n\r'));
    expect(a.ends).toEqual([10]);
    const b = framer.push(enc.encode('\ndata: y\r\n\r\n'));
    expect(b.ends).toEqual([1, b.window.byteLength]);
    expect(parseEvent(b.window, 0, 1)).toEqual({ event: undefined, data: '', id: undefined });
    expect(parseEvent(b.window, 1, b.ends[1]!).data).toBe('y');
  });

  it('returns the very chunk when it holds whole events (no copy on the common path)', () => {
    const chunk = Buffer.from('data: {}\n\ndata: {}\n\n');
    expect(new SseFramer().push(chunk).window).toBe(chunk);
  });

  it('scans a large event split over many reads in linear time, and refuses one past the limit', () => {
    const big = `data: ${'x'.repeat(1_000_000)}\n\n`;
    const bytes = enc.encode(big);
    const cuts = Array.from({ length: 999 }, (_, i) => (i + 1) * 1000);
    const { parsed } = frame(bytes, cuts);
    expect(parsed).toHaveLength(1);
    expect(parsed[0]!.data).toHaveLength(1_000_000);

    const small = new SseFramer({ maxEventBytes: 64 });
    expect(() => small.push(enc.encode(`data: ${'y'.repeat(100)}`))).toThrow(RangeError);
    expect(() => new SseFramer({ maxEventBytes: 0 })).toThrow(RangeError);
  });
});

describe('parseEvent', () => {
  it('reads fields the EventSource way', () => {
    const b = Buffer.from(': c\nevent:x\nid: 1\ndata:  two spaces\ndata\nretry: 5\n\n');
    expect(parseEvent(b, 0, b.byteLength)).toEqual({ event: 'x', id: '1', data: ' two spaces\n' });
    const done = Buffer.from('data:[DONE]\r\r');
    expect(parseEvent(done, 0, done.byteLength).data).toBe('[DONE]');
    const spaced = Buffer.from('data:  [DONE]\n\n');
    expect(parseEvent(spaced, 0, spaced.byteLength).data).toBe(' [DONE]');
  });
});

describe('nextKey', () => {
  it('finds a key followed by the wanted byte, ignoring look-alikes and text inside strings', () => {
    const b = Buffer.from('{"usage":null,"x":"\\"usage\\":{","usage" : {"a":1}}');
    const at = b.indexOf('usage" :');
    expect(nextKey(b, 'usage"', 0, b.byteLength, 123)).toBe(at);
    expect(nextKey(b, 'usage"', at + 1, b.byteLength, 123)).toBe(-1);
    expect(nextKey(b, 'usage"', 0, 5, 123)).toBe(-1);
    expect(nextKey(b, 'usage"', 0, b.byteLength)).toBe(2);
  });
});

describe('eventData', () => {
  it('reads a one-line event directly and agrees with parseEvent on every other shape', () => {
    for (const text of [
      'data: {"a":1}\n\n',
      'data:{"a":1}\r\n\r\n',
      'data: {"a":1}\r\r',
      'data: a\rdata: b\n\n',
      'data: a\ndata: b\n\n',
      ': c\ndata: x\n\n',
      'event: e\ndata: x\n\n',
      'data:  two\n\n',
      'data\n\n',
      'datum: x\n\n',
      'data: 東京 🌸\n\n',
    ]) {
      const b = Buffer.from(text);
      expect(eventData(b, 0, b.byteLength), JSON.stringify(text)).toBe(parseEvent(b, 0, b.byteLength).data);
    }
  });
});
