/**
 * The byte-level contract of the Linux SEV-SNP guest device (`/dev/sev-guest`), from the kernel's
 * include/uapi/linux/sev-guest.h and the SEV-SNP firmware ABI (MSG_REPORT_REQ/RSP,
 * MSG_KEY_REQ/RSP): struct layouts, ioctl numbers, and what an error code means. Pure encoding and
 * decoding, no FFI, so every layout is testable on any machine; `sev-guest-device.ts` moves these
 * bytes through `ioctl(2)`. All integers are little-endian (x86-64, the only SEV-SNP guest ABI).
 */
import { constants } from 'node:os';
import { AttestationError } from '../errors.js';
import { assertBytes, assertOptionalInteger } from '../validate.js';

export const DEFAULT_SEV_GUEST_PATH = '/dev/sev-guest';

/** `SNP_REPORT_USER_DATA_SIZE`: the report_data the guest puts in a report. */
export const SNP_USER_DATA_SIZE = 64;

/**
 * `struct snp_guest_request_ioctl`: `__u8 msg_version` then three naturally aligned `__u64`
 * (`req_data`, `resp_data`, and the `exitinfo2` union whose low half is `fw_error` and high half
 * `vmm_error`), 32 bytes in all.
 */
export const GUEST_REQUEST_LAYOUT = {
  msgVersion: 0, // u8, then 7 bytes of padding
  reqData: 8, // u64 user address of the request struct
  respData: 16, // u64 user address of the response struct
  exitinfo2: 24, // u64 = fw_error (u32 at 24) | vmm_error (u32 at 28) << 32
  fwError: 24,
  vmmError: 28,
  size: 32,
} as const;

/** `struct snp_report_req`: user_data[64], vmpl u32, rsvd[28] (must be zero). */
export const REPORT_REQUEST_LAYOUT = { userData: 0, vmpl: 64, reserved: 68, size: 96 } as const;

/**
 * `struct snp_report_resp` is `data[4000]`, holding the firmware's MSG_REPORT_RSP: status u32,
 * report_size u32, 24 reserved bytes, then the report.
 */
export const REPORT_RESPONSE_LAYOUT = { status: 0, reportSize: 4, reserved: 8, report: 0x20, size: 4000 } as const;

/** `struct snp_derived_key_req` (the firmware's MSG_KEY_REQ, message version 1). */
export const DERIVED_KEY_REQUEST_LAYOUT = {
  rootKeySelect: 0, // u32
  reserved: 4, // u32, zero
  guestFieldSelect: 8, // u64
  vmpl: 16, // u32
  guestSvn: 20, // u32
  tcbVersion: 24, // u64
  size: 32,
} as const;

/** `struct snp_derived_key_resp` is `data[64]`: MSG_KEY_RSP status u32, 28 reserved, 32-byte key. */
export const DERIVED_KEY_RESPONSE_LAYOUT = { status: 0, reserved: 4, key: 0x20, keyLength: 32, size: 64 } as const;

/** The guest driver refuses msg_version 0; version 1 is the MSG_REPORT_REQ/MSG_KEY_REQ we encode. */
export const SNP_MSG_VERSION = 1;

const IOC_WRITE = 1;
const IOC_READ = 2;
/** `SNP_GUEST_REQ_IOC_TYPE`, the character 'S'. */
export const SNP_GUEST_REQ_IOC_TYPE = 0x53;

/**
 * Linux's `_IOWR(type, nr, size)` on x86-64: dir (2 bits) << 30 | size (14 bits) << 16 | type << 8
 * | nr.
 *
 * @example
 * iowr(0x53, 0, 32); // SNP_GET_REPORT
 * @throws {RangeError} when a field does not fit its bits.
 */
export function iowr(type: number, nr: number, size: number): number {
  assertOptionalInteger(type, 'type', 0, 0xff);
  assertOptionalInteger(nr, 'nr', 0, 0xff);
  assertOptionalInteger(size, 'size', 0, 0x3fff);
  // Multiplication, not <<, keeps the top bit from turning the number negative.
  return (IOC_READ | IOC_WRITE) * 2 ** 30 + size * 2 ** 16 + type * 2 ** 8 + nr;
}

/** `_IOWR('S', 0x0, struct snp_guest_request_ioctl)`. */
export const SNP_GET_REPORT = iowr(SNP_GUEST_REQ_IOC_TYPE, 0x0, GUEST_REQUEST_LAYOUT.size);
/** `_IOWR('S', 0x1, struct snp_guest_request_ioctl)`. */
export const SNP_GET_DERIVED_KEY = iowr(SNP_GUEST_REQ_IOC_TYPE, 0x1, GUEST_REQUEST_LAYOUT.size);

