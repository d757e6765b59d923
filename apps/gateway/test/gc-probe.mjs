// Test-only preload for the disconnect soak: answers IPC 'mem' messages with heap usage after a
// full GC. Loaded with --import by the test; the product never loads it.
process.on('message', (msg) => {
  if (msg !== 'mem') return;
  globalThis.gc?.();
  globalThis.gc?.();
  const m = process.memoryUsage();
  process.send?.({ heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers });
});
