/**
 * Builds the dashboard into dist/, served by the gateway at `/` and covered by its measurement
 * (docs/attestation.md): the build must be byte-for-byte reproducible, so nothing in it depends on
 * the time, the machine or the path it was built in (test/build.test.ts builds twice and compares).
 *
 * The built index.html carries a Content-Security-Policy as a <meta>, and the gateway sends the
 * same policy as a header (apps/gateway/src/routes/dashboard.ts owns it; this file imports it):
 * scripts and styles only from the page's own files, network only to its own origin. The page
 * keeps API keys in localStorage, so script injection must be impossible.
 *
 * `vite` (dev) proxies the gateway's API to $SAFEROUTER_GATEWAY (default http://localhost:8080)
 * and goes without the CSP, since Vite's dev client injects styles.
 */
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { DASHBOARD_CSP } from '../gateway/src/routes/dashboard-csp.js';

function contentSecurityPolicy(): Plugin {
  return {
    name: 'saferouter-csp',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        // frame-ancestors is ignored in a <meta>: the gateway's header carries it.
        attrs: {
          'http-equiv': 'Content-Security-Policy',
          content: DASHBOARD_CSP.replace(/; frame-ancestors[^;]*/, ''),
        },
        injectTo: 'head-prepend',
      },
    ],
  };
}

const gateway = process.env.SAFEROUTER_GATEWAY ?? 'http://localhost:8080';

export default defineConfig({
  base: '/',
  plugins: [react(), contentSecurityPolicy()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: Object.fromEntries(
      ['/v1', '/attestation', '/.well-known', '/verify', '/health'].map((path) => [
        path,
        { target: gateway, changeOrigin: true },
      ]),
    ),
  },
});
