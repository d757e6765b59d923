/**
 * `tls-binding` on its own: absent unless it applies, skipped after a failed binding, and a pass
 * only when every connection's certificate carries the key a version-2 bundle binds. The
 * certificates are the mock CA's (any DER certificate will do); the bundles come from a real mock
 * attestor, so the binding they carry is the real one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateSpkiSha256, pemToDerList, toHex, type AttestationBundle } from '@saferouter/attest';
import { createAttestor } from '@saferouter/attest/node';
import { Runner } from './runner.js';
import type { TlsPeerCertificates } from './options.js';
import { runTlsBinding } from './tls-binding.js';

const GATEWAY = 'https://gw.example';
let dir: string;
let v1: AttestationBundle;
let v2: AttestationBundle;
let served: Uint8Array;
let other: Uint8Array;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'saferouter-tls-binding-'));
  const none = { tsmRoot: join(dir, 'none'), sevGuestPath: join(dir, 'none') };
  const measurement = new Uint8Array(32).fill(1);
  const plain = await createAttestor({ dataDir: dir, measurement, ...none });
  v1 = await plain.quote(new Uint8Array(32));
  [served, other] = v1.certChain.map((pem) => pemToDerList(pem)[0] ?? new Uint8Array()) as [Uint8Array, Uint8Array];
  const tls = await createAttestor({
    dataDir: dir,
    measurement,
    tlsSpkiSha256: certificateSpkiSha256(served),
    ...none,
  });
  v2 = await tls.quote(new Uint8Array(32));
});

afterAll(() => rm(dir, { recursive: true, force: true }));

const presenting =
  (...certificates: Uint8Array[]): TlsPeerCertificates =>
  async () =>
    certificates;

/** Runs the check after a `binding` with the given status; returns the tls-binding check, if listed. */
async function check(
  bundle: AttestationBundle | undefined,
  peer: TlsPeerCertificates | undefined,
  options: { gateway?: string; binding?: 'pass' | 'fail' } = {},
) {
  const run = new Runner();
  await run.run('binding', async () => ({ status: options.binding ?? 'pass', detail: '' }));
  await runTlsBinding(run, options.gateway ?? GATEWAY, bundle, peer === undefined ? {} : { tlsPeerCertificates: peer });
  return run.checks.find((c) => c.id === 'tls-binding');
}

describe('tls-binding', () => {
  it('passes when the connection presents the certificate whose key the v2 bundle binds', async () => {
    expect(v2).toMatchObject({ version: 2, tlsSpkiSha256: toHex(certificateSpkiSha256(served)) });
    const c = await check(v2, presenting(served));
    expect(c?.status).toBe('pass');
    expect(c?.detail).toMatch(/this TLS connection to https:\/\/gw\.example carries the attested TLS key/);
    expect(c?.title).toBe('TLS ends inside the attested build');
    expect(c?.doesNotProve).toMatch(/host can read/);
    expect((await check(v2, presenting(served, served)))?.detail).toMatch(/all 2 TLS connections/);
  });

  it('fails when a connection presents another key (a TLS-terminating proxy)', async () => {
    const c = await check(v2, presenting(other));
    expect(c?.status).toBe('fail');
    expect(c?.detail).toMatch(/not the attested .*TLS ends outside the attested build/);
    expect((await check(v2, presenting(served, other)))?.status).toBe('fail');
  });

  it('fails for a version-1 bundle: the gateway serves TLS but does not bind the TLS key', async () => {
    const c = await check(v1, presenting(served));
    expect(c?.status).toBe('fail');
    expect(c?.detail).toMatch(/^the gateway serves TLS but its attestation does not bind the TLS key/);
  });

  it('fails when no certificate was seen, or reading it failed, or it does not parse', async () => {
    expect((await check(v2, presenting()))?.detail).toMatch(/no TLS certificate was seen/);
    const refused = await check(v2, () => Promise.reject(new Error('connect ECONNREFUSED')));
    expect(refused).toMatchObject({ status: 'fail', detail: 'connect ECONNREFUSED' });
    expect((await check(v2, presenting(new Uint8Array([0x30, 0x00]))))?.status).toBe('fail');
  });

  it('is skipped, naming the cause, when the binding failed or there was no quote', async () => {
    const c = await check(v2, presenting(served), { binding: 'fail' });
    expect(c).toMatchObject({ status: 'skip', detail: 'skipped: it needs the result of "binding", which failed' });
    expect((await check(undefined, presenting(served)))?.status).toBe('skip');
  });

  it('is absent for an http:// gateway and when no peer certificate reader is given (browsers)', async () => {
    expect(await check(v2, presenting(served), { gateway: 'http://gw.example' })).toBeUndefined();
    expect(await check(v2, undefined)).toBeUndefined();
    expect(await check(v1, undefined)).toBeUndefined();
  });
});
