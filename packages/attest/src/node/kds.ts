/**
 * Fetches a chip's VCEK from AMD's Key Distribution Service when the host did not supply it,
 * and caches it under the data dir (a VCEK depends only on chip and TCB, so it never changes
 * for a given cache key). The fetch function is injected; nothing here reaches the network by
 * itself.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '../bytes.js';
import type { Product } from '../product.js';
import { decodeTcb } from '../report/tcb.js';
import { parseCertificate } from '../x509/certificate.js';
import { attestDir, createExclusive, type Log } from './secure-files.js';

export const KDS_BASE_URL = 'https://kdsintf.amd.com';
const TURIN_HWID_LENGTH = 8;

/** The part of `fetch` this module uses, so tests can pass a small fake. */
export type FetchLike = (
  url: string,
  init?: { signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }>;

/**
 * The KDS URL of the VCEK for a chip at a TCB. Turin uses the first 8 bytes of CHIP_ID and adds
 * `fmcSPL`.
 *
 * @example
 * vcekUrl('Milan', report.chipId, report.reportedTcb);
 * // 'https://kdsintf.amd.com/vcek/v1/Milan/3ac3…?blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68'
 */
export function vcekUrl(product: Product, chipId: Uint8Array, reportedTcb: Uint8Array, base = KDS_BASE_URL): string {
  const tcb = decodeTcb(reportedTcb, product);
  const hwid = toHex(product === 'Turin' ? chipId.subarray(0, TURIN_HWID_LENGTH) : chipId);
  const fmc = product === 'Turin' ? `fmcSPL=${tcb.fmc ?? 0}&` : '';
  return `${base}/vcek/v1/${product}/${hwid}?${fmc}blSPL=${tcb.bootloader}&teeSPL=${tcb.tee}&snpSPL=${tcb.snp}&ucodeSPL=${tcb.microcode}`;
}

export interface VcekRequest {
  product: Product;
  chipId: Uint8Array;
  reportedTcb: Uint8Array;
  dataDir: string;
  fetch: FetchLike | undefined;
  log?: Log | undefined;
}

/**
 * The VCEK (DER) from the cache, or from KDS (then cached).
 *
 * @example
 * const vcek = await getVcek({ product: 'Milan', chipId: r.chipId, reportedTcb: r.reportedTcb, dataDir, fetch });
 * @throws {Error} when it is not cached and no fetch was given, KDS answers an error, or the
 *   answer is not a VCEK certificate.
 */
export async function getVcek(request: VcekRequest): Promise<Uint8Array> {
  const tcbHex = toHex(request.reportedTcb);
  const hwid = toHex(request.product === 'Turin' ? request.chipId.subarray(0, TURIN_HWID_LENGTH) : request.chipId);
  const cachePath = join(attestDir(request.dataDir), 'vcek-cache', `${request.product}-${hwid}-${tcbHex}.der`);
  try {
    return new Uint8Array(await readFile(cachePath));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const url = vcekUrl(request.product, request.chipId, request.reportedTcb);
  if (request.fetch === undefined)
    throw new Error(`the host supplied no VCEK and no fetch function was given to get one from ${url}`);
  const response = await request.fetch(url, { signal: AbortSignal.timeout(15_000) });
  if (!response.ok) throw new Error(`AMD KDS answered ${response.status} for ${url}`);
  const der = new Uint8Array(await response.arrayBuffer());
  let name: string | undefined;
  try {
    name = parseCertificate(der).subject.commonName;
  } catch {
    name = undefined;
  }
  if (name !== 'SEV-VCEK') throw new Error(`AMD KDS answer for ${url} is not a VCEK certificate`);
  await createExclusive(cachePath, der);
  request.log?.('info', `cached VCEK from ${url} at ${cachePath}`);
  return der;
}
