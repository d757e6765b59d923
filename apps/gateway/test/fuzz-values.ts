/**
 * The fuzz test's building blocks: bad values and the ways clients break a request. Fields
 * dropped, duplicated or of the wrong type, numbers past 2^53 or past a double's range, strings
 * with NUL, lone surrogates or 70 000 characters, nesting 100 000 deep, bodies that are not JSON
 * or not UTF-8, path ids past 64 characters, query strings with empty, repeated or absurd values,
 * and the wrong key or none. fuzz-routes.ts puts them together per route.
 *
 * Bodies are built as a JSON tree that may hold raw tokens (`1e400`, `-0`, `NaN`), which
 * `JSON.stringify` cannot write, then encoded as text, possibly damaged on the way.
 */
import fc from 'fast-check';
import { MODEL_IDS, PLACEHOLDER, VICTIM_COUNT, type Auth } from './fuzz-harness.js';

/** A token written into the body as is: a number JSON.stringify cannot write, or broken JSON. */
export class Raw {
  constructor(readonly text: string) {}
}
/** An object as its entries, so keys may repeat and `__proto__` stays an ordinary key. */
export class Obj {
  constructor(readonly entries: readonly (readonly [string, Json])[]) {}
}
export type Json = null | boolean | number | string | Raw | Obj | readonly Json[];

export function obj(fields: Record<string, Json | undefined>): Obj {
  return new Obj(Object.entries(fields).filter((e): e is [string, Json] => e[1] !== undefined));
}

