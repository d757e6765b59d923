/**
 * The wire format both backends produce: `AttestationBundle`, validated with valibot. Version 1
 * binds the nonce, keys and measurement; version 2 adds `tlsSpkiSha256`, the hash of the key the
 * gateway's TLS certificate carries (see binding.ts). Hex is lowercase, the report is standard
 * base64 of the raw 1184 bytes, and `certChain` is PEM certificates, leaf first (VCEK/VLEK then
 * optionally ASK/ASVK and ARK; for the mock: leaf, intermediate, root).
 */
import * as v from 'valibot';
import { canonicalJson } from '../canonical-json.js';
import { AttestationError } from '../errors.js';

const hex = (chars: number, what: string) =>
  v.pipe(
    v.string(),
    v.regex(/^[0-9a-f]*$/, `${what} must be lowercase hex`),
    v.length(chars, `${what} must be ${chars} hex characters`),
  );

const PEM_CERT = /^-----BEGIN CERTIFICATE-----\r?\n(?:[A-Za-z0-9+/=]+\r?\n)+-----END CERTIFICATE-----\r?\n?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The members both versions share. */
const common = {
  backend: v.picklist(['mock', 'sev-snp']),
  hardware: v.boolean(),
  measurement: hex(64, 'measurement'),
  signingKey: hex(64, 'signingKey'),
  sealingKey: hex(64, 'sealingKey'),
  nonce: hex(64, 'nonce'),
  reportData: hex(128, 'reportData'),
  report: v.pipe(v.string(), v.regex(BASE64, 'report must be padded standard base64'), v.maxLength(4096)),
  certChain: v.pipe(
    v.array(
      v.pipe(v.string(), v.regex(PEM_CERT, 'certChain entries must each be one PEM certificate'), v.maxLength(16384)),
    ),
    v.minLength(1, 'certChain needs at least the leaf certificate'),
    v.maxLength(8),
  ),
  timestamp: v.pipe(v.string(), v.isoTimestamp('timestamp must be an ISO 8601 timestamp')),
};

/** Version 1: report_data binds the nonce, both keys and the measurement. */
const AttestationBundleV1Schema = v.object({ version: v.literal(1), ...common });

/** Version 2: report_data also binds `tlsSpkiSha256`, SHA-256 of the TLS certificate's SubjectPublicKeyInfo. */
const AttestationBundleV2Schema = v.object({
  version: v.literal(2),
  ...common,
  tlsSpkiSha256: hex(64, 'tlsSpkiSha256'),
});

/** The valibot schema for `AttestationBundle`, either version (unknown extra members are dropped). */
export const AttestationBundleSchema = v.variant(
  'version',
  [AttestationBundleV1Schema, AttestationBundleV2Schema],
  'version must be 1 or 2',
);

export type AttestationBundle = v.InferOutput<typeof AttestationBundleSchema>;

export type BundleParseResult = { ok: true; bundle: AttestationBundle } | { ok: false; issues: string[] };

/**
 * Validates unknown input as a bundle without throwing.
 *
 * @example
 * const r = safeParseBundle(await res.json());
 * if (!r.ok) console.error(r.issues);
 */
export function safeParseBundle(input: unknown): BundleParseResult {
  const result = v.safeParse(AttestationBundleSchema, input);
  if (result.success) return { ok: true, bundle: result.output };
  return { ok: false, issues: result.issues.map((i) => `${v.getDotPath(i) ?? '(bundle)'}: ${i.message}`) };
}

/**
 * Validates unknown input as a bundle.
 *
 * @example
 * const bundle = parseBundle(JSON.parse(text));
 * @throws {AttestationError} with check 'schema' listing the issues.
 */
export function parseBundle(input: unknown): AttestationBundle {
  const result = safeParseBundle(input);
  if (!result.ok) throw new AttestationError('schema', result.issues.join('; '));
  return result.bundle;
}

/**
 * The bundle as JSON text, in RFC 8785 canonical form (so equal bundles are equal bytes).
 *
 * @example
 * return new Response(bundleToJson(bundle), { headers: { 'content-type': 'application/json' } });
 * @throws {AttestationError} with check 'schema' when `bundle` is not a valid bundle.
 */
export function bundleToJson(bundle: AttestationBundle): string {
  return canonicalJson(parseBundle(bundle));
}

/**
 * Parses bundle JSON text.
 *
 * @example
 * const bundle = bundleFromJson(await res.text());
 * @throws {AttestationError} with check 'schema' when the text is not JSON or not a bundle.
 */
export function bundleFromJson(text: string): AttestationBundle {
  if (typeof text !== 'string') throw new TypeError('text must be a string');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new AttestationError('schema', 'bundle is not valid JSON');
  }
  return parseBundle(data);
}
