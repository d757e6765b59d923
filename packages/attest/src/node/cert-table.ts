/**
 * The SEV-SNP extended-report certificate table (GHCB spec, "SNP Extended Guest Request"), as
 * configfs-tsm returns it in `auxblob`: 24-byte entries { GUID (16 bytes, in the order the GUID
 * is written), offset u32 LE, length u32 LE } ended by an all-zero entry; offsets count from the
 * start of the table.
 */
import { concatBytes, isAllZero, toHex } from '../bytes.js';

export const CERT_TABLE_GUIDS = {
  ark: 'c0b406a4-a803-4952-9743-3fb6014cd0ae',
  ask: '4ab7b379-bbac-4fe4-a02f-05aef327c782',
  vcek: '63da758d-e664-4564-adc5-f4b93be8accd',
  vlek: 'a8074bc2-a25a-483e-aae6-39c045a0b8a1',
} as const;

export type CertTableKind = keyof typeof CERT_TABLE_GUIDS;
const ENTRY = 24;

function guidText(bytes: Uint8Array): string {
  const h = toHex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function guidBytes(text: string): Uint8Array {
  return Uint8Array.from(text.replace(/-/g, '').match(/../g) ?? [], (b) => Number.parseInt(b, 16));
}

/**
 * The known certificates in a table (unknown GUIDs are skipped).
 *
 * @example
 * const certs = parseCertTable(auxblob); // { vcek: Uint8Array, ask: …, ark: … }
 * @throws {RangeError} when an entry points outside the table or the terminator is missing.
 */
export function parseCertTable(table: Uint8Array): Partial<Record<CertTableKind, Uint8Array>> {
  const out: Partial<Record<CertTableKind, Uint8Array>> = {};
  const dv = new DataView(table.buffer, table.byteOffset, table.byteLength);
  for (let pos = 0; ; pos += ENTRY) {
    if (pos + ENTRY > table.length) throw new RangeError('certificate table has no terminating all-zero entry');
    const entry = table.subarray(pos, pos + ENTRY);
    if (isAllZero(entry)) return out;
    const guid = guidText(entry.subarray(0, 16));
    const offset = dv.getUint32(pos + 16, true);
    const length = dv.getUint32(pos + 20, true);
    if (offset + length > table.length)
      throw new RangeError(`certificate table entry ${guid} points outside the table`);
    const kind = (Object.keys(CERT_TABLE_GUIDS) as CertTableKind[]).find((k) => CERT_TABLE_GUIDS[k] === guid);
    if (kind !== undefined && length > 0) out[kind] = table.slice(offset, offset + length);
  }
}

/**
 * Builds a table (what a host puts in auxblob); tests and tools use it to fake a host.
 *
 * @example
 * const auxblob = buildCertTable([{ kind: 'vcek', der: vcekDer }]);
 */
export function buildCertTable(entries: readonly { kind: CertTableKind; der: Uint8Array }[]): Uint8Array {
  const headerLength = (entries.length + 1) * ENTRY;
  const header = new Uint8Array(headerLength);
  const dv = new DataView(header.buffer);
  let offset = headerLength;
  entries.forEach((e, i) => {
    header.set(guidBytes(CERT_TABLE_GUIDS[e.kind]), i * ENTRY);
    dv.setUint32(i * ENTRY + 16, offset, true);
    dv.setUint32(i * ENTRY + 20, e.der.length, true);
    offset += e.der.length;
  });
  return concatBytes(header, ...entries.map((e) => e.der));
}
