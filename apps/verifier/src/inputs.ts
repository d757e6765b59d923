/**
 * What the user asked for: read from the query string (`?gateway=…&measurement=…`, shareable
 * links) and from the form, and turned into `verifyGateway`'s arguments. Values are only tidied
 * (trimmed, a pasted header name dropped); judging them is `@saferouter/verify`'s job, whose
 * TypeError/RangeError the page shows as it is.
 */

export interface PageInputs {
  gateway: string;
  expectedMeasurement: string;
  receipt: string;
  acceptNewLog: boolean;
}

/** Where the page is, as far as choosing defaults goes. */
export interface PageLocation {
  readonly search: string;
  readonly pathname: string;
  readonly origin: string;
  readonly protocol: string;
}

/** A gateway serves this page at `/verify/`; the independently hosted copy lives elsewhere. */
const SERVED_BY_GATEWAY = /^\/verify(?:\/(?:index\.html)?)?$/;

export function isServedByGateway(where: PageLocation): boolean {
  return (where.protocol === 'http:' || where.protocol === 'https:') && SERVED_BY_GATEWAY.test(where.pathname);
}

/**
 * The form's first values, and whether to run at once (only when the link names a gateway).
 * Served by a gateway at /verify with no `?gateway=`, the field defaults to that gateway.
 */
export function initialInputs(where: PageLocation): { inputs: PageInputs; autoRun: boolean } {
  const query = new URLSearchParams(where.search);
  const named = query.get('gateway')?.trim() ?? '';
  const gateway = named !== '' ? named : isServedByGateway(where) ? where.origin : '';
  return {
    inputs: {
      gateway,
      expectedMeasurement: query.get('measurement')?.trim() ?? '',
      receipt: '',
      acceptNewLog: false,
    },
    autoRun: named !== '',
  };
}

/**
 * A receipt as pasted: the JWS itself, or with the header name (`X-SafeRouter-Receipt: …`) or the
 * stream's comment prefix (`: saferouter-receipt …`) still on it. A compact JWS has no whitespace.
 */
export function cleanReceipt(text: string): string {
  return text
    .trim()
    .replace(/^x-saferouter-receipt\s*:/i, '')
    .replace(/^:\s*saferouter-receipt\b/i, '')
    .replace(/\s+/g, '');
}

/** The query string that reproduces this run (the receipt stays out of links and history). */
export function shareableSearch(inputs: PageInputs): string {
  const query = new URLSearchParams();
  query.set('gateway', inputs.gateway);
  if (inputs.expectedMeasurement !== '') query.set('measurement', inputs.expectedMeasurement);
  return `?${query.toString()}`;
}

/** True when the page and the gateway it checks share an origin: the page may be the gateway's own. */
export function verifiesItsOwnHost(gateway: string, where: PageLocation): boolean {
  try {
    return new URL(gateway).origin === where.origin;
  } catch {
    return false;
  }
}