export function serialize(value: Json): string {
  if (value instanceof Raw) return value.text;
  if (value instanceof Obj)
    return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${serialize(v)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(serialize).join(',')}]`;
  return JSON.stringify(value) ?? 'null';
}

// ---------------------------------------------------------------------------------------------
// Values

const LONG = (n: number, unit: string): string => unit.repeat(n);
const OVER_CHAT_LIMIT = 'x'.repeat(4 * 1024 * 1024 + 1);

const specialNumber: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(
    2 ** 53,
    2 ** 53 + 2,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    1e308,
    -1e308,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    2 ** 31,
    2 ** 32,
    2 ** 63,
    1e21,
  ),
  fc.constantFrom(-1, 0, 1, 1.5, 0.1, 64, 65, 100, 101, 4096, 4097, 10_001, 1_000_001),
  fc
    .constantFrom(
      '9007199254740993',
      '-0',
      '1e400',
      '-1e400',
      '1e-400',
      '123456789012345678901234567890',
      '1E2',
      '0.0',
      '-0.0',
      '4.0',
    )
    .map((t) => new Raw(t)),
);

/** Tokens that make the body invalid JSON. */
const invalidToken = fc
  .constantFrom(
    'NaN',
    'Infinity',
    '-Infinity',
    'undefined',
    "'x'",
    '01',
    '+1',
    '.5',
    '0x10',
    'True',
    '"unterminated',
    '{',
    ']',
  )
  .map((t) => new Raw(t));

export const specialString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'NaN',
    'Infinity',
    '-0',
    '1e308',
    '9007199254740993',
    '0',
    '-1',
    'null',
    'true',
    '[]',
    '{}',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '\udfff',
    '\ufeff',
    '\u202e',
    '🦀',
    'é',
    'ключ',
    '../../etc/passwd',
    '%00',
    '%zz',
    "'; DROP TABLE keys; --",
    '__proto__',
    'constructor',
    'sk-sr-',
    'user',
    'assistant',
    'system',
    'tool',
    '2026-01-01T00:00:00Z',
    ...MODEL_IDS,
    PLACEHOLDER.userId,
    PLACEHOLDER.victim(0),
  ),
  fc
    .tuple(fc.constantFrom(64, 65, 100, 101, 4097, 70_000), fc.constantFrom('x', 'é', '🦀', '\u0000'))
    .map(([n, unit]) => LONG(n, unit)),
);

export const randomString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
);

const scalar: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  specialNumber,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  specialString,
  randomString,
);

const key: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', '', 'x'.repeat(1000), '\u0000'),
  randomString,
);

/** Anything JSON can carry, nested a little, plus raw tokens and nesting 1 000 or 100 000 deep. */
export const junk: fc.Arbitrary<Json> = fc.oneof(
  { arbitrary: scalar, weight: 8 },
  {
    arbitrary: fc.letrec<{ node: Json }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        scalar,
        fc.array(tie('node'), { maxLength: 4 }),
        fc.array(fc.tuple(key, tie('node')), { maxLength: 4 }).map((e) => new Obj(e)),
      ),
    })).node,
    weight: 4,
  },
  {
    arbitrary: fc.constantFrom(1_000, 5_000, 100_000).map((d) => new Raw(`${'['.repeat(d)}${']'.repeat(d)}`)),
    weight: 1,
  },
  {
    arbitrary: fc.constantFrom(1_000, 5_000, 100_000).map((d) => new Raw(`${'{"a":'.repeat(d)}1${'}'.repeat(d)}`)),
    weight: 1,
  },
  { arbitrary: invalidToken, weight: 1 },
);

// ---------------------------------------------------------------------------------------------
// Mutations of a valid body

export type Path = readonly (string | number)[];
type Mutation =
  | { op: 'drop'; key: string }
  | { op: 'set'; path: Path; value: Json }
  | { op: 'dup'; key: string; value: Json }
  | { op: 'root'; value: Json }
  | { op: 'wrap' };

function setAt(tree: Json, path: Path, value: Json): Json {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (tree instanceof Obj && typeof head === 'string') {
    const i = tree.entries.findIndex(([k]) => k === head);
    if (i < 0) return rest.length === 0 ? new Obj([...tree.entries, [head, value]]) : tree;
    return new Obj(tree.entries.map((e, j) => (j === i ? ([e[0], setAt(e[1], rest, value)] as const) : e)));
  }
  if (Array.isArray(tree) && typeof head === 'number') {
    const list = tree as readonly Json[];
    if (head < list.length) return list.map((v, j) => (j === head ? setAt(v, rest, value) : v));
    return head === list.length && rest.length === 0 ? [...list, value] : tree;
  }
  return tree;
}

function apply(tree: Json, m: Mutation): Json {
  switch (m.op) {
    case 'drop':
      return tree instanceof Obj ? new Obj(tree.entries.filter(([k]) => k !== m.key)) : tree;
    case 'set':
      return setAt(tree, m.path, m.value);
    case 'dup':
      return tree instanceof Obj ? new Obj([...tree.entries, [m.key, m.value]]) : tree;
    case 'root':
      return m.value;
    case 'wrap':
      return [tree];
  }
}

/**
 * A valid body and zero to three mutations of it: fields from `fields` (or any key) dropped,
 * set to junk, duplicated; nested `paths` set to junk; rarely the whole body replaced.
 */
export function mutated(
  valid: fc.Arbitrary<Json>,
  fields: readonly string[],
  paths: readonly Path[] = [],
): fc.Arbitrary<Json> {
  const field = fc.oneof({ arbitrary: fc.constantFrom(...fields), weight: 4 }, { arbitrary: key, weight: 1 });
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    { arbitrary: field.map((k): Mutation => ({ op: 'drop', key: k })), weight: 3 },
    { arbitrary: fc.tuple(field, junk).map(([k, value]): Mutation => ({ op: 'set', path: [k], value })), weight: 6 },
    ...(paths.length === 0
      ? []
      : [
          {
            arbitrary: fc
              .tuple(fc.constantFrom(...paths), junk)
              .map(([path, value]): Mutation => ({ op: 'set', path, value })),
            weight: 4,
          },
        ]),
    { arbitrary: fc.tuple(field, junk).map(([k, value]): Mutation => ({ op: 'dup', key: k, value })), weight: 1 },
    { arbitrary: junk.map((value): Mutation => ({ op: 'root', value })), weight: 1 },
    { arbitrary: fc.constant<Mutation>({ op: 'wrap' }), weight: 1 },
  );
  // A third unmutated, so odd-but-valid values (a NUL in a name, 2^53 where a number is allowed)
  // reach the handler's success path and the layers below it.
  const mutations = fc.oneof(
    { arbitrary: fc.constant<Mutation[]>([]), weight: 1 },
    { arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }), weight: 2 },
  );
  return fc.tuple(valid, mutations).map(([tree, ms]) => ms.reduce(apply, tree));
}

/** The bytes on the wire: mostly the tree's JSON, sometimes damaged, replaced or absent. */
export function encoded(tree: fc.Arbitrary<Json>, bigBody = false): fc.Arbitrary<string | Uint8Array | undefined> {
  return tree.chain((t) => {
    const text = serialize(t);
    return fc.oneof(
      { arbitrary: fc.constant(text), weight: 20 },
      {
        arbitrary: fc.constantFrom(
          `\ufeff${text}`,
          `\ufeff\ufeff${text}`,
          `\u0000${text}`,
          `${text}\u0000`,
          `${text} x`,
          `${text}}`,
          ` \n${text}\n `,
        ),
        weight: 2,
      },
      { arbitrary: fc.nat(text.length).map((k) => text.slice(0, k)), weight: 1 },
      {
        arbitrary: fc.tuple(fc.nat(text.length), fc.constantFrom(0xff, 0xc3, 0x80, 0xed, 0x00)).map(([at, byte]) => {
          const bytes = Buffer.from(text, 'utf8');
          return new Uint8Array(Buffer.concat([bytes.subarray(0, at), Buffer.from([byte]), bytes.subarray(at)]));
        }),
        weight: 1,
      },
      { arbitrary: fc.uint8Array({ maxLength: 64 }), weight: 1 },
      { arbitrary: randomString, weight: 1 },
      {
        arbitrary: fc.constantFrom<string | undefined>('', '   \n', '\ufeff', 'null', '[]', '""', '0', undefined),
        weight: 2,
      },
      ...(bigBody
        ? [
            {
              arbitrary: fc.constant(
                `{"model":"saferouter/demo","messages":[{"role":"user","content":"${OVER_CHAT_LIMIT}"}]}`,
              ),
              weight: 1,
            },
          ]
        : []),
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Headers, auth, paths and query strings

export const contentHeaders: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { arbitrary: fc.constant({ 'content-type': 'application/json' }), weight: 16 },
  {
    arbitrary: fc.constantFrom<Record<string, string>>(
      {},
      { 'content-type': 'text/plain' },
      { 'content-type': '' },
      { 'content-type': 'application/json; charset=utf-16' },
      { 'content-type': 'application/x-www-form-urlencoded' },
      { 'content-type': 'multipart/form-data; boundary=x' },
      { 'content-type': 'application/json', 'content-length': '0' },
      { 'content-type': 'application/json', 'content-length': '-1' },
      { 'content-type': 'application/json', 'content-length': 'abc' },
      { 'content-type': 'application/json', 'content-length': '1e3' },
      { 'content-type': 'application/json', 'content-length': '99999999999999999999' },
      { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    ),
    weight: 4,
  },
);

const rawAuthorization = fc.oneof(
  fc.constantFrom(
    '',
    'Bearer',
    'Bearer ',
    `bearer ${PLACEHOLDER.userSecret}`,
    `BEARER    ${PLACEHOLDER.userSecret}   `,
    `Bearer ${PLACEHOLDER.userSecret}x`,
    `Bearer ${PLACEHOLDER.adminKey} extra`,
    `Bearer ${PLACEHOLDER.adminKey.slice(0, -1)}`,
    `Token ${PLACEHOLDER.userSecret}`,
    PLACEHOLDER.userSecret,
    'Basic dXNlcjpwYXNz',
    'Bearer sk-sr-nope',
    `Bearer sk-sr-${'a'.repeat(43)}`,
    `Bearer ${'x'.repeat(10_000)}`,
    'Bearer \u00e9\u00ff',
  ),
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
);

/** Mostly the key the route needs (so the handler runs), sometimes another, none or garbage. */
export function authFor(needs: 'user' | 'admin' | 'any' | 'none'): fc.Arbitrary<Auth> {
  const proper: fc.Arbitrary<Auth> =
    needs === 'admin'
      ? fc.constant({ kind: 'admin' })
      : needs === 'user'
        ? fc.constant({ kind: 'user' })
        : needs === 'none'
          ? fc.constant({ kind: 'none' })
          : fc.constantFrom<Auth>({ kind: 'user' }, { kind: 'admin' });
  return fc.oneof(
    { arbitrary: proper, weight: 14 },
    { arbitrary: fc.constantFrom<Auth>({ kind: 'none' }, { kind: 'user' }, { kind: 'admin' }), weight: 3 },
    { arbitrary: rawAuthorization.map((header): Auth => ({ kind: 'raw', header })), weight: 2 },
  );
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const PLACEHOLDER_RE = /(\{\{[a-z0-9-]+\}\})/;

/** Percent-encodes all but placeholders (which `send()` replaces); lone surrogates become U+FFFD. */
function encodeComponent(text: string): string {
  return text
    .split(PLACEHOLDER_RE)
    .map((part, i) => (i % 2 === 1 ? part : encodeURIComponent(part.replace(LONE_SURROGATE, '\ufffd'))))
    .join('');
}

/** A path segment: percent-encoded (usually) or raw, left to the URL parser. */
export function segment(text: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(text, fc.nat(4)).map(([t, raw]) => (raw === 0 ? t : encodeComponent(t)));
}

/** Keeps the fixture's user key out of paths, so no DELETE revokes the key most cases use. */
export const notUserId = (s: string): boolean => !s.includes(PLACEHOLDER.userId);

const victim = fc.nat(VICTIM_COUNT - 1).map((n) => PLACEHOLDER.victim(n));

/** An id for `/v1/keys/{id}`: real (a victim's), well-formed but unknown, or broken. Never the fixture's user key. */
export const keyId: fc.Arbitrary<string> = segment(
  fc.oneof(
    { arbitrary: victim, weight: 8 },
    { arbitrary: fc.stringMatching(/^key_[0-9a-f]{16}$/), weight: 2 },
    {
      arbitrary: fc.oneof(
        fc.constantFrom(
          'k'.repeat(64),
          'k'.repeat(65),
          'x'.repeat(10_000),
          'key_\u0000',
          '\u0000',
          '%00',
          'key_%00',
          '..',
          '.',
          '%2e%2e',
          'a/b',
          '%',
          '%zz',
          '🦀',
          '\ud800',
          ' ',
          'admin',
          '__proto__',
        ),
        victim.map((v) => `${v}\u0000`),
        victim.map((v) => `${v}${'x'.repeat(60)}`),
        victim.map((v) => `${v}/extra`),
        victim.map((v) => `${v}?x=1`),
        victim.map((v) => `${v}#frag`),
        victim.map((v) => v.toUpperCase()),
      ),
      weight: 4,
    },
    { arbitrary: specialString.filter(notUserId), weight: 1 },
    { arbitrary: randomString, weight: 2 },
  ),
);

