/**
 * Checks only a bundle has: that its claimed backend matches its evidence, that it answers the
 * caller's nonce, that REPORT_DATA binds the nonce, keys (and in version 2 the TLS key) and
 * measurement, and that the measurement is the expected one.
 */
import { bytesEqual, concatBytes, fromBase64, fromHex, toHex } from '../bytes.js';
import { computeReportData } from '../binding.js';
import type { Check } from '../checks.js';
import { MOCK_SIGNATURE_ALGO } from '../mock-format.js';
import { OFFSET, SIGNATURE_ALGO_ECDSA_P384_SHA384 } from '../report/layout.js';
import type { SnpReport } from '../report/parse-report.js';
import type { AttestationBundle } from '../bundle/schema.js';
import { tryParseCertificate } from './chain-checks.js';
import { MOCK_LABEL } from './mock-evidence.js';

/** 'backend': the claimed backend and `hardware` flag agree with what the evidence is. */
export function backendCheck(
  bundle: AttestationBundle,
  leafDer: Uint8Array | undefined,
  requireHardware: boolean,
): Check {
  const report = fromBase64(bundle.report);
  const algo =
    report.length >= OFFSET.signatureAlgo + 4
      ? new DataView(report.buffer, report.byteOffset).getUint32(OFFSET.signatureAlgo, true)
      : undefined;
  const key = leafDer === undefined ? undefined : tryParseCertificate(leafDer)?.publicKey.kind;
  const looksMock = algo === MOCK_SIGNATURE_ALGO || key === 'ed25519';
  const looksAmd = algo === SIGNATURE_ALGO_ECDSA_P384_SHA384 || key === 'ec-p384';
  if (bundle.backend === 'mock') {
    if (bundle.hardware)
      return {
        id: 'backend',
        ok: false,
        detail: 'the bundle claims hardware: true for the mock backend; a mock bundle must never claim hardware',
      };
    if (looksAmd)
      return {
        id: 'backend',
        ok: false,
        detail: 'the bundle says mock but carries AMD-style evidence (SIGNATURE_ALGO 1 or a P-384 leaf)',
      };
    if (requireHardware)
      return {
        id: 'backend',
        ok: false,
        detail: 'this is a MOCK (demo) bundle and requireHardware was set: there is no hardware attestation here',
      };
    return {
      id: 'backend',
      ok: true,
      detail: `${MOCK_LABEL}the bundle declares itself mock (hardware: false) and its evidence is mock evidence. A demo: no hardware protects this server.`,
    };
  }
  if (!bundle.hardware)
    return {
      id: 'backend',
      ok: false,
      detail: "the bundle says backend 'sev-snp' but hardware: false; the two must agree",
    };
  if (looksMock) {
    return {
      id: 'backend',
      ok: false,
      detail:
        "the bundle says backend 'sev-snp' but its evidence is mock evidence (SIGNATURE_ALGO 0x0ed25519 or an Ed25519 leaf): a mock bundle presented as hardware",
    };
  }
  return {
    id: 'backend',
    ok: true,
    detail:
      "the bundle declares 'sev-snp' (hardware: true); the checks below decide whether the evidence bears that out",
  };
}

/** 'nonce': the bundle answers the nonce the caller sent. */
export function nonceCheck(bundle: AttestationBundle, nonce: Uint8Array): Check {
  return bundle.nonce === toHex(nonce)
    ? {
        id: 'nonce',
        ok: true,
        detail:
          'the bundle answers the nonce you sent, so it was made after you asked (if your nonce was fresh and random)',
      }
    : {
        id: 'nonce',
        ok: false,
        detail: 'the bundle answers a different nonce than the one you sent: it may be replayed',
      };
}

/**
 * 'binding': REPORT_DATA is SHA-512 over the domain, the caller's nonce, both keys and the
 * measurement, and for a version-2 bundle the TLS certificate's SPKI hash too.
 */
