/**
 * Benchmark (not a test): builds a log of TLOG_BENCH_N entries (default 1,000,000) in the
 * in-memory tile storage, then reports the median cost per appended entry (batched), per single
 * append at full size (one signed checkpoint each), per inclusion / consistency proof generated
 * from tiles, and per proof verification. Target: ≤ 1 ms each.
 *
 *   pnpm exec tsx packages/tlog/bench/append-bench.ts
 *   TLOG_BENCH_N=100000 TLOG_BENCH_BATCH=256 pnpm exec tsx packages/tlog/bench/append-bench.ts
 */
import {
  createAppender,
  createMemoryTileStorage,
  createTileHashReader,
  generateSignerKey,
  leafHash,
  nodeHash,
  TileCache,
  verifyInclusion,
} from '../src/index.js';
import { verifyInBrowser } from './browser-verify.js';

const N = Number(process.env.TLOG_BENCH_N ?? 1_000_000);
const BATCH = Number(process.env.TLOG_BENCH_BATCH ?? 1_000);
const SAMPLES = Number(process.env.TLOG_BENCH_SAMPLES ?? 1_000);
if (!Number.isSafeInteger(N) || N < 2 || !Number.isSafeInteger(BATCH) || BATCH < 1)
  throw new RangeError('TLOG_BENCH_N must be ≥ 2 and TLOG_BENCH_BATCH ≥ 1');

const encoder = new TextEncoder();
/** ~100-byte entries, about the size of an audit-log commitment record. */
const entry = (i: number): Uint8Array =>
  encoder.encode(`{"seq":${i},"commitment":"${((i * 2654435761) % 2 ** 32).toString(16).padStart(8, '0').repeat(8)}"}`);

let seed = 42;
const random = (below: number): number => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return Math.floor((seed / 2 ** 31) * below);
};

function stats(samplesMs: number[]): { median: number; p95: number; p99: number } {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { median: at(0.5), p95: at(0.95), p99: at(0.99) };
}
const fmt = (ms: number): string => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(3)} ms`);
/** Baseline measured in the same run: one RFC 6962 node hash (SHA-256 over 65 bytes). */
let baselineMs = 0;
function report(label: string, samplesMs: number[]): void {
  const s = stats(samplesMs);
  const ratio = baselineMs > 0 ? `   = ${(s.median / baselineMs).toFixed(0).padStart(5)}× node hash` : '';
  console.log(
    `${label.padEnd(48)} median ${fmt(s.median).padStart(10)}   p95 ${fmt(s.p95).padStart(10)}   p99 ${fmt(s.p99).padStart(10)}   (n=${samplesMs.length})${ratio}`,
  );
}
{
  const a = new Uint8Array(32).fill(1);
  const b = new Uint8Array(32).fill(2);
  for (let i = 0; i < 20_000; i++) nodeHash(a, b); // warm up the JIT
  const runs: number[] = [];
  for (let r = 0; r < 20; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) nodeHash(a, b);
    runs.push((performance.now() - t0) / 10_000);
  }
  baselineMs = stats(runs).median;
  console.log(
    `baseline: one node hash (SHA-256 of 65 bytes) ${fmt(baselineMs)}; figures below are also given as multiples of it`,
  );
}

const started = performance.now();
const { signer } = await generateSignerKey('bench.example/log', { seed: new Uint8Array(32).fill(1) });
const storage = createMemoryTileStorage();
const appender = await createAppender({ storage, signer });

// 1. Build the log in batches.
const perEntry: number[] = [];
for (let from = 0; from < N; from += BATCH) {
  const batch = Array.from({ length: Math.min(BATCH, N - from) }, (_, j) => entry(from + j));
  const t0 = performance.now();
  await appender.append(batch);
  perEntry.push((performance.now() - t0) / batch.length);
}
const built = performance.now();
console.log(
  `built ${N.toLocaleString('en')} entries in batches of ${BATCH} in ${((built - started) / 1000).toFixed(1)} s`,
);
report(`append, per entry (batches of ${BATCH})`, perEntry);

// 2. Single appends at full size: each one hashes, rewrites the right edge, signs and commits.
const single: number[] = [];
for (let i = 0; i < SAMPLES; i++) {
  const e = entry(N + i);
  const t0 = performance.now();
  await appender.append([e]);
  single.push(performance.now() - t0);
}
const size = appender.size;
report(`append, single entry at size ${size.toLocaleString('en')}`, single);

// 3. Inclusion proofs from tiles: warm (the appender's shared tile cache) and cold (fresh cache).
const indexes = Array.from({ length: SAMPLES }, () => random(size));
const warm: number[] = [];
const proofs: Uint8Array[][] = [];
for (const index of indexes) {
  const t0 = performance.now();
  proofs.push(await appender.inclusionProof(index));
  warm.push(performance.now() - t0);
}
report('inclusion proof from tiles (shared tile cache)', warm);
const cold: number[] = [];
for (const index of indexes.slice(0, Math.min(200, SAMPLES))) {
  const reader = createTileHashReader({ readTile: (t) => storage.readTile(t), size, cache: new TileCache(64) });
  const t0 = performance.now();
  await (await import('../src/index.js')).generateInclusionProof(index, size, reader);
  cold.push(performance.now() - t0);
}
report('inclusion proof from tiles (cold cache)', cold);

// 4. Consistency proofs from tiles.
const consistency: number[] = [];
for (let i = 0; i < SAMPLES; i++) {
  const size1 = 1 + random(size - 1);
  const t0 = performance.now();
  await appender.consistencyProof(size1, size);
  consistency.push(performance.now() - t0);
}
report('consistency proof from tiles (shared cache)', consistency);

// 5. Verifying inclusion proofs in Node.
const rootHash = appender.rootHash;
const verify: number[] = [];
indexes.forEach((index, i) => {
  const leaf = leafHash(entry(index));
  const t0 = performance.now();
  const { ok } = verifyInclusion({ index, size, leafHash: leaf, proof: proofs[i]!, rootHash });
  verify.push(performance.now() - t0);
  if (!ok) throw new Error(`proof for ${index} does not verify`);
});
report('verify inclusion proof (RFC 9162 §2.1.3.2)', verify);

// 6. The same proofs verified by the browser build in Chromium.
const browserTimes = await verifyInBrowser(
  indexes
    .slice(0, 500)
    .map((index, i) => ({ index, size, leafHash: leafHash(entry(index)), proof: proofs[i]!, rootHash })),
);
if (browserTimes === null)
  console.log('verify inclusion proof in Chromium: skipped (no /usr/bin/chromium; set SAFEROUTER_CHROMIUM)');
else report('verify inclusion proof in Chromium (browser build)', browserTimes);
const { tileBytes, bundleBytes, tiles } = storage.stats();
const mb = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MB`;
console.log(
  `storage: ${tiles} tiles (${mb(tileBytes)}), entry bundles ${mb(bundleBytes)}; heap used ${mb(process.memoryUsage().heapUsed)}`,
);
console.log(`total run time ${((performance.now() - started) / 1000).toFixed(1)} s`);
