/** What the EHBP client throws: a protocol failure, or the server's key-configuration mismatch (422). */
export class EhbpError extends Error {
  override readonly name: string = 'EhbpError';
}

/** The server rejected the request's key (a stale or another replica's key): refresh and retry. */
export class EhbpKeyMismatchError extends EhbpError {
  override readonly name = 'EhbpKeyMismatchError';
}
