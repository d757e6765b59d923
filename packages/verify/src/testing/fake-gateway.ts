/**
 * Test helper (not published): the public endpoints of a SafeRouter gateway, in process, as a
 * `fetch` or on a local HTTP port, built from the real parts (a mock-backend attestor in a
 * temporary directory, its startup record in a real tile log, an audit log signed by the same
 * key), so `verifyGateway` runs every check against it. It also answers `GET /v1/key` and
 * `POST /v1/byok`, opening sealed provider keys as the gateway does: node:crypto HPKE
 * (@saferouter/ehbp/server) with the attested identity's X25519, not the @hpke/core that sealed
 * them. `tamperQuote` edits every quote before it is served.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleToJson, fromHex, toHex } from '@saferouter/attest';
import { createAttestor, type Attestor } from '@saferouter/attest/node';
import { decodeBase64Url, logOrigin } from '@saferouter/audit';
import { appendStartupRecord } from '@saferouter/audit/node';
import { setupRecipient } from '@saferouter/ehbp/server';
import { createAppender, createMemoryTileStorage, createStorageFetch, type TileFetch } from '@saferouter/tlog';
import { byokInfo } from '../byok-info.js';

/** A stored BYOK key, as the fake keeps it (the plaintext only so tests can compare). */
export interface StoredByok {
  readonly id: string;
  readonly keyId: string;
  readonly provider: string;
  readonly alwaysUse: boolean;
  readonly plaintext: string;
}

export interface FakeGateway {
  /** The base URL `fetch` answers for. */
  readonly url: string;
  readonly fetch: typeof globalThis.fetch;
  readonly attestor: Attestor;
  /** SafeRouter API keys this gateway knows, secret → key id. */
  readonly users: ReadonlyMap<string, string>;
  /** Every request's method and path, in order. */
  readonly requests: string[];
  readonly stored: StoredByok[];
  /**
   * Opens a sealed key as the gateway would, bound to `keyId`, the provider and `measurement`
   * (default: this gateway's).
   *
   * @throws {Error} when it does not open.
   */
  open(sealed: { enc: string; ciphertext: string }, keyId: string, provider: string, measurement?: Uint8Array): string;
  /** Serves the same endpoints on 127.0.0.1; the URL to use instead of `url`. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export interface FakeGatewayOptions {
  readonly measurement?: Uint8Array;
  /** Edits each quote's JSON before it is served (a tampering host). */
  readonly tamperQuote?: (bundle: Record<string, unknown>) => void;
  /** The 401 of `/v1/key` and `/v1/byok` quotes the bearer token it refused (a careless gateway). */
  readonly echoRejectedKey?: boolean;
}

const decoder = new TextDecoder();

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

const apiError = (status: number, code: string, message: string): Response =>
  json(status, { error: { message, type: status === 401 ? 'authentication_error' : 'invalid_request_error', code } });

