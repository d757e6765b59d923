/**
 * Chain helpers both backends share: the validity-period check and certificate fingerprints for
 * details. Kept apart from the AMD and mock chain rules, which differ only in algorithms and
 * names.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../bytes.js';
import type { Check } from '../checks.js';
import type { Certificate } from '../x509/certificate.js';
import { parseCertificate } from '../x509/certificate.js';

/** Short SHA-256 fingerprint for messages. */
export function fingerprint(cert: Certificate): string {
  return `sha256:${toHex(sha256(cert.der)).slice(0, 16)}…`;
}

/** Parses, returning undefined instead of throwing. */
export function tryParseCertificate(der: Uint8Array): Certificate | undefined {
  try {
    return parseCertificate(der);
  } catch {
    return undefined;
  }
}

/** 'chain.validity': every certificate's period includes `now`. */
export function checkValidity(certs: readonly { role: string; cert: Certificate }[], now: Date, label = ''): Check {
  const at = now.toISOString();
  for (const { role, cert } of certs) {
    if (now < cert.notBefore) {
      return {
        id: 'chain.validity',
        ok: false,
        detail: `${label}${role} '${cert.subject.commonName ?? '?'}' is not valid before ${cert.notBefore.toISOString()} (checked at ${at})`,
      };
    }
    if (now > cert.notAfter) {
      return {
        id: 'chain.validity',
        ok: false,
        detail: `${label}${role} '${cert.subject.commonName ?? '?'}' expired at ${cert.notAfter.toISOString()} (checked at ${at}; pass an earlier 'now' / --at only to re-check old evidence)`,
      };
    }
  }
  const until = certs.map((c) => c.cert.notAfter.getTime()).reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
  return {
    id: 'chain.validity',
    ok: true,
    detail: `${label}all ${certs.length} certificates are within their validity period at ${at} (earliest expiry ${new Date(until).toISOString()}). Revocation (AMD's CRL) is not checked.`,
  };
}
