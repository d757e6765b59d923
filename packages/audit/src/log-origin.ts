/**
 * The two logs' names in the store and their checkpoint origins, `<audience>/saferouter/startup`
 * and `<audience>/saferouter/audit`, in one place so the gateway, the docs and verifiers agree.
 */

/** The store's name of the startup log. */
export const STARTUP_LOG = 'startup';
/** The store's name of the audit log. */
export const AUDIT_LOG = 'audit';

export type LogKind = typeof STARTUP_LOG | typeof AUDIT_LOG;

/**
 * A log's checkpoint origin for an audience: whitespace and `+` runs become `-` (a note key name
 * cannot hold them, and the startup log's origin is also its key's name).
 *
 * @example
 * logOrigin('gw.example.com', 'audit'); // 'gw.example.com/saferouter/audit'
 * @throws {TypeError} when `audience` is not a string.
 * @throws {RangeError} when it is empty or `kind` is not a known log.
 */
export function logOrigin(audience: string, kind: LogKind): string {
  if (typeof audience !== 'string') throw new TypeError('audience must be a string');
  if (audience.length === 0) throw new RangeError('audience must not be empty');
  if (kind !== STARTUP_LOG && kind !== AUDIT_LOG) throw new RangeError("kind must be 'startup' or 'audit'");
  return `${audience.replace(/[\s+]+/g, '-')}/saferouter/${kind}`;
}
