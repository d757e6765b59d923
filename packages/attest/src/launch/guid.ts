/**
 * EFI GUIDs as firmware and QEMU store them: the first three fields little-endian, the last
 * eight bytes as written (Python's `uuid.bytes_le`).
 */

const GUID_RE = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/;

/** The 16 bytes of `guid` ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lowercase) in EFI order. */
export function guidBytes(guid: string): Uint8Array {
  const m = GUID_RE.exec(guid);
  if (m === null) throw new RangeError(`not a lowercase GUID: ${guid}`);
  const hex = [m[1], m[2], m[3], m[4], m[5]].join('');
  const be = new Uint8Array(16);
  for (let i = 0; i < 16; i++) be[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return Uint8Array.of(be[3]!, be[2]!, be[1]!, be[0]!, be[5]!, be[4]!, be[7]!, be[6]!, ...be.subarray(8));
}

/** The text form of the 16 EFI-order bytes at `bytes[offset…]`. */
export function guidText(bytes: Uint8Array, offset = 0): string {
  const b = bytes.subarray(offset, offset + 16);
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  const hex = order.map((i) => (b[i] ?? 0).toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