/**
 * MSG_KEY_REQ GUEST_FIELD_SELECT bits (SEV-SNP firmware ABI, message version 1): each set bit mixes
 * that launch-time value into the derived key. Bits 6 and up are reserved in version 1.
 */
export const GUEST_FIELD = {
  policy: 1 << 0,
  imageId: 1 << 1,
  familyId: 1 << 2,
  measurement: 1 << 3,
  guestSvn: 1 << 4,
  tcbVersion: 1 << 5,
} as const;
const FIELD_SELECT_MAX = 0x3f;

/**
 * The field-select mask for SafeRouter's sealing key: the launch MEASUREMENT and the guest POLICY
 * (0x09). The key changes when the launched image or its policy (debug, SMT, migration, ABI
 * minimum, …) changes, so only this build under this policy can re-derive it. The guest SVN and
 * TCB_VERSION bits stay clear so that, by intent, a firmware update does not change the key.
 */
export const SEALING_FIELD_SELECT = GUEST_FIELD.policy | GUEST_FIELD.measurement;

/** ROOT_KEY_SELECT: the chip-unique VCEK (0) or the VM root key VMRK (1, only with migration agents). */
export const ROOT_KEY = { vcek: 0, vmrk: 1 } as const;
export type RootKey = keyof typeof ROOT_KEY;

/** SEV firmware status codes (sev_ret_code in the kernel's include/uapi/linux/psp-sev.h). */
const FIRMWARE_STATUS: Readonly<Record<number, string>> = {
  0x00: 'SUCCESS',
  0x01: 'INVALID_PLATFORM_STATE',
  0x02: 'INVALID_GUEST_STATE',
  0x03: 'INVALID_CONFIG',
  0x04: 'INVALID_LEN',
  0x05: 'ALREADY_OWNED',
  0x06: 'INVALID_CERTIFICATE',
  0x07: 'POLICY_FAILURE',
  0x08: 'INACTIVE',
  0x09: 'INVALID_ADDRESS',
  0x0a: 'BAD_SIGNATURE',
  0x0b: 'BAD_MEASUREMENT',
  0x0c: 'ASID_OWNED',
  0x0d: 'INVALID_ASID',
  0x0e: 'WBINVD_REQUIRED',
  0x0f: 'DFFLUSH_REQUIRED',
  0x10: 'INVALID_GUEST',
  0x11: 'INVALID_COMMAND',
  0x12: 'ACTIVE',
  0x13: 'HWSEV_RET_PLATFORM',
  0x14: 'HWSEV_RET_UNSAFE',
  0x15: 'UNSUPPORTED',
  0x16: 'INVALID_PARAM',
  0x17: 'RESOURCE_LIMIT',
  0x18: 'SECURE_DATA_INVALID',
  0x19: 'INVALID_PAGE_SIZE',
  0x1a: 'INVALID_PAGE_STATE',
  0x1b: 'INVALID_MDATA_ENTRY',
  0x1c: 'INVALID_PAGE_OWNER',
  0x1d: 'AEAD_OFLOW',
  0x1f: 'EXIT_RING_BUFFER',
  0x20: 'RMP_INIT_REQUIRED',
  0x21: 'BAD_SVN',
  0x22: 'BAD_VERSION',
  0x23: 'SHUTDOWN_REQUIRED',
  0x24: 'UPDATE_FAILED',
  0x25: 'RESTORE_REQUIRED',
  0x26: 'RMP_INITIALIZATION_FAILED',
  0x27: 'INVALID_KEY',
};

/** Hints for the statuses a guest request can plausibly return. */
const FIRMWARE_HINT: Readonly<Record<number, string>> = {
  0x16: 'a request field is out of range (VMPL below the guest’s own, guest SVN or TCB above the launch/committed values, reserved bits set)',
  0x27: 'the selected root key is not available',
};

/** `SNP_GUEST_VMM_ERR_*`: the high 32 bits of exitinfo2. */
export const SNP_GUEST_VMM_ERR_INVALID_LEN = 1;
export const SNP_GUEST_VMM_ERR_BUSY = 2;
/** The kernel presets exitinfo2 to 0xff and keeps it when no request reached the firmware. */
const NO_FIRMWARE_CALL = 0xffn;
/** Older kernels used SEV_RET_NO_FW_CALL (-1) in fw_error. */
const NO_FIRMWARE_CALL_U32 = 0xffffffff;

function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

