/**
 * The main entry bundles for browsers with no Node built-ins and no polyfills: esbuild with
 * platform=browser fails on any `node:` import reachable from it.
 */
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('browser bundle', () => {
  it('bundles `import { verifyGateway, sealProviderKey } from "@saferouter/verify"` for browsers, minified', async () => {
    const result = await build({
      stdin: {
        contents:
          "import { verifyGateway, sealProviderKey } from './src/index.ts'; globalThis.verifyGateway = verifyGateway; globalThis.sealProviderKey = sealProviderKey;",
        resolveDir: fileURLToPath(new URL('..', import.meta.url)),
        loader: 'ts',
      },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    const js = result.outputFiles[0]?.contents ?? new Uint8Array(0);
    const text = new TextDecoder().decode(js);
    expect(text).not.toMatch(/from\s*"node:|require\("node:/);
    expect(text).toContain('saferouter-verify/v1');
    expect(text).toContain('saferouter-byok-v1');
    const gz = gzipSync(js).length;
    console.info(`[verify bundle] ${js.length} bytes minified, ${gz} bytes gzipped`);
    expect(gz).toBeGreaterThan(1000);
  });
});
