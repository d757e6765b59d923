/**
 * The benchmark's baseline: the thinnest pass-through proxy Node can run. It forwards method,
 * path, headers and body to the upstream over a keep-alive pool and pipes the answer back, with no
 * parsing at all, so "gateway / bare" isolates what the gateway's own work costs.
 *   tsx bench/src/bare-proxy.ts --upstream http://127.0.0.1:43123 [--port 0] [--host 127.0.0.1]
 * Prints one JSON line `{"url":"http://…"}` once listening; stops on SIGTERM/SIGINT.
 */
import { Agent, createServer, request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

/** Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

function forwardable(headers: IncomingHttpHeaders, host?: string): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  if (host !== undefined) out['host'] = host;
  return out;
}

const { values } = parseArgs({
  options: {
    upstream: { type: 'string' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
if (values.upstream === undefined) {
  process.stderr.write('bare-proxy: --upstream URL is required\n');
  process.exit(2);
}
const upstream = new URL(values.upstream);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

const server = createServer((req, res) => {
  const up = request(
    {
      agent,
      hostname: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: forwardable(req.headers, upstream.host),
    },
    (upRes) => {
      // Node re-applies chunked framing itself when no content-length is forwarded.
      res.writeHead(upRes.statusCode ?? 502, forwardable(upRes.headers));
      upRes.pipe(res);
      upRes.once('error', () => res.destroy());
    },
  );
  up.once('error', (e) => {
    if (res.headersSent) return void res.destroy();
    const body = JSON.stringify({
      error: { message: `bare-proxy: upstream error: ${e.message}`, type: 'api_error', code: 'upstream_error' },
    });
    res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  // A client that goes away must not leave the upstream working, exactly as in the gateway.
  res.once('close', () => {
    if (!res.writableFinished) up.destroy();
  });
  req.pipe(up);
});
server.keepAliveTimeout = 65_000;

server.listen(Number(values.port), values.host, () => {
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  process.stdout.write(`${JSON.stringify({ url: `http://${host}:${port}` })}\n`);
});

const stop = (): void => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  agent.destroy();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
