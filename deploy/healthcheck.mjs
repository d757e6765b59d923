// Liveness probe for the container image (Dockerfile HEALTHCHECK, docker-compose.yml): GET /health
// on the gateway's own port over loopback; exit 0 when it answers 200, 1 otherwise. The image has
// no curl or wget (fewer tools in the final image), so Node itself asks.
//
// With SAFEROUTER_TLS_CERT set the gateway speaks only HTTPS, so the probe does too. It skips
// certificate verification: the certificate names the public host, not 127.0.0.1, and this
// request carries no secret and trusts nothing in the answer beyond its status code.
//
// It probes liveness, not readiness: a draining gateway is alive. Load balancers should ask
// GET /ready where the gateway serves it (503 while draining or while Postgres/Redis are down).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const port = Number(process.env.PORT || 8080);
const bound = process.env.HOST || '0.0.0.0';
// A wildcard bind answers on loopback; a specific address is asked directly.
const host = bound === '0.0.0.0' || bound === '::' ? '127.0.0.1' : bound;
const tls = Boolean(process.env.SAFEROUTER_TLS_CERT);
const request = tls ? httpsRequest : httpRequest;

const req = request({ host, port, path: '/health', method: 'GET', timeout: 3000, rejectUnauthorized: false }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timed out')));
req.on('error', (err) => {
  console.error(`healthcheck: ${tls ? 'https' : 'http'}://${host}:${port}/health: ${err.message}`);
  process.exit(1);
});
req.end();
