/**
 * The SEV-SNP backend against a fake configfs-tsm tree whose outblob holds a real shared
 * report. The evidence verifies (signature, chain, TCB) but the binding cannot, because the
 * canned report was not made for our nonce and keys: exactly what these tests assert.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import type { Verdict } from '../verify/verdict.js';
import { useTempDirs } from '../testing/temp-dir.js';
import { milanVcek, milanVlek, VECTOR_TIME } from '../testing/vectors.js';
import { pemToDerList } from '../x509/pem.js';
import { verifyBundle } from '../verify/verify-bundle.js';
import { createAttestor } from './attestor.js';
import { buildCertTable } from './cert-table.js';
import type { FetchLike } from './kds.js';

const tempDir = useTempDirs();
const MEASUREMENT = new Uint8Array(32).fill(9);
/** The SEV-SNP sealer's derived key: /dev/sev-guest does not exist here (no SEV-SNP guest). */
const derivedKey = (): Uint8Array => new Uint8Array(32).fill(0x5e);
const EVIDENCE_CHECKS = [
  'schema',
  'backend',
  'nonce',
  'report.parse',
  'report.version',
  'product',
  'chain.ark',
  'chain.ask',
  'chain.leaf',
  'chain.validity',
  'report.signature',
  'tcb',
  'chip-id',
  'policy.debug',
  'policy.vmpl',
  'policy.min-tcb',
];

async function fakeTsm(files: {
  outblob: Uint8Array;
  auxblob?: Uint8Array;
  provider?: string;
}): Promise<{ dataDir: string; tsmRoot: string; entry: string }> {
  const base = await tempDir();
  const tsmRoot = join(base, 'tsm', 'report');
  const entry = join(tsmRoot, 'saferouter');
  await mkdir(entry, { recursive: true });
  await writeFile(join(entry, 'provider'), files.provider ?? 'sev_guest\n');
  await writeFile(join(entry, 'outblob'), files.outblob);
  if (files.auxblob !== undefined) await writeFile(join(entry, 'auxblob'), files.auxblob);
  return { dataDir: join(base, 'data'), tsmRoot, entry };
}

