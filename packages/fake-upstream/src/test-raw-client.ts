/**
 * Test-only: a chat request over a bare TCP socket, keeping the response exactly as it crossed
 * the wire (every socket read with its arrival time, every HTTP chunk with its framing removed).
 * fetch and node:http hide chunk boundaries and the terminating chunk; these tests are about them.
 */
import { connect } from 'node:net';
import { AUTH } from './test-client.js';

export interface RawChunk {
  /** The chunk's payload, chunk-size line and CRLFs removed. */
  data: string;
  /** Milliseconds from the request to the socket read that carried the chunk's last byte. */
  at: number;
}

export interface RawResponse {
  /** Status line and headers, as sent. */
  head: string;
  /** The body's HTTP chunks in order, the terminating zero-length chunk excluded. */
  chunks: RawChunk[];
  /** The terminating zero-length chunk arrived: the response ended cleanly. */
  terminated: boolean;
  /** Milliseconds from the request to the read that completed the terminating chunk. */
  terminatedAt?: number;
  /** Every socket read, in order, with its arrival time. */
  reads: { at: number; bytes: Buffer }[];
}

/** The body of a raw response as text (the chunks' payloads joined). */
export const bodyOf = (r: RawResponse): string => r.chunks.map((c) => c.data).join('');

/**
 * POST `/v1/chat/completions` with `Connection: close` and read until the server closes.
 * @throws Error when the response is not chunked or its framing is malformed.
 */
export async function rawChat(baseUrl: string, body: unknown): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  const json = JSON.stringify(body);
  const request =
    `POST /v1/chat/completions HTTP/1.1\r\nhost: ${hostname}:${port}\r\nauthorization: ${AUTH.authorization}\r\n` +
    `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\nconnection: close\r\n\r\n${json}`;
  const t0 = performance.now();
  const reads: RawResponse['reads'] = [];
  await new Promise<void>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    socket.on('data', (bytes: Buffer) => reads.push({ at: performance.now() - t0, bytes }));
    socket.once('error', reject);
    socket.once('close', () => resolve());
  });
  return parseChunked(reads);
}

function parseChunked(reads: RawResponse['reads']): RawResponse {
  const all = Buffer.concat(reads.map((r) => r.bytes));
  // Arrival time of the byte at `offset`: the time of the read that carried it.
  const ends: number[] = [];
  let total = 0;
  for (const r of reads) ends.push((total += r.bytes.length));
  const arrival = (offset: number): number => reads[ends.findIndex((e) => e > offset)]?.at ?? Number.NaN;

  const headEnd = all.indexOf('\r\n\r\n');
  if (headEnd === -1) throw new Error(`no complete response head in ${JSON.stringify(all.toString('latin1'))}`);
  const head = all.subarray(0, headEnd).toString('latin1');
  if (!/\r\ntransfer-encoding: chunked/i.test(head)) throw new Error(`not a chunked response: ${head}`);
  const chunks: RawChunk[] = [];
  let at = headEnd + 4;
  for (;;) {
    const lineEnd = all.indexOf('\r\n', at);
    if (lineEnd === -1) return { head, chunks, terminated: false, reads };
    const size = Number.parseInt(all.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isInteger(size)) throw new Error(`bad chunk size line at byte ${at}`);
    if (size === 0) {
      const terminated = all.subarray(lineEnd, lineEnd + 4).toString('latin1') === '\r\n\r\n';
      return terminated
        ? { head, chunks, terminated, terminatedAt: arrival(lineEnd + 3), reads }
        : { head, chunks, terminated, reads };
    }
    const start = lineEnd + 2;
    if (start + size + 2 > all.length) return { head, chunks, terminated: false, reads };
    if (all.subarray(start + size, start + size + 2).toString('latin1') !== '\r\n')
      throw new Error(`chunk at byte ${at} lacks its CRLF`);
    chunks.push({ data: all.subarray(start, start + size).toString('utf8'), at: arrival(start + size - 1) });
    at = start + size + 2;
  }
}
