/**
 * The soak's upstream, in its own process (its own event loop, like the benchmark's): the fake
 * upstream with one behaviour per soak model, so the gateway sees clean answers, slow streams a
 * client can leave, slow answers that keep a concurrency slot busy, and a primary that fails so
 * its fallback answers. Prints `{"url":"…"}` once listening (children.ts's protocol); stops on
 * SIGTERM/SIGINT.
 *
 *   tsx bench/src/soak-upstream.ts
 */
import { startFakeUpstream, type FakeBehavior } from '@saferouter/fake-upstream';
import { SOAK_MODELS } from './soak-catalog.js';

const behaviors: Record<string, FakeBehavior> = {
  // Short paced streams: a few ms each, so requests overlap without a stream being the bottleneck.
  [SOAK_MODELS.main]: { chunks: 8, chunkDelayMs: 2 },
  // Always 503 (retryable): the gateway falls back to SOAK_MODELS.backup.
  [SOAK_MODELS.flaky]: { status: 503 },
  [SOAK_MODELS.backup]: { chunks: 4 },
  // ~600 ms of stream: the client disconnects after the first chunk, long before the end.
  [SOAK_MODELS.slow]: { chunks: 60, chunkDelayMs: 10 },
  // Answers after 250 ms: keeps a key's concurrency slot busy.
  [SOAK_MODELS.held]: { delayMs: 250 },
};

const upstream = await startFakeUpstream({ port: 0, host: '127.0.0.1', record: false, behaviors });
process.stdout.write(`${JSON.stringify({ url: upstream.url })}\n`);

const stop = (): void => {
  upstream.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
