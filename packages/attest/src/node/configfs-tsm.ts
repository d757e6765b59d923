/**
 * Gets an attestation report through the kernel's configfs-tsm interface (Linux ≥ 6.7):
 * `mkdir <root>/<entry>`, write the 64-byte report_data to `inblob`, read `outblob` (the report)
 * and `auxblob` (the host's certificate table). `generation` guards against another process
 * writing the same entry between our write and read. The root is configurable so tests can
 * point it at a plain directory tree.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertBytes } from '../validate.js';

export const DEFAULT_TSM_ROOT = '/sys/kernel/config/tsm/report';
export const SEV_GUEST_PROVIDER = 'sev_guest';

export interface TsmReport {
  outblob: Uint8Array;
  /** The certificate table, when the host supplied one (empty otherwise). */
  auxblob: Uint8Array;
  provider: string;
}

async function readOptional(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENODATA' || code === 'EINVAL') return undefined;
    throw error;
  }
}

async function readGeneration(dir: string): Promise<number | undefined> {
  const raw = await readOptional(join(dir, 'generation'));
  return raw === undefined ? undefined : Number.parseInt(new TextDecoder().decode(raw).trim(), 10);
}

/**
 * One report through configfs-tsm.
 *
 * @example
 * const { outblob, auxblob } = await requestTsmReport({ root: DEFAULT_TSM_ROOT, entry: 'saferouter', inblob: reportData });
 * @throws {RangeError} when `inblob` is not 64 bytes.
 * @throws {Error} when the provider is not sev_guest, the entry is written concurrently three
 *   times in a row, or outblob is missing.
 */
export async function requestTsmReport(input: { root: string; entry: string; inblob: Uint8Array }): Promise<TsmReport> {
  assertBytes(input.inblob, 'inblob', 64);
  const dir = join(input.root, input.entry);
  await mkdir(dir, { recursive: true });
  const providerRaw = await readOptional(join(dir, 'provider'));
  const provider = providerRaw === undefined ? '' : new TextDecoder().decode(providerRaw).trim();
  if (provider !== SEV_GUEST_PROVIDER) {
    throw new Error(
      `configfs-tsm at ${input.root} is served by '${provider || 'unknown'}', not '${SEV_GUEST_PROVIDER}': only AMD SEV-SNP guests are supported`,
    );
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = await readGeneration(dir);
    await writeFile(join(dir, 'inblob'), input.inblob);
    const outblob = await readOptional(join(dir, 'outblob'));
    const auxblob = (await readOptional(join(dir, 'auxblob'))) ?? new Uint8Array(0);
    const after = await readGeneration(dir);
    if (before !== undefined && after !== undefined && after !== before + 1) continue;
    if (outblob === undefined || outblob.length === 0) throw new Error(`configfs-tsm entry ${dir} returned no outblob`);
    return { outblob, auxblob, provider };
  }
  throw new Error(
    `configfs-tsm entry ${dir} was written by another process during three attempts; use a distinct entry name`,
  );
}
