/**
 * Times inclusion-proof verification in a real browser (Debian's Chromium through playwright-core):
 * the browser build of @saferouter/tlog (esbuild, platform=browser) verifies the given proofs in a
 * page and reports per-proof times (means over batches of 25, since browsers coarsen timers). Used by append-bench.ts; never `npx playwright install`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

export interface ProofSample {
  index: number;
  size: number;
  leafHash: Uint8Array;
  proof: Uint8Array[];
  rootHash: Uint8Array;
}

const CHROMIUM = process.env.SAFEROUTER_CHROMIUM ?? '/usr/bin/chromium';

/** Per-proof verification times in ms, measured in Chromium; null when Chromium is missing. */
export async function verifyInBrowser(samples: readonly ProofSample[]): Promise<number[] | null> {
  if (!existsSync(CHROMIUM)) return null;
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'tlog',
    platform: 'browser',
    target: 'es2022',
  });
  const script = bundle.outputFiles[0]?.text ?? '';
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    const page = await browser.newPage();
    await page.addScriptTag({ content: script });
    const wire = samples.map((s) => ({
      ...s,
      leafHash: [...s.leafHash],
      proof: s.proof.map((p) => [...p]),
      rootHash: [...s.rootHash],
    }));
    return await page.evaluate((input) => {
      type Tlog = {
        verifyInclusion(i: {
          index: number;
          size: number;
          leafHash: Uint8Array;
          proof: Uint8Array[];
          rootHash: Uint8Array;
        }): { ok: boolean };
      };
      const lib = (globalThis as unknown as { tlog: Tlog }).tlog;
      const all = input.map((s) => ({
        index: s.index,
        size: s.size,
        leafHash: Uint8Array.from(s.leafHash),
        proof: s.proof.map((p) => Uint8Array.from(p)),
        rootHash: Uint8Array.from(s.rootHash),
      }));
      // Browsers coarsen performance.now() (to 100 µs here), so proofs are timed in batches of
      // 25 and each sample is a batch's mean.
      const BATCH = 25;
      const times: number[] = [];
      for (let from = 0; from + BATCH <= all.length; from += BATCH) {
        const t0 = performance.now();
        for (const args of all.slice(from, from + BATCH)) {
          if (!lib.verifyInclusion(args).ok) throw new Error(`proof for ${args.index} does not verify in the browser`);
        }
        times.push((performance.now() - t0) / BATCH);
      }
      return times;
    }, wire);
  } finally {
    await browser.close();
  }
}
