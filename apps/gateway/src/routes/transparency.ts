/**
 * A transparency log over HTTP, public and CORS-open: the startup log (mounted under
 * `/attestation/transparency`) and the audit log (`/attestation/audit`), the same API for both:
 * - `GET /` entries, paginated (`?start=N&limit=M`, newest size at the time of the call);
 * - `GET /head` the latest checkpoint as a C2SP signed note (text/plain); `?format=json` parsed;
 * - `GET /consistency?from=N&to=M` a consistency proof (`to` defaults to the latest size);
 * - `GET /{index}` the entry and its inclusion proof against the latest checkpoint;
 * - the C2SP tlog-tiles read API: `checkpoint`, `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`.
 *   Full tiles never change and are served immutable; partial tiles and the checkpoint are not
 *   cached.
 */
import { Hono, type Context } from 'hono';
import { createStorageFetch, encodeBase64 } from '@saferouter/tlog';
import type { AppEnv } from '../env.js';
import { ApiError } from '../errors.js';
import type { LogReader } from '@saferouter/audit';

const MAX_PAGE = 100;
const decoder = new TextDecoder();

function count(c: Context<AppEnv>, name: string, fallback: number | undefined): number {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') {
    if (fallback === undefined)
      throw new ApiError(400, 'invalid_request_error', 'invalid_parameter', `Query parameter ${name} is required.`);
    return fallback;
  }
  if (!/^\d{1,15}$/.test(raw))
    throw new ApiError(
      400,
      'invalid_request_error',
      'invalid_parameter',
      `Query parameter ${name} must be a non-negative integer.`,
    );
  return Number(raw);
}

/** An entry as JSON when it is JSON (startup records are), else base64. */
function entryView(entry: Uint8Array): { record?: unknown; entry_base64: string } {
  try {
    return { record: JSON.parse(decoder.decode(entry)) as unknown, entry_base64: encodeBase64(entry) };
  } catch {
    return { entry_base64: encodeBase64(entry) };
  }
}

/**
 * @param reader the log's stored tiles and checkpoint
 * @param vkey the C2SP verifier key of the log key, published with each checkpoint
 */
export function transparencyRoutes(reader: LogReader, vkey: string): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const tiles = createStorageFetch(reader.storage);

  const latest = async () => {
    const head = await reader.latest();
    if (head === null)
      throw new ApiError(404, 'not_found_error', 'log_empty', 'The transparency log has no checkpoint yet.');
    return head;
  };
  const checkpointJson = (head: Awaited<ReturnType<typeof latest>>) => ({
    origin: head.opened.checkpoint.origin,
    size: head.size,
    root_hash: encodeBase64(head.opened.checkpoint.rootHash),
    note: head.note,
    vkey,
  });

  app.get('/', async (c) => {
    const head = await latest();
    const start = count(c, 'start', 0);
    const limit = Math.min(MAX_PAGE, Math.max(1, count(c, 'limit', 20)));
    const entries = start >= head.size ? [] : await reader.entries(start, limit, head.size);
    return c.json({
      size: head.size,
      checkpoint: checkpointJson(head),
      entries: entries.map((e) => ({ index: e.index, leaf_hash: encodeBase64(e.leafHash), ...entryView(e.entry) })),
      next_start: start + entries.length < head.size ? start + entries.length : null,
    });
  });

  app.get('/head', async (c) => {
    const head = await latest();
    c.header('cache-control', 'no-cache');
    if (c.req.query('format') === 'json') return c.json(checkpointJson(head));
    return c.text(head.note);
  });

  app.get('/consistency', async (c) => {
    const head = await latest();
    const from = count(c, 'from', undefined);
    const to = count(c, 'to', head.size);
    if (to > head.size)
      throw new ApiError(
        400,
        'invalid_request_error',
        'invalid_parameter',
        `to (${to}) is beyond the log's size (${head.size}).`,
      );
    if (from < 1 || from > to)
      throw new ApiError(
        400,
        'invalid_request_error',
        'invalid_parameter',
        `from must be between 1 and to (${to}); got ${from}.`,
      );
    const proof = await reader.consistencyProof(from, to);
    return c.json({ from, to, proof: proof.map(encodeBase64), checkpoint: checkpointJson(head) });
  });

  app.get('/checkpoint', async (c) => {
    const head = await latest();
    c.header('cache-control', 'no-cache');
    return c.text(head.note);
  });

  app.get('/tile/*', async (c) => {
    const path = c.req.path.slice(c.req.path.indexOf('/tile/') + 1);
    const data = await tiles(path);
    if (data === null) throw new ApiError(404, 'not_found_error', 'tile_not_found', `No such tile: ${path}.`);
    c.header('content-type', 'application/octet-stream');
    c.header('cache-control', path.includes('.p/') ? 'no-cache' : 'public, max-age=31536000, immutable');
    return c.body(data as Uint8Array<ArrayBuffer>);
  });

  app.get('/:index{[0-9]{1,15}}', async (c) => {
    const head = await latest();
    const index = Number(c.req.param('index'));
    const [entry] = index < head.size ? await reader.entries(index, 1, head.size) : [];
    if (entry === undefined)
      throw new ApiError(
        404,
        'not_found_error',
        'entry_not_found',
        `Entry ${c.req.param('index')} is beyond the log's size (${head.size}).`,
      );
    const proof = await reader.inclusionProof(index, head.size);
    return c.json({
      index,
      leaf_hash: encodeBase64(entry.leafHash),
      ...entryView(entry.entry),
      inclusion_proof: proof.map(encodeBase64),
      checkpoint: checkpointJson(head),
    });
  });

  return app;
}
