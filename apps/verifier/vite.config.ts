/**
 * Builds the verifier page into dist/: relative asset URLs (`base: './'`), so the same files work
 * from GitHub Pages under any subpath and from a gateway at /verify/. The built index.html gets a
 * Content-Security-Policy: scripts and styles from the page's own files only, and network access
 * to any gateway (the one thing the page is for). Dev mode (`vite`) goes without it, since Vite's
 * dev client injects styles.
 */
import { defineConfig, type Plugin } from 'vite';

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  'connect-src *',
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

function contentSecurityPolicy(): Plugin {
  return {
    name: 'saferouter-csp',
    apply: 'build',
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' },
    ],
  };
}

export default defineConfig({
  base: './',
  plugins: [contentSecurityPolicy()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Every browser that runs ES2022 supports <link rel="modulepreload">: no polyfill shipped.
    modulePreload: { polyfill: false },
  },
});
