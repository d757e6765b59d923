/**
 * Object identifiers the verifier and the mock CA use that the @peculiar packages do not name
 * (RSA, RSASSA-PSS, MGF1 and SHA-384 come from @peculiar/asn1-rsa, basicConstraints from
 * @peculiar/asn1-x509).
 */
export const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  secp384r1: '1.3.132.0.34',
  ed25519: '1.3.101.112',
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  /** AMD VCEK/VLEK extensions (AMD KDS spec 57230, "VCEK certificate extensions"). */
  amdStructVersion: '1.3.6.1.4.1.3704.1.1',
  amdProductName: '1.3.6.1.4.1.3704.1.2',
  amdBlSpl: '1.3.6.1.4.1.3704.1.3.1',
  amdTeeSpl: '1.3.6.1.4.1.3704.1.3.2',
  amdSnpSpl: '1.3.6.1.4.1.3704.1.3.3',
  amdUcodeSpl: '1.3.6.1.4.1.3704.1.3.8',
  amdFmcSpl: '1.3.6.1.4.1.3704.1.3.9',
  amdHwid: '1.3.6.1.4.1.3704.1.4',
  amdCspId: '1.3.6.1.4.1.3704.1.5',
} as const;