/**
 * A firmware status as `NAME (0x16)`.
 *
 * @example
 * firmwareStatusName(0x16); // 'INVALID_PARAM (0x16)'
 */
export function firmwareStatusName(status: number): string {
  const name = FIRMWARE_STATUS[status];
  return name === undefined ? `unknown status (${hex(status)})` : `${name} (${hex(status)})`;
}

function firmwareError(what: string, status: number): AttestationError {
  const hint = FIRMWARE_HINT[status];
  return new AttestationError(
    'backend',
    `the AMD secure processor rejected the ${what}: firmware error ${firmwareStatusName(status)}${hint ? `: ${hint}` : ''}`,
  );
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function assertU64(value: unknown, name: string): asserts value is bigint {
  if (typeof value !== 'bigint') throw new TypeError(`${name} must be a bigint`);
  if (value < 0n || value > 0xffffffffffffffffn) throw new RangeError(`${name} must fit in 64 unsigned bits`);
}

/** What `struct snp_guest_request_ioctl` holds. */
export interface GuestRequest {
  msgVersion: number;
  /** User address of the request struct. */
  reqData: bigint;
  /** User address of the response struct. */
  respData: bigint;
  /** `fw_error | vmm_error << 32`; zero on the way in. */
  exitinfo2: bigint;
}

/**
 * Encodes `struct snp_guest_request_ioctl` (32 bytes).
 *
 * @example
 * encodeGuestRequest({ reqData: reqAddress, respData: respAddress });
 * @throws {TypeError | RangeError} for a field that is not a u8/u64 of the right range.
 */
export function encodeGuestRequest(request: {
  reqData: bigint;
  respData: bigint;
  msgVersion?: number;
  exitinfo2?: bigint;
}): Uint8Array {
  const msgVersion = request.msgVersion ?? SNP_MSG_VERSION;
  assertOptionalInteger(msgVersion, 'msgVersion', 1, 0xff);
  assertU64(request.reqData, 'reqData');
  assertU64(request.respData, 'respData');
  const exitinfo2 = request.exitinfo2 ?? 0n;
  assertU64(exitinfo2, 'exitinfo2');
  const out = new Uint8Array(GUEST_REQUEST_LAYOUT.size);
  const dv = view(out);
  dv.setUint8(GUEST_REQUEST_LAYOUT.msgVersion, msgVersion);
  dv.setBigUint64(GUEST_REQUEST_LAYOUT.reqData, request.reqData, true);
  dv.setBigUint64(GUEST_REQUEST_LAYOUT.respData, request.respData, true);
  dv.setBigUint64(GUEST_REQUEST_LAYOUT.exitinfo2, exitinfo2, true);
  return out;
}

/**
 * Decodes `struct snp_guest_request_ioctl`, e.g. to read back exitinfo2 after the ioctl.
 *
 * @throws {RangeError} when `bytes` is not 32 bytes.
 */
export function decodeGuestRequest(bytes: Uint8Array): GuestRequest {
  assertBytes(bytes, 'bytes', GUEST_REQUEST_LAYOUT.size);
  const dv = view(bytes);
  return {
    msgVersion: dv.getUint8(GUEST_REQUEST_LAYOUT.msgVersion),
    reqData: dv.getBigUint64(GUEST_REQUEST_LAYOUT.reqData, true),
    respData: dv.getBigUint64(GUEST_REQUEST_LAYOUT.respData, true),
    exitinfo2: dv.getBigUint64(GUEST_REQUEST_LAYOUT.exitinfo2, true),
  };
}

/**
 * Splits exitinfo2 into the firmware error (bits 31:0) and the VMM error (bits 63:32).
 *
 * @example
 * splitExitInfo2(0x2_00000000n); // { fwError: 0, vmmError: 2 }
 */
export function splitExitInfo2(exitinfo2: bigint): { fwError: number; vmmError: number } {
  assertU64(exitinfo2, 'exitinfo2');
  return { fwError: Number(exitinfo2 & 0xffffffffn), vmmError: Number(exitinfo2 >> 32n) };
}

/**
 * Encodes `struct snp_report_req` (96 bytes).
 *
 * @example
 * encodeReportRequest(reportData); // VMPL 0
 * @throws {TypeError | RangeError} when `userData` is not 64 bytes or `vmpl` is not 0–3.
 */
export function encodeReportRequest(userData: Uint8Array, vmpl = 0): Uint8Array {
  assertBytes(userData, 'userData', SNP_USER_DATA_SIZE);
  assertOptionalInteger(vmpl, 'vmpl', 0, 3);
  const out = new Uint8Array(REPORT_REQUEST_LAYOUT.size);
  out.set(userData, REPORT_REQUEST_LAYOUT.userData);
  view(out).setUint32(REPORT_REQUEST_LAYOUT.vmpl, vmpl, true);
  return out;
}

/**
 * The report inside a `struct snp_report_resp` (a copy of `report_size` bytes).
 *
 * @example
 * const report = decodeReportResponse(resp); // 1184 bytes for a version 2/3/5 report
 * @throws {RangeError} when `bytes` is not 4000 bytes.
 * @throws {AttestationError} (check 'backend') when the firmware status is not SUCCESS, or
 *   report_size is zero or larger than the buffer.
 */
export function decodeReportResponse(bytes: Uint8Array): Uint8Array {
  assertBytes(bytes, 'bytes', REPORT_RESPONSE_LAYOUT.size);
  const dv = view(bytes);
  const status = dv.getUint32(REPORT_RESPONSE_LAYOUT.status, true);
  if (status !== 0) throw firmwareError('report request (MSG_REPORT_REQ)', status);
  const size = dv.getUint32(REPORT_RESPONSE_LAYOUT.reportSize, true);
  const room = REPORT_RESPONSE_LAYOUT.size - REPORT_RESPONSE_LAYOUT.report;
  if (size === 0) throw new AttestationError('backend', 'the firmware returned an empty report (report_size 0)');
  if (size > room)
    throw new AttestationError(
      'backend',
      `the firmware's report_size ${size} exceeds the ${room} bytes the response buffer holds`,
    );
  return bytes.slice(REPORT_RESPONSE_LAYOUT.report, REPORT_RESPONSE_LAYOUT.report + size);
}

/** What MSG_KEY_REQ mixes into a derived key. */
export interface DerivedKeyRequest {
  /** GUEST_FIELD_SELECT bits (`GUEST_FIELD`). Default `SEALING_FIELD_SELECT` (policy | measurement). */
  fieldSelect?: number | undefined;
  /** VMPL mixed into the key, at least the guest's own VMPL. Default 0. */
  vmpl?: number | undefined;
  /** Guest SVN mixed in when bit 4 is set; at most the SVN in the launch ID block. Default 0. */
  guestSvn?: number | undefined;
  /** TCB_VERSION mixed in when bit 5 is set; at most the committed TCB. Default 0. */
  tcbVersion?: bigint | undefined;
  /** Root key. Default 'vcek' (chip-unique). */
  rootKey?: RootKey | undefined;
}

/**
 * Encodes `struct snp_derived_key_req` (32 bytes).
 *
 * @example
 * encodeDerivedKeyRequest({}); // VCEK root, policy | measurement, VMPL 0
 * @throws {TypeError | RangeError} for a field out of range (fieldSelect beyond bit 5, vmpl not
 *   0–3, guestSvn not u32, tcbVersion not u64, unknown rootKey).
 */
export function encodeDerivedKeyRequest(request: DerivedKeyRequest = {}): Uint8Array {
  if (typeof request !== 'object' || request === null) throw new TypeError('request must be an object');
  const fieldSelect = request.fieldSelect ?? SEALING_FIELD_SELECT;
  const vmpl = request.vmpl ?? 0;
  const guestSvn = request.guestSvn ?? 0;
  const tcbVersion = request.tcbVersion ?? 0n;
  const rootKey = request.rootKey ?? 'vcek';
  assertOptionalInteger(fieldSelect, 'fieldSelect', 0, FIELD_SELECT_MAX);
  assertOptionalInteger(vmpl, 'vmpl', 0, 3);
  assertOptionalInteger(guestSvn, 'guestSvn', 0, 0xffffffff);
  assertU64(tcbVersion, 'tcbVersion');
  if (!Object.hasOwn(ROOT_KEY, rootKey)) throw new RangeError("rootKey must be 'vcek' or 'vmrk'");
  const out = new Uint8Array(DERIVED_KEY_REQUEST_LAYOUT.size);
  const dv = view(out);
  dv.setUint32(DERIVED_KEY_REQUEST_LAYOUT.rootKeySelect, ROOT_KEY[rootKey], true);
  dv.setBigUint64(DERIVED_KEY_REQUEST_LAYOUT.guestFieldSelect, BigInt(fieldSelect), true);
  dv.setUint32(DERIVED_KEY_REQUEST_LAYOUT.vmpl, vmpl, true);
  dv.setUint32(DERIVED_KEY_REQUEST_LAYOUT.guestSvn, guestSvn, true);
  dv.setBigUint64(DERIVED_KEY_REQUEST_LAYOUT.tcbVersion, tcbVersion, true);
  return out;
}

/**
 * The 32-byte key inside a `struct snp_derived_key_resp` (a copy).
 *
 * @throws {RangeError} when `bytes` is not 64 bytes.
 * @throws {AttestationError} (check 'backend') when the firmware status is not SUCCESS.
 */
export function decodeDerivedKeyResponse(bytes: Uint8Array): Uint8Array {
  assertBytes(bytes, 'bytes', DERIVED_KEY_RESPONSE_LAYOUT.size);
  const status = view(bytes).getUint32(DERIVED_KEY_RESPONSE_LAYOUT.status, true);
  if (status !== 0) throw firmwareError('key request (MSG_KEY_REQ)', status);
  return bytes.slice(
    DERIVED_KEY_RESPONSE_LAYOUT.key,
    DERIVED_KEY_RESPONSE_LAYOUT.key + DERIVED_KEY_RESPONSE_LAYOUT.keyLength,
  );
}

const ERRNO_NAME = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** What an errno from open(2)/ioctl(2) on the guest device means (sev-guest driver semantics). */
function errnoMeaning(errno: number, path: string): string {
  const e = constants.errno;
  switch (errno) {
    case e.ENOENT:
      return `no ${path}: not an SEV-SNP guest (or the sev-guest driver is not loaded)`;
    case e.EACCES:
    case e.EPERM:
      return `permission denied on ${path}: the device is normally root-only; run as root or grant this user access (e.g. a udev rule)`;
    case e.ENOTTY:
      return `${path} does not support this ioctl: it is not the SEV-SNP guest device, or the guest driver disabled its VMPCK key after an earlier failed request (reboot the guest)`;
    case e.ENODEV:
    case e.ENXIO:
      return `${path} exists but no SEV-SNP guest driver serves it`;
    case e.EINVAL:
      return 'the guest driver rejected the request (zero msg_version or a missing buffer)';
    case e.EFAULT:
      return 'the kernel could not read or write the request buffers';
    case e.EIO:
      return 'the guest request failed (message sequence number exhausted, or the host reported an error)';
    case e.ETIMEDOUT:
      return 'the VMM kept throttling the request for over a minute';
    case e.EBADMSG:
      return 'the firmware response failed authentication or did not match the request; the guest driver disabled its VMPCK key (reboot the guest)';
    case e.ENOSR:
      return 'the guest message sequence number is exhausted (reboot the guest)';
    default:
      return `${ERRNO_NAME.get(errno) ?? 'unknown errno'} (${errno})`;
  }
}

/** What exitinfo2 adds, or undefined when it carries nothing (0, or the kernel's "no call" preset). */
function exitInfoMeaning(exitinfo2: bigint): string | undefined {
  if (exitinfo2 === 0n || exitinfo2 === NO_FIRMWARE_CALL) return undefined;
  const { fwError, vmmError } = splitExitInfo2(exitinfo2);
  const parts: string[] = [];
  if (vmmError === SNP_GUEST_VMM_ERR_BUSY) parts.push('the VMM was busy (SNP_GUEST_VMM_ERR_BUSY)');
  else if (vmmError === SNP_GUEST_VMM_ERR_INVALID_LEN)
    parts.push('the VMM reported an invalid length (SNP_GUEST_VMM_ERR_INVALID_LEN)');
  else if (vmmError !== 0) parts.push(`the VMM reported error ${hex(vmmError)}`);
  if (fwError === NO_FIRMWARE_CALL_U32) parts.push('the request never reached the firmware');
  else if (fwError !== 0) parts.push(`firmware error ${firmwareStatusName(fwError)}`);
  return parts.join('; ');
}

/**
 * A clear sentence for a failed guest-device call: what the errno means for the sev-guest driver,
 * and what exitinfo2 says (firmware error in bits 31:0, VMM error in bits 63:32).
 *
 * @example
 * explainGuestError(0x16n, os.constants.errno.EIO); // '… ; firmware error INVALID_PARAM (0x16)'
 * explainGuestError(0x2_00000000n, os.constants.errno.EIO); // '…; the VMM was busy (SNP_GUEST_VMM_ERR_BUSY)'
 */
export function explainGuestError(exitinfo2: bigint, errno: number, path = DEFAULT_SEV_GUEST_PATH): string {
  const base = errno === 0 ? 'the guest request failed' : errnoMeaning(errno, path);
  const extra = exitInfoMeaning(exitinfo2);
  return extra === undefined ? base : `${base}; ${extra}`;
}