function expectOnlyBindingFails(v: Verdict): void {
  for (const id of EVIDENCE_CHECKS)
    expect(
      v.checks.find((c) => c.id === id),
      id,
    ).toMatchObject({ ok: true });
  expect(v.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(['binding']);
  expect(v.ok).toBe(false);
  expect(v.hardware).toBe(false);
}

describe('SEV-SNP backend on a fake configfs-tsm tree', () => {
  it('VCEK from auxblob: evidence verifies, binding fails (canned report, our nonce)', async () => {
    const { report, cert } = milanVcek();
    const fake = await fakeTsm({ outblob: report, auxblob: buildCertTable([{ kind: 'vcek', der: cert }]) });
    const attestor = await createAttestor({
      dataDir: fake.dataDir,
      measurement: MEASUREMENT,
      tsmRoot: fake.tsmRoot,
      derivedKey,
    });
    const nonce = crypto.getRandomValues(new Uint8Array(32));
    const bundle = await attestor.quote(nonce);
    expect(bundle).toMatchObject({ backend: 'sev-snp', hardware: true, nonce: toHex(nonce) });
    expect(toHex(pemToDerList(bundle.certChain[0]!)[0]!)).toBe(toHex(cert));
    expect(bundle.certChain).toHaveLength(3); // VCEK + pinned ASK + ARK (product from the VCEK's issuer)
    // The backend wrote our report_data to inblob.
    expect(toHex(new Uint8Array(await readFile(join(fake.entry, 'inblob'))))).toBe(bundle.reportData);
    const v = await verifyBundle(bundle, { nonce, allowDebug: true, now: VECTOR_TIME });
    expectOnlyBindingFails(v);
    expect(v.checks.find((c) => c.id === 'binding')?.detail).toMatch(/does not vouch for these keys/);
    // The launch MEASUREMENT check is reported too (after binding).
    const withLaunch = await verifyBundle(bundle, {
      nonce,
      allowDebug: true,
      now: VECTOR_TIME,
      expectedLaunchMeasurement: new Uint8Array(48),
    });
    expect(withLaunch.checks.find((c) => c.id === 'measurement')?.ok).toBe(false);
  });

  it('VLEK, ASVK and ARK from auxblob: evidence verifies, binding fails', async () => {
    const { report, cert, chain } = milanVlek();
    const [ask, ark, asvk] = pemToDerList(chain);
    const fake = await fakeTsm({
      outblob: report,
      auxblob: buildCertTable([
        { kind: 'vlek', der: cert },
        { kind: 'ask', der: asvk! },
        { kind: 'ark', der: ark! },
      ]),
    });
    expect(ask).toBeDefined();
    const attestor = await createAttestor({
      dataDir: fake.dataDir,
      measurement: MEASUREMENT,
      tsmRoot: fake.tsmRoot,
      derivedKey,
    });
    const nonce = crypto.getRandomValues(new Uint8Array(32));
    const bundle = await attestor.quote(nonce);
    expect(bundle.certChain).toHaveLength(3);
    expectOnlyBindingFails(await verifyBundle(bundle, { nonce, now: VECTOR_TIME }));
  });

  it('VCEK from AMD KDS through the injected fetch (cached under the data dir)', async () => {
    const { report, cert } = milanVcek();
    const fake = await fakeTsm({ outblob: report });
    const urls: string[] = [];
    const fetch: FetchLike = async (url) => {
      urls.push(url);
      return { ok: true, status: 200, arrayBuffer: async () => cert.slice().buffer };
    };
    const attestor = await createAttestor({
      dataDir: fake.dataDir,
      measurement: MEASUREMENT,
      tsmRoot: fake.tsmRoot,
      derivedKey,
      fetch,
      product: 'Milan',
    });
    const nonce = crypto.getRandomValues(new Uint8Array(32));
    const bundle = await attestor.quote(nonce);
    await attestor.quote(nonce);
    expect(urls).toHaveLength(1);
    expect(urls[0]).toMatch(
      /^https:\/\/kdsintf\.amd\.com\/vcek\/v1\/Milan\/3ac3fe21e13fb099[0-9a-f]{112}\?blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68$/,
    );
    expectOnlyBindingFails(await verifyBundle(bundle, { nonce, allowDebug: true, now: VECTOR_TIME }));
  });

  it('fails clearly when it cannot get a certificate or the provider is not SEV', async () => {
    const { report } = milanVcek();
    const noProduct = await fakeTsm({ outblob: report });
    const a = await createAttestor({
      dataDir: noProduct.dataDir,
      measurement: MEASUREMENT,
      tsmRoot: noProduct.tsmRoot,
      derivedKey,
    });
    await expect(a.quote(new Uint8Array(32))).rejects.toThrow(/cannot tell the AMD product/);
    const noFetch = await fakeTsm({ outblob: report });
    const b = await createAttestor({
      dataDir: noFetch.dataDir,
      measurement: MEASUREMENT,
      tsmRoot: noFetch.tsmRoot,
      derivedKey,
      product: 'Milan',
    });
    await expect(b.quote(new Uint8Array(32))).rejects.toThrow(/no fetch function/);
    const vlekNoCert = await fakeTsm({ outblob: milanVlek().report });
    const c = await createAttestor({
      dataDir: vlekNoCert.dataDir,
      measurement: MEASUREMENT,
      tsmRoot: vlekNoCert.tsmRoot,
      derivedKey,
    });
    await expect(c.quote(new Uint8Array(32))).rejects.toThrow(/VLEK/);
    const tdx = await fakeTsm({ outblob: report, provider: 'tdx_guest\n' });
    const d = await createAttestor({
      dataDir: tdx.dataDir,
      measurement: MEASUREMENT,
      tsmRoot: tdx.tsmRoot,
      derivedKey,
    });
    await expect(d.quote(new Uint8Array(32))).rejects.toThrow(/tdx_guest.*not 'sev_guest'/);
    const short = await fakeTsm({ outblob: report.subarray(0, 100) });
    const e = await createAttestor({
      dataDir: short.dataDir,
      measurement: MEASUREMENT,
      tsmRoot: short.tsmRoot,
      derivedKey,
    });
    await expect(e.quote(new Uint8Array(32))).rejects.toThrow(/unusable report/);
  });

  it('retries when another writer bumps generation, then gives up clearly', async () => {
    const { report, cert } = milanVcek();
    const fake = await fakeTsm({ outblob: report, auxblob: buildCertTable([{ kind: 'vcek', der: cert }]) });
    await writeFile(join(fake.entry, 'generation'), '5\n'); // never advances: looks like a concurrent writer each time
    const a = await createAttestor({
      dataDir: fake.dataDir,
      measurement: MEASUREMENT,
      tsmRoot: fake.tsmRoot,
      derivedKey,
    });
    await expect(a.quote(new Uint8Array(32))).rejects.toThrow(/written by another process/);
  });
});
