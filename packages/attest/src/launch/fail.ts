/**
 * The launch-digest code reports every bad input the same way the verifiers report a failed
 * check: one `AttestationError`, under the 'measurement' check id, so callers that compare a
 * report's MEASUREMENT against a computed digest catch a single error type.
 */
import { AttestationError } from '../errors.js';

/** An `AttestationError` for the launch digest; `message` names the offending input. */
export function launchError(message: string): AttestationError {
  return new AttestationError('measurement', `launch digest: ${message}`);
}
