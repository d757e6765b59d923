/**
 * AMD KDS URLs (Milan and Turin forms) and the cached fetch through an injected fetch.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { parseReport } from '../report/parse-report.js';
import { encodeTcb } from '../report/tcb.js';
import { useTempDirs } from '../testing/temp-dir.js';
import { milanVcek } from '../testing/vectors.js';
import { getVcek, vcekUrl, type FetchLike } from './kds.js';

const tempDir = useTempDirs();

describe('AMD KDS', () => {
  it('builds the VCEK URL from CHIP_ID and REPORTED_TCB', () => {
    const r = parseReport(milanVcek().report);
    expect(vcekUrl('Milan', r.chipId, r.reportedTcb)).toBe(
      `https://kdsintf.amd.com/vcek/v1/Milan/${toHex(r.chipId)}?blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68`,
    );
  });

  it('uses 8 hwid bytes and fmcSPL on Turin', () => {
    const chip = new Uint8Array(64);
    chip.set([0x6b, 0xb1, 0x22, 0x9b, 0x76, 0x92, 0xb7, 0x10]);
    const tcb = encodeTcb({ fmc: 1, bootloader: 1, tee: 1, snp: 4, microcode: 82 }, 'Turin');
    expect(vcekUrl('Turin', chip, tcb)).toBe(
      'https://kdsintf.amd.com/vcek/v1/Turin/6bb1229b7692b710?fmcSPL=1&blSPL=1&teeSPL=1&snpSPL=4&ucodeSPL=82',
    );
  });

  it('fetches once through the injected fetch, then serves the cache', async () => {
    const dataDir = await tempDir();
    const { report, cert } = milanVcek();
    const r = parseReport(report);
    const urls: string[] = [];
    const fetch: FetchLike = async (url) => {
      urls.push(url);
      return { ok: true, status: 200, arrayBuffer: async () => cert.slice().buffer };
    };
    const req = { product: 'Milan' as const, chipId: r.chipId, reportedTcb: r.reportedTcb, dataDir, fetch };
    expect(toHex(await getVcek(req))).toBe(toHex(cert));
    expect(toHex(await getVcek(req))).toBe(toHex(cert));
    expect(urls).toHaveLength(1);
  });

  it('fails clearly without fetch, on HTTP errors and on non-VCEK answers', async () => {
    const r = parseReport(milanVcek().report);
    const base = { product: 'Milan' as const, chipId: r.chipId, reportedTcb: r.reportedTcb };
    await expect(getVcek({ ...base, dataDir: await tempDir(), fetch: undefined })).rejects.toThrow(/no fetch function/);
    const notFound: FetchLike = async () => ({ ok: false, status: 404, arrayBuffer: async () => new ArrayBuffer(0) });
    await expect(getVcek({ ...base, dataDir: await tempDir(), fetch: notFound })).rejects.toThrow(/answered 404/);
    const junk: FetchLike = async () => ({ ok: true, status: 200, arrayBuffer: async () => new ArrayBuffer(8) });
    await expect(getVcek({ ...base, dataDir: await tempDir(), fetch: junk })).rejects.toThrow(/not a VCEK/);
  });
});
