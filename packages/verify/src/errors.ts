/**
 * The one error `assertGateway` throws: the failed check's id as `code` (or `demo` for a mock
 * gateway when mocks are not allowed), with the whole result attached.
 */
import type { CheckId, GatewayVerification } from './checks.js';

export class VerifyError extends Error {
  readonly code: CheckId | 'demo';
  readonly result: GatewayVerification;

  constructor(code: CheckId | 'demo', message: string, result: GatewayVerification) {
    super(message);
    this.name = 'VerifyError';
    this.code = code;
    this.result = result;
  }
}
