/**
 * The fetch that chat and compare send prompts with. When the gateway offers EHBP (its
 * `/.well-known/hpke-keys` answers), prompts leave the browser sealed to the attested X25519 key:
 * `createSecureFetch` verifies the gateway first (attestation, key binding, transparency log) and
 * refuses to send anything when the served key is not the attested one. A gateway without EHBP
 * gets plain same-origin requests, and the page says so.
 *
 * Established once per page load and shared; a failed check is remembered as the reason the
 * page will not send prompts, not retried behind the user's back.
 */
import { createSecureFetch, localStorageState } from '@saferouter/verify';
/** The fetch shape (declared here, not imported: api.ts loads this module lazily). */
type Fetch = typeof globalThis.fetch;

export interface Channel {
  fetch: Fetch;
  /** True when request and response bodies are sealed to the attested key. */
  sealed: boolean;
  /** What the page tells the user about the channel. */
  label: string;
}

let pending: Promise<Channel> | undefined;

async function establish(): Promise<Channel> {
  const plain: Fetch = globalThis.fetch.bind(globalThis);
  let offered = false;
  try {
    const res = await fetch('/.well-known/hpke-keys');
    offered = res.ok;
    await res.body?.cancel();
  } catch {
    offered = false;
  }
  if (!offered) return { fetch: plain, sealed: false, label: 'Not sealed: this gateway offers no EHBP key' };
  // A mock (demo) gateway is accepted: the header's DEMO badge already says what it proves.
  const sealed = await createSecureFetch(location.origin, { allowMock: true, state: localStorageState() });
  return { fetch: sealed, sealed: true, label: 'Sealed with EHBP to the attested key' };
}

/** The shared channel; rejects with the verification error when the gateway fails a check. */
export function channel(): Promise<Channel> {
  pending ??= establish();
  return pending;
}
