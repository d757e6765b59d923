/**
 * The dashboard's Content-Security-Policy, in one place: the gateway sends it as a header with
 * every dashboard page, and the dashboard's Vite build writes it into index.html as a <meta>
 * (minus `frame-ancestors`, which only a header can carry).
 *
 * The page keeps API keys in localStorage, so script injection must be impossible: scripts and
 * styles only from the gateway's own files (no inline script, no eval), network only to its own
 * origin, no plugins, no framing, no <base> rewriting, no form posts elsewhere.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
  "frame-ancestors 'none'",
].join('; ');