export const queryValue: fc.Arbitrary<string> = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      '',
      '0',
      '1',
      '-1',
      '-0',
      '1.5',
      '20',
      '100',
      '101',
      '500',
      '501',
      '9007199254740993',
      '999999999999999',
      '9999999999999999',
      '99999999999999999999',
      '1e308',
      '1e3',
      'NaN',
      'Infinity',
      '0x10',
      ' 1',
      '+1',
      '１',
      '24h',
      '15m',
      '7d',
      '1m',
      '5m',
      '1h',
      '6h',
      '1d',
      '1s',
      '0h',
      '0m',
      '366d',
      '367d',
      '9999d',
      '1w',
      '24H',
      'success',
      'error',
      'SUCCESS',
      'json',
      'text',
      '2026-01-01',
      '2023-11-14T22:13:20.000Z',
      '1970-01-01T00:00:00Z',
      '+275760-09-13T00:00:00.000Z',
      '+275760-09-13T00:00:00.001Z',
      '-271821-04-20T00:00:00.000Z',
      '2026-13-45T99:99:99Z',
      'Tue, 14 Nov 2023 22:13:20 GMT',
      'yesterday',
      PLACEHOLDER.userId,
      PLACEHOLDER.victim(0),
      'key_0000000000000000',
      'admin',
      '\u0000',
      '%00',
      '%',
      '..',
      'saferouter/demo',
      'fake/priced',
      'req_00000000000000000000000000000000',
    ),
    weight: 10,
  },
  { arbitrary: fc.integer({ min: -1_000_000, max: 2 ** 53 + 10 }).map(String), weight: 2 },
  {
    arbitrary: fc
      .tuple(fc.oneof(fc.integer().map(String), randomString), randomString)
      .map(([ts, id]) => Buffer.from(`${ts}:${id}`).toString('base64url')),
    weight: 2,
  },
  { arbitrary: randomString, weight: 3 },
  { arbitrary: fc.constantFrom(65, 1000, 10_000).map((n) => 'x'.repeat(n)), weight: 1 },
);

/** `?a=1&a=&b`: known names mostly, repeated, empty, valueless, raw or encoded; often none at all. */
export function query(names: readonly string[]): fc.Arbitrary<string> {
  const name =
    names.length === 0
      ? randomString
      : fc.oneof({ arbitrary: fc.constantFrom(...names), weight: 6 }, { arbitrary: randomString, weight: 1 });
  const pair = fc.tuple(name, fc.option(queryValue, { freq: 8 }), fc.nat(5)).map(([k, v, raw]) => {
    const enc = raw === 0 ? (s: string) => s : encodeComponent;
    return v === null ? enc(k) : `${enc(k)}=${enc(v)}`;
  });
  return fc.oneof(
    { arbitrary: fc.constant(''), weight: 1 },
    { arbitrary: fc.array(pair, { minLength: 1, maxLength: 5 }).map((ps) => `?${ps.join('&')}`), weight: 4 },
    { arbitrary: fc.constantFrom('?', '?&&', '?=', '?&=&', '#frag'), weight: 1 },
  );
}