export async function startFakeGateway(options: FakeGatewayOptions = {}): Promise<FakeGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'saferouter-verify-byok-'));
  const attestor = await createAttestor({
    dataDir: dir,
    measurement: options.measurement ?? new Uint8Array(32).fill(0x42),
    tsmRoot: join(dir, 'no-tsm'),
    sevGuestPath: join(dir, 'no-sev-guest'),
  });
  const audience = 'byok.test';
  const lockless = <T>(name: string, storage: T) =>
    Object.assign(storage as T & object, { name, withAppendLock: <R>(fn: () => Promise<R>) => fn() });
  const startupStorage = lockless('startup', createMemoryTileStorage());
  const startup = await appendStartupRecord({
    storage: startupStorage,
    attestor,
    buildId: toHex(new Uint8Array(32).fill(7)),
    audience,
    logSignerKey: undefined,
  });
  const auditStorage = createMemoryTileStorage();
  const audit = await createAppender({
    storage: auditStorage,
    signer: startup.key.signer,
    origin: logOrigin(audience, 'audit'),
  });
  await audit.append([new TextEncoder().encode('an audit entry')]);
  const logs: Record<string, TileFetch> = {
    '/attestation/transparency/': createStorageFetch(startupStorage),
    '/attestation/audit/': createStorageFetch(auditStorage),
  };

  const users = new Map([
    ['sr-test-alice-0123456789', 'key_a11ce'],
    ['sr-test-bob-9876543210', 'key_b0b'],
  ]);
  const requests: string[] = [];
  const stored: StoredByok[] = [];

  const open = (
    sealed: { enc: string; ciphertext: string },
    keyId: string,
    provider: string,
    measurement = attestor.measurement,
  ): string => {
    const enc = decodeBase64Url(sealed.enc);
    const ciphertext = decodeBase64Url(sealed.ciphertext);
    if (enc === undefined || ciphertext === undefined) throw new Error('not base64url');
    const context = setupRecipient(
      (peer) => attestor.identity.sealingSharedSecret(peer),
      attestor.sealingPublicKey,
      enc,
      byokInfo(measurement, keyId, provider),
    );
    return new TextDecoder('utf-8', { fatal: true }).decode(context.open(ciphertext));
  };

  const caller = (request: Request): string | Response => {
    const token = /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1] ?? '';
    const id = users.get(token);
    if (id !== undefined) return id;
    return apiError(
      401,
      'invalid_api_key',
      options.echoRejectedKey === true ? `Invalid API key '${token}'.` : 'Invalid API key.',
    );
  };

  const handle = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    requests.push(`${request.method} ${path}`);
    if (request.method === 'POST' && path === '/attestation/quote') {
      const { nonce } = (await request.json()) as { nonce: string };
      const bundle = JSON.parse(bundleToJson(await attestor.quote(fromHex(nonce)))) as Record<string, unknown>;
      options.tamperQuote?.(bundle);
      return json(200, bundle);
    }
    if (path === '/attestation/verifying-key')
      return json(200, {
        signingKey: toHex(attestor.signingPublicKey),
        sealingKey: toHex(attestor.sealingPublicKey),
        measurement: toHex(attestor.measurement),
        backend: attestor.backend,
        hardware: attestor.hardware,
        transparencyLogKey: startup.key.verifier.vkey,
        startupIndex: startup.index,
      });
    for (const [prefix, tiles] of Object.entries(logs)) {
      if (!path.startsWith(prefix)) continue;
      const data = await tiles(path.slice(prefix.length));
      return data === null
        ? apiError(404, 'not_found', 'no such tile')
        : new Response(data as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream' } });
    }
    if (request.method === 'GET' && path === '/v1/key') {
      const id = caller(request);
      return typeof id === 'string' ? json(200, { id, object: 'key', name: 'test', role: 'user' }) : id;
    }
    if (request.method === 'POST' && path === '/v1/byok') {
      const keyId = caller(request);
      if (typeof keyId !== 'string') return keyId;
      const body = JSON.parse(decoder.decode(await request.arrayBuffer())) as Record<string, unknown>;
      const { provider, enc, ciphertext, always_use } = body;
      if (typeof provider !== 'string' || typeof enc !== 'string' || typeof ciphertext !== 'string')
        return apiError(400, 'invalid_request', 'provider, enc and ciphertext are required strings.');
      let plaintext: string;
      try {
        plaintext = open({ enc, ciphertext }, keyId, provider);
      } catch {
        return apiError(
          400,
          'byok_unsealable',
          'The sealed key does not open: it was sealed for another build, key or provider.',
        );
      }
      const entry = { id: `byok_${stored.length + 1}`, keyId, provider, alwaysUse: always_use === true, plaintext };
      stored.push(entry);
      return json(200, {
        id: entry.id,
        object: 'byok_key',
        provider,
        last4: plaintext.slice(-4),
        always_use: entry.alwaysUse,
      });
    }
    return apiError(404, 'not_found', `no route for ${request.method} ${path}`);
  };

  const servers: ReturnType<typeof createServer>[] = [];
  return {
    url: 'http://gateway.test',
    fetch: async (input, init) => handle(new Request(input, init)),
    attestor,
    users,
    requests,
    stored,
    open,
    async listen() {
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = Buffer.concat(chunks);
          const headers = new Headers();
          for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
          const request = new Request(`http://127.0.0.1${req.url ?? '/'}`, {
            method: req.method ?? 'GET',
            headers,
            ...(body.length === 0 ? {} : { body }),
          });
          handle(request).then(
            async (response) => {
              res.writeHead(response.status, Object.fromEntries(response.headers));
              res.end(Buffer.from(await response.arrayBuffer()));
            },
            (error: unknown) => {
              res.writeHead(500);
              res.end(String(error));
            },
          );
        });
      });
      servers.push(server);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      return `http://127.0.0.1:${address.port}`;
    },
    async close() {
      for (const s of servers) {
        s.closeAllConnections();
        s.close();
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
