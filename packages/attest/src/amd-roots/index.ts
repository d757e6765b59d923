/**
 * The AMD certificates this package trusts by default, per product: the ARK is the trust anchor;
 * ASK and ASVK are the intermediates used when a quote ships only its VCEK or VLEK.
 */
import type { Product } from '../product.js';
import { ARK_GENOA, ASK_GENOA, ASVK_GENOA } from './genoa.js';
import { ARK_MILAN, ASK_MILAN, ASVK_MILAN } from './milan.js';
import { ARK_TURIN, ASK_TURIN, ASVK_TURIN } from './turin.js';

export interface AmdProductRoots {
  /** AMD Root Key certificate (PEM), self-signed. */
  ark: string;
  /** AMD SEV Key certificate (PEM): issues VCEKs. */
  ask: string;
  /** AMD SEV VLEK Key certificate (PEM): issues VLEKs. */
  asvk: string;
}

/**
 * Pinned AMD certificates for Milan, Genoa and Turin.
 *
 * @example
 * AMD_ROOTS.Milan.ark; // '-----BEGIN CERTIFICATE-----\n…'
 */
export const AMD_ROOTS: Readonly<Record<Product, AmdProductRoots>> = Object.freeze({
  Milan: Object.freeze({ ark: ARK_MILAN, ask: ASK_MILAN, asvk: ASVK_MILAN }),
  Genoa: Object.freeze({ ark: ARK_GENOA, ask: ASK_GENOA, asvk: ASVK_GENOA }),
  Turin: Object.freeze({ ark: ARK_TURIN, ask: ASK_TURIN, asvk: ASVK_TURIN }),
});
