/**
 * AMD EPYC product lines that SEV-SNP reports come from. The product picks the pinned roots and
 * the TCB byte layout (Turin added an FMC byte), so it is established before either is used.
 */

export const PRODUCTS = ['Milan', 'Genoa', 'Turin'] as const;
export type Product = (typeof PRODUCTS)[number];

/** Which AMD key signed a report: VCEK (per chip, per TCB) or VLEK (per cloud provider). */
export type SigningKeyKind = 'vcek' | 'vlek';

/**
 * The product for a report's CPUID family/model (report version 3 and later), or undefined when
 * the pair is not a known SEV-SNP part. Family 19h models 00h–0Fh are Milan, 10h–1Fh and
 * A0h–AFh Genoa (incl. Bergamo/Siena, which share Genoa's keys); family 1Ah is Turin.
 *
 * @example
 * productFromCpuid(0x19, 0x01); // 'Milan'
 */
export function productFromCpuid(family: number, model: number): Product | undefined {
  if (family === 0x19) {
    if (model <= 0x0f) return 'Milan';
    if ((model >= 0x10 && model <= 0x1f) || (model >= 0xa0 && model <= 0xaf)) return 'Genoa';
    return undefined;
  }
  if (family === 0x1a) return 'Turin';
  return undefined;
}

/**
 * The product and key kind named by an AMD intermediate's common name, which is also the VCEK or
 * VLEK issuer name: `SEV-Milan` (ASK) or `SEV-VLEK-Milan` (ASVK), and so on.
 *
 * @example
 * productFromIssuerName('SEV-VLEK-Milan'); // { product: 'Milan', kind: 'vlek' }
 */
export function productFromIssuerName(
  commonName: string | undefined,
): { product: Product; kind: SigningKeyKind } | undefined {
  const m = /^SEV-(VLEK-)?(Milan|Genoa|Turin)$/.exec(commonName ?? '');
  if (m === null) return undefined;
  return { product: m[2] as Product, kind: m[1] === undefined ? 'vcek' : 'vlek' };
}

/** The ARK common name for a product (`ARK-Milan`, …). */
export function arkName(product: Product): string {
  return `ARK-${product}`;
}
