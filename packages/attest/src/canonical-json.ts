/**
 * RFC 8785 (JSON Canonicalization Scheme) serialisation, so the routed catalog hashes to the same
 * bytes wherever it is measured. RFC 8785 takes ECMAScript's own number and string serialisation
 * (JSON.stringify) and sorts object members by their UTF-16 code units, which is what
 * `Array.prototype.sort()` does on strings, so the work left is walking the value strictly.
 *
 * Accepted: null, booleans, finite numbers, strings without lone surrogates, arrays and plain
 * objects. Object members whose value is `undefined` are left out, as JSON.stringify does.
 */

const SURROGATE_PAIRS = /[\uD800-\uDBFF][\uDC00-\uDFFF]/g;
const ANY_SURROGATE = /[\uD800-\uDFFF]/;

/**
 * The RFC 8785 canonical JSON text of `value`.
 *
 * @example
 * canonicalJson({ b: [1, 'x'], a: true }); // '{"a":true,"b":[1,"x"]}'
 * @throws {TypeError} for values JSON cannot hold (undefined outside an object, bigint,
 *   functions, symbols, non-plain objects such as Date or Map).
 * @throws {RangeError} for non-finite numbers, strings with lone surrogates (RFC 8785 needs
 *   I-JSON, which forbids them), and cyclic structures.
 */
export function canonicalJson(value: unknown): string {
  return serialise(value, 'value', new Set<object>());
}

function serialise(value: unknown, path: string, stack: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new RangeError(`${path} must be a finite number`);
      return JSON.stringify(value);
    case 'string':
      return serialiseString(value, path);
    case 'object':
      return serialiseContainer(value, path, stack);
    default:
      throw new TypeError(`${path} cannot be represented in JSON (${typeof value})`);
  }
}

function serialiseString(value: string, path: string): string {
  if (ANY_SURROGATE.test(value.replace(SURROGATE_PAIRS, ''))) {
    throw new RangeError(`${path} contains a lone surrogate`);
  }
  return JSON.stringify(value);
}

function serialiseContainer(value: object, path: string, stack: Set<object>): string {
  if (stack.has(value)) throw new RangeError(`${path} is cyclic`);
  stack.add(value);
  try {
    if (Array.isArray(value)) {
      const items = value.map((item: unknown, i) => {
        if (item === undefined) throw new TypeError(`${path}[${i}] is undefined`);
        return serialise(item, `${path}[${i}]`, stack);
      });
      return `[${items.join(',')}]`;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`${path} must be a plain object or array`);
    }
    const record = value as Record<string, unknown>;
    const members: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const member = record[key];
      if (member === undefined) continue;
      members.push(`${serialiseString(key, `${path} key`)}:${serialise(member, `${path}.${key}`, stack)}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    stack.delete(value);
  }
}
