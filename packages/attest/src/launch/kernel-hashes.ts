/**
 * The SEV hash table QEMU writes into the guest when it boots a kernel directly (-kernel,
 * -initrd, -append) under firmware that verifies them: SHA-256 of the command line (with its
 * NUL terminator), of the initrd and of the kernel, each under its GUID. OVMF checks the files it
 * loads against this table, and the table page is part of the launch digest, so the digest
 * covers the kernel, initrd and command line. The layout must match QEMU's byte for byte.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8 } from '../bytes.js';
import { launchError } from './fail.js';
import { PAGE_SIZE } from './gctx.js';
import { guidBytes } from './guid.js';

/** GUIDs of the table and its entries. */
export const SEV_HASH_GUID = {
  table: '9438d606-4f22-4cc9-b479-a793d411fd21',
  cmdline: '97d02dd8-bd20-4c94-aa78-e7714d36ab2a',
  initrd: '44baf731-3a2f-4bd7-9af1-41e29169781d',
  kernel: '4de79437-abd2-427f-b835-d5b172d2045b',
} as const;

/** What a direct kernel boot hands the guest. */
export interface KernelBoot {
  kernel: Uint8Array;
  /** Absent means no initrd, which hashes like an empty one. */
  initrd?: Uint8Array | undefined;
  /** The kernel command line; absent or '' both hash as a lone NUL. */
  append?: string | undefined;
}

// Header: GUID ‖ u16 length; entry: GUID ‖ u16 length ‖ SHA-256. QEMU pads the table to 16 bytes.
const ENTRY_LENGTH = 16 + 2 + 32;
const TABLE_LENGTH = 16 + 2 + 3 * ENTRY_LENGTH;
const PADDED_LENGTH = Math.ceil(TABLE_LENGTH / 16) * 16;

/**
 * The padded SEV hash table for `boot`.
 *
 * @example
 * sevHashTable({ kernel, initrd, append: 'console=ttyS0' }).length; // 176
 */
export function sevHashTable(boot: KernelBoot): Uint8Array {
  const table = new Uint8Array(PADDED_LENGTH);
  const view = new DataView(table.buffer);
  table.set(guidBytes(SEV_HASH_GUID.table), 0);
  view.setUint16(16, TABLE_LENGTH, true);
  const cmdline = utf8(`${boot.append ?? ''}\0`);
  const entries: [string, Uint8Array][] = [
    [SEV_HASH_GUID.cmdline, sha256(cmdline)],
    [SEV_HASH_GUID.initrd, sha256(boot.initrd ?? new Uint8Array(0))],
    [SEV_HASH_GUID.kernel, sha256(boot.kernel)],
  ];
  entries.forEach(([guid, hash], i) => {
    const at = 18 + i * ENTRY_LENGTH;
    table.set(guidBytes(guid), at);
    view.setUint16(at + 16, ENTRY_LENGTH, true);
    table.set(hash, at + 18);
  });
  return table;
}

/**
 * The page holding the hash table at `offsetInPage`, zeros around it.
 *
 * @throws {AttestationError} when the table would not fit in the page.
 */
export function sevHashPage(boot: KernelBoot, offsetInPage: number): Uint8Array {
  if (offsetInPage + PADDED_LENGTH > PAGE_SIZE)
    throw launchError(`the SEV hash table at page offset ${offsetInPage} would cross the page end`);
  const page = new Uint8Array(PAGE_SIZE);
  page.set(sevHashTable(boot), offsetInPage);
  return page;
}
