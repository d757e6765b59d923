/**
 * What the VMM reads from an OVMF image before it starts an SEV-SNP guest: the GUIDed table at
 * the end of the firmware (just below the reset vector) and, through it, the SEV metadata that
 * lists the pages OVMF wants pre-populated (edk2 OvmfPkg/ResetVector/X64/OvmfSevMetadata.asm).
 * The firmware is mapped so that it ends at 4 GiB.
 */
import { launchError } from './fail.js';
import { isPageMultiple } from './gctx.js';
import { guidText } from './guid.js';

const FOUR_GIB = 0x1_0000_0000;

/** GUIDs of the footer table entries read here. */
export const OVMF_GUID = {
  footer: '96b582de-1fb2-45f7-baea-a366c55a082d',
  sevHashTable: '7255371f-3a3b-4b04-927b-1da6efa8d454',
  sevEsResetBlock: '00f771de-1a7e-4fcb-890e-68c77e2fb44e',
  sevMetadata: 'dc886566-984a-4798-a75e-5585a7bf67cc',
} as const;

/** Section types of the SEV metadata. */
export const SECTION_TYPE = {
  SNP_SEC_MEM: 1,
  SNP_SECRETS: 2,
  CPUID: 3,
  SVSM_CAA: 4,
  SNP_KERNEL_HASHES: 0x10,
} as const;

export type SectionTypeName = keyof typeof SECTION_TYPE;

/** One SEV metadata section: `size` bytes at guest-physical `gpa`. */
export interface OvmfSection {
  type: SectionTypeName;
  gpa: number;
  size: number;
}

/** The parts of an OVMF image that the launch digest depends on. */
export interface OvmfImage {
  /** The firmware bytes. */
  data: Uint8Array;
  /** Guest-physical address of its first byte (4 GiB minus its size). */
  gpa: number;
  /** Footer table entries by GUID (lowercase text), each entry's data without size and GUID. */
  table: ReadonlyMap<string, Uint8Array>;
  /** SEV metadata sections in firmware order (empty when the image has no SEV metadata). */
  sections: readonly OvmfSection[];
}

// A footer entry ends with its total size (u16) and its GUID; the table's own entry sits 32
// bytes before the end of the image, just in front of the reset vector.
const ENTRY_TRAILER = 2 + 16;
const FOOTER_FROM_END = 32 + ENTRY_TRAILER;
const METADATA_HEADER = 16;
const METADATA_ITEM = 12;

const u32 = (bytes: Uint8Array, offset: number): number =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, true);

/**
 * Reads the footer table and SEV metadata of `data`.
 *
 * @example
 * const image = parseOvmf(readFileSync('OVMF.fd'));
 * image.sections.map((s) => s.type); // ['SNP_SEC_MEM', 'SNP_SECRETS', 'CPUID', …]
 * @throws {AttestationError} when `data` is not whole pages, has no footer table, or its table or
 *   metadata is malformed.
 */
export function parseOvmf(data: Uint8Array): OvmfImage {
  if (!(data instanceof Uint8Array)) throw launchError('ovmf must be a Uint8Array');
  if (data.length === 0 || !isPageMultiple(data.length) || data.length > FOUR_GIB)
    throw launchError(`ovmf must be whole 4096-byte pages below 4 GiB (got ${data.length} bytes)`);
  const table = parseFooterTable(data);
  return { data, gpa: FOUR_GIB - data.length, table, sections: parseMetadata(data, table) };
}

function parseFooterTable(data: Uint8Array): Map<string, Uint8Array> {
  const footerAt = data.length - FOOTER_FROM_END;
  if (guidText(data, footerAt + 2) !== OVMF_GUID.footer)
    throw launchError(`ovmf has no footer table (GUID ${OVMF_GUID.footer} ${FOOTER_FROM_END} bytes from its end)`);
  const footerSize = data[footerAt]! | (data[footerAt + 1]! << 8);
  const tableSize = footerSize - ENTRY_TRAILER;
  if (tableSize < 0 || tableSize > footerAt) throw launchError(`ovmf footer table has a bad size (${footerSize})`);
  const table = new Map<string, Uint8Array>();
  let end = footerAt;
  const start = footerAt - tableSize;
  while (end - start >= ENTRY_TRAILER) {
    const trailer = end - ENTRY_TRAILER;
    const size = data[trailer]! | (data[trailer + 1]! << 8);
    if (size < ENTRY_TRAILER || size > end - start)
      throw launchError(`ovmf footer table entry at offset ${trailer} has a bad size (${size})`);
    table.set(guidText(data, trailer + 2), data.subarray(end - size, trailer));
    end -= size;
  }
  return table;
}

function parseMetadata(data: Uint8Array, table: ReadonlyMap<string, Uint8Array>): OvmfSection[] {
  const entry = table.get(OVMF_GUID.sevMetadata);
  if (entry === undefined) return [];
  if (entry.length < 4) throw launchError('ovmf SEV metadata entry is shorter than 4 bytes');
  const start = data.length - u32(entry, 0);
  if (start < 0 || start + METADATA_HEADER > data.length)
    throw launchError('ovmf SEV metadata offset points outside the image');
  const signature = String.fromCharCode(...data.subarray(start, start + 4));
  const size = u32(data, start + 4);
  const version = u32(data, start + 8);
  const count = u32(data, start + 12);
  if (signature !== 'ASEV') throw launchError(`ovmf SEV metadata has signature '${signature}', not 'ASEV'`);
  if (version !== 1) throw launchError(`ovmf SEV metadata version ${version} is not supported (only 1)`);
  if (start + size > data.length || METADATA_HEADER + count * METADATA_ITEM > size)
    throw launchError(`ovmf SEV metadata (${count} sections, ${size} bytes) does not fit the image`);
  const names = new Map<number, SectionTypeName>(
    Object.entries(SECTION_TYPE).map(([name, value]) => [value, name as SectionTypeName]),
  );
  const sections: OvmfSection[] = [];
  for (let i = 0; i < count; i++) {
    const at = start + METADATA_HEADER + i * METADATA_ITEM;
    const raw = u32(data, at + 8);
    const type = names.get(raw);
    if (type === undefined) throw launchError(`ovmf SEV metadata section ${i} has unknown type ${raw}`);
    sections.push({ type, gpa: u32(data, at), size: u32(data, at + 4) });
  }
  return sections;
}

/** The little-endian u32 at the start of footer entry `guid`, or undefined when there is none. */
export function tableU32(image: OvmfImage, guid: string): number | undefined {
  const entry = image.table.get(guid);
  if (entry === undefined) return undefined;
  if (entry.length < 4) throw launchError(`ovmf footer entry ${guid} is shorter than 4 bytes`);
  return u32(entry, 0);
}