export function bindingCheck(bundle: AttestationBundle, report: SnpReport, nonce: Uint8Array, mock: boolean): Check {
  const v2 = bundle.version === 2;
  const expected = computeReportData({
    nonce,
    signingKey: fromHex(bundle.signingKey),
    sealingKey: fromHex(bundle.sealingKey),
    measurement: fromHex(bundle.measurement),
    ...(v2 ? { tlsSpkiSha256: fromHex(bundle.tlsSpkiSha256) } : {}),
  });
  if (!bytesEqual(report.reportData, expected)) {
    const layout = v2
      ? 'SHA-512("saferouter-attest-v2" ‖ 0x00 ‖ your nonce ‖ signingKey ‖ sealingKey ‖ measurement ‖ tlsSpkiSha256)'
      : 'SHA-512("saferouter-attest-v1" ‖ 0x00 ‖ your nonce ‖ signingKey ‖ sealingKey ‖ measurement)';
    return {
      id: 'binding',
      ok: false,
      detail: `${mock ? MOCK_LABEL : ''}the report's REPORT_DATA is not ${layout}: the report does not vouch for these keys and this measurement`,
    };
  }
  if (bundle.reportData !== toHex(expected)) {
    return { id: 'binding', ok: false, detail: "the bundle's reportData field differs from the report's REPORT_DATA" };
  }
  const who = mock ? `${MOCK_LABEL}the server's own software` : 'the attested guest';
  const tls = v2 ? `, TLS key (SPKI SHA-256) ${bundle.tlsSpkiSha256.slice(0, 16)}…` : '';
  return {
    id: 'binding',
    ok: true,
    detail: `REPORT_DATA binds your nonce, ed25519 key ${bundle.signingKey.slice(0, 16)}…, X25519 key ${bundle.sealingKey.slice(0, 16)}…${tls} and measurement ${bundle.measurement.slice(0, 16)}…: ${who} vouched for these keys, fresh for your nonce. It does not prove the software holding the keys is honest, only which measurement it claims.`,
  };
}

/** 'measurement': mock reports carry it in MEASUREMENT too; optionally compare with the expected values. */
export function measurementCheck(
  bundle: AttestationBundle,
  report: SnpReport,
  mock: boolean,
  expected: Uint8Array | undefined,
  expectedLaunch: Uint8Array | undefined,
): Check {
  const claimed = fromHex(bundle.measurement);
  if (mock && !bytesEqual(report.measurement, concatBytes(claimed, new Uint8Array(16)))) {
    return {
      id: 'measurement',
      ok: false,
      detail: `${MOCK_LABEL}the report's MEASUREMENT field is not the bundle's measurement followed by 16 zero bytes`,
    };
  }
  if (expected !== undefined && !bytesEqual(claimed, expected)) {
    return {
      id: 'measurement',
      ok: false,
      detail: `the bound measurement ${bundle.measurement} is not the expected ${toHex(expected)}: different code or catalog`,
    };
  }
  if (!mock && expectedLaunch !== undefined && !bytesEqual(report.measurement, expectedLaunch)) {
    return {
      id: 'measurement',
      ok: false,
      detail: `the guest's launch MEASUREMENT ${toHex(report.measurement)} is not the expected ${toHex(expectedLaunch)}: a different VM image`,
    };
  }
  const launch = mock
    ? `${MOCK_LABEL}no launch measurement exists; nothing but the server's word backs it`
    : expectedLaunch === undefined
      ? `the guest's launch MEASUREMENT ${toHex(report.measurement).slice(0, 16)}… was NOT compared (no expectedLaunchMeasurement): without it the hardware does not tell you which VM image made this claim`
      : "the guest's launch MEASUREMENT equals the expected VM image measurement";
  const app =
    expected === undefined
      ? `measurement ${bundle.measurement} NOT compared (no expectedMeasurement given)`
      : 'measurement equals the expected one';
  return { id: 'measurement', ok: true, detail: `${app}; ${launch}` };
}
