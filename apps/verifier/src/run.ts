/**
 * The page's one door to `@saferouter/verify`: builds the options, picks where checkpoints are
 * remembered, and turns the two ways a run can end without a result (a malformed option, which
 * the library throws as TypeError/RangeError; or a bug) into a message. Bad data from a gateway
 * never lands here: the library returns it as failed checks.
 */
import {
  localStorageState,
  memoryState,
  verifyGateway,
  type GatewayVerification,
  type StateStore,
  type VerifyGatewayOptions,
} from '@saferouter/verify';
import { cleanReceipt, type PageInputs } from './inputs.js';

/** Each request to the gateway gives up after this long, so a dead gateway cannot hang the page. */
export const REQUEST_TIMEOUT_MS = 10_000;

export type Outcome =
  | { readonly kind: 'result'; readonly result: GatewayVerification }
  | { readonly kind: 'error'; readonly message: string };

/**
 * This browser's localStorage, or memory when the browser refuses storage (private modes, blocked
 * site data); `persistent` says which, so the page can say that log consistency starts afresh.
 */
export function pageState(): { store: StateStore; persistent: boolean } {
  try {
    const store = localStorageState();
    void store.get('saferouter-verify/probe');
    return { store, persistent: true };
  } catch {
    return { store: memoryState(), persistent: false };
  }
}

export async function runVerification(inputs: PageInputs, state: StateStore): Promise<Outcome> {
  if (inputs.gateway === '') {
    return { kind: 'error', message: "Enter the gateway's URL, such as https://gateway.example.com." };
  }
  const receipt = cleanReceipt(inputs.receipt);
  const options: VerifyGatewayOptions = {
    state,
    acceptNewLog: inputs.acceptNewLog,
    timeoutMs: REQUEST_TIMEOUT_MS,
    ...(inputs.expectedMeasurement === '' ? {} : { expectedMeasurement: inputs.expectedMeasurement }),
    ...(receipt === '' ? {} : { receipt }),
  };
  try {
    return { kind: 'result', result: await verifyGateway(inputs.gateway, options) };
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) {
      return { kind: 'error', message: `Cannot verify with these inputs: ${err.message}.` };
    }
    const message = err instanceof Error ? err.message : String(err);
    return { kind: 'error', message: `The verifier stopped with an unexpected error (a bug in it): ${message}` };
  }
}
