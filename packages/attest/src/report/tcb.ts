/**
 * TCB_VERSION decoding. The 8-byte value's layout depends on the product: Milan and Genoa put
 * bootloader, TEE, SNP and microcode SPLs in bytes 0, 1, 6, 7; Turin puts FMC, bootloader, TEE,
 * SNP in bytes 0–3 and microcode in byte 7 (SEV-SNP ABI spec, "TCB_VERSION" for family 1Ah).
 */
import type { Product } from '../product.js';

export interface TcbParts {
  bootloader: number;
  tee: number;
  snp: number;
  microcode: number;
  /** Turin and later only. */
  fmc?: number;
}

export const TCB_LENGTH = 8;

/**
 * Decodes a TCB_VERSION for `product` (Milan/Genoa layout when the product is unknown).
 *
 * @example
 * decodeTcb(new Uint8Array([2, 0, 0, 0, 0, 0, 5, 68]), 'Milan'); // { bootloader: 2, tee: 0, snp: 5, microcode: 68 }
 * @throws {RangeError} when `raw` is not 8 bytes.
 */
export function decodeTcb(raw: Uint8Array, product: Product | undefined): TcbParts {
  if (raw.length !== TCB_LENGTH) throw new RangeError(`tcb must be ${TCB_LENGTH} bytes`);
  const b = (i: number): number => raw[i] as number;
  if (product === 'Turin') return { fmc: b(0), bootloader: b(1), tee: b(2), snp: b(3), microcode: b(7) };
  return { bootloader: b(0), tee: b(1), snp: b(6), microcode: b(7) };
}

/**
 * Encodes TCB parts as the 8-byte TCB_VERSION of `product`.
 *
 * @example
 * encodeTcb({ bootloader: 2, tee: 0, snp: 5, microcode: 68 }, 'Milan'); // 02 00 00 00 00 00 05 44
 * @throws {RangeError} when a part is not a byte.
 */
export function encodeTcb(parts: TcbParts, product: Product | undefined): Uint8Array {
  for (const [name, v] of Object.entries(parts)) {
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 255)
      throw new RangeError(`tcb.${name} must be 0–255`);
  }
  const out = new Uint8Array(TCB_LENGTH);
  if (product === 'Turin') {
    out[0] = parts.fmc ?? 0;
    out[1] = parts.bootloader;
    out[2] = parts.tee;
    out[3] = parts.snp;
  } else {
    out[0] = parts.bootloader;
    out[1] = parts.tee;
    out[6] = parts.snp;
  }
  out[7] = parts.microcode;
  return out;
}

/**
 * Human-readable TCB.
 *
 * @example
 * formatTcb({ bootloader: 2, tee: 0, snp: 5, microcode: 68 }); // 'bl=2 tee=0 snp=5 ucode=68'
 */
export function formatTcb(parts: TcbParts): string {
  const fmc = parts.fmc === undefined ? '' : `fmc=${parts.fmc} `;
  return `${fmc}bl=${parts.bootloader} tee=${parts.tee} snp=${parts.snp} ucode=${parts.microcode}`;
}

/** Names of the components of `actual` below `minimum` (empty when every one is at least it). */
export function tcbBelow(actual: TcbParts, minimum: Partial<TcbParts>): string[] {
  const below: string[] = [];
  for (const key of ['fmc', 'bootloader', 'tee', 'snp', 'microcode'] as const) {
    const min = minimum[key];
    if (min !== undefined && (actual[key] ?? 0) < min) below.push(`${key} ${actual[key] ?? 0} < ${min}`);
  }
  return below;
}
