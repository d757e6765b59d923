/**
 * The one error `assertGateway` and `createSecureFetch` throw: the failed check's id as `code`
 * (`demo` for a mock gateway when mocks are not allowed; `hpke-key` when the EHBP key the gateway
 * serves is not the attested sealing key), with the whole result attached.
 */
import type { CheckId, GatewayVerification } from './checks.js';

export class VerifyError extends Error {
  readonly code: CheckId | 'demo' | 'hpke-key';
  readonly result: GatewayVerification;

  constructor(code: CheckId | 'demo' | 'hpke-key', message: string, result: GatewayVerification) {
    super(message);
    this.name = 'VerifyError';
    this.code = code;
    this.result = result;
  }
}
