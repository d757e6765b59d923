/**
 * The /dev/sev-guest byte contract: every struct's field offsets and size, recomputed here from
 * the C declarations in include/uapi/linux/sev-guest.h under x86-64 natural alignment (and the
 * firmware's MSG_REPORT_RSP / MSG_KEY_RSP), the ioctl numbers recomputed from Linux's _IOC bit
 * layout, round trips, and every error path. `sev-guest-device.test.ts` checks the same layouts
 * against the installed kernel header with a C compiler.
 */
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { AttestationError } from '../errors.js';
import { milanVcek } from '../testing/vectors.js';
import { toHex } from '../bytes.js';
import {
  decodeDerivedKeyResponse,
  decodeGuestRequest,
  decodeReportResponse,
  DERIVED_KEY_REQUEST_LAYOUT,
  DERIVED_KEY_RESPONSE_LAYOUT,
  encodeDerivedKeyRequest,
  encodeGuestRequest,
  encodeReportRequest,
  explainGuestError,
  firmwareStatusName,
  GUEST_FIELD,
  GUEST_REQUEST_LAYOUT,
  iowr,
  REPORT_REQUEST_LAYOUT,
  REPORT_RESPONSE_LAYOUT,
  ROOT_KEY,
  SEALING_FIELD_SELECT,
  SNP_GET_DERIVED_KEY,
  SNP_GET_REPORT,
  SNP_GUEST_VMM_ERR_BUSY,
  SNP_GUEST_VMM_ERR_INVALID_LEN,
  splitExitInfo2,
} from './sev-guest-abi.js';

/** A C field: scalar size (= its alignment on x86-64) and element count. */
type Field = [name: string, scalarSize: 1 | 4 | 8, count?: number];

/** Offsets and sizeof of a C struct under natural alignment, as GCC lays it out on x86-64. */
function cLayout(fields: Field[]): { offsets: Record<string, number>; size: number } {
  let offset = 0;
  let align = 1;
  const offsets: Record<string, number> = {};
  for (const [name, scalar, count = 1] of fields) {
    offset = Math.ceil(offset / scalar) * scalar;
    offsets[name] = offset;
    offset += scalar * count;
    align = Math.max(align, scalar);
  }
  return { offsets, size: Math.ceil(offset / align) * align };
}

// The C declarations, transcribed field by field.
const guestRequest = cLayout([
  ['msg_version', 1],
  ['req_data', 8],
  ['resp_data', 8],
  ['exitinfo2', 8], // union { __u64 exitinfo2; struct { __u32 fw_error; __u32 vmm_error; } }
]);
const reportReq = cLayout([
  ['user_data', 1, 64],
  ['vmpl', 4],
  ['rsvd', 1, 28],
]);
const derivedKeyReq = cLayout([
  ['root_key_select', 4],
  ['rsvd', 4],
  ['guest_field_select', 8],
  ['vmpl', 4],
  ['guest_svn', 4],
  ['tcb_version', 8],
]);
const reportResp = cLayout([['data', 1, 4000]]);
const derivedKeyResp = cLayout([['data', 1, 64]]);
// Firmware messages inside the response buffers (SEV-SNP ABI, MSG_REPORT_RSP / MSG_KEY_RSP).
const msgReportRsp = cLayout([
  ['status', 4],
  ['report_size', 4],
  ['reserved', 1, 24],
  ['report', 1, 0],
]);
const msgKeyRsp = cLayout([
  ['status', 4],
  ['reserved', 1, 28],
  ['derived_key', 1, 32],
]);

/** Linux asm-generic/ioctl.h: nr 8 bits, type 8, size 14, dir 2; _IOC_WRITE 1, _IOC_READ 2. */
function expectedIowr(type: string, nr: number, size: number): number {
  const nrShift = 0;
  const typeShift = nrShift + 8;
  const sizeShift = typeShift + 8;
  const dirShift = sizeShift + 14;
  const dir = 1 | 2;
  return Number(
    (BigInt(dir) << BigInt(dirShift)) |
      (BigInt(size) << BigInt(sizeShift)) |
      (BigInt(type.charCodeAt(0)) << BigInt(typeShift)) |
      (BigInt(nr) << BigInt(nrShift)),
  );
}

function u32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset, true);
}
function u64(bytes: Uint8Array, offset: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(offset, true);
}

function reportResponse(status: number, reportSize: number, report: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(4000);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, status, true);
  dv.setUint32(4, reportSize, true);
  out.set(report, 32);
  return out;
}

function expectBackendError(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(AttestationError.isInstance(caught), String(caught)).toBe(true);
  expect((caught as AttestationError).check).toBe('backend');
  expect((caught as Error).message).toMatch(message);
}

describe('struct layouts (include/uapi/linux/sev-guest.h, x86-64)', () => {
  it('snp_guest_request_ioctl: 32 bytes, u64 fields at 8/16/24, fw_error low and vmm_error high half', () => {
    expect(GUEST_REQUEST_LAYOUT).toEqual({
      msgVersion: guestRequest.offsets.msg_version,
      reqData: guestRequest.offsets.req_data,
      respData: guestRequest.offsets.resp_data,
      exitinfo2: guestRequest.offsets.exitinfo2,
      fwError: guestRequest.offsets.exitinfo2,
      vmmError: guestRequest.offsets.exitinfo2! + 4,
      size: guestRequest.size,
    });
    expect(guestRequest.size).toBe(32);
  });

  it('snp_report_req, snp_report_resp and MSG_REPORT_RSP', () => {
    expect(REPORT_REQUEST_LAYOUT).toEqual({
      userData: reportReq.offsets.user_data,
      vmpl: reportReq.offsets.vmpl,
      reserved: reportReq.offsets.rsvd,
      size: reportReq.size,
    });
    expect(REPORT_RESPONSE_LAYOUT).toEqual({
      status: msgReportRsp.offsets.status,
      reportSize: msgReportRsp.offsets.report_size,
      reserved: msgReportRsp.offsets.reserved,
      report: msgReportRsp.offsets.report,
      size: reportResp.size,
    });
  });

  it('snp_derived_key_req, snp_derived_key_resp and MSG_KEY_RSP', () => {
    expect(DERIVED_KEY_REQUEST_LAYOUT).toEqual({
      rootKeySelect: derivedKeyReq.offsets.root_key_select,
      reserved: derivedKeyReq.offsets.rsvd,
      guestFieldSelect: derivedKeyReq.offsets.guest_field_select,
      vmpl: derivedKeyReq.offsets.vmpl,
      guestSvn: derivedKeyReq.offsets.guest_svn,
      tcbVersion: derivedKeyReq.offsets.tcb_version,
      size: derivedKeyReq.size,
    });
    expect(DERIVED_KEY_RESPONSE_LAYOUT).toEqual({
      status: msgKeyRsp.offsets.status,
      reserved: msgKeyRsp.offsets.reserved,
      key: msgKeyRsp.offsets.derived_key,
      keyLength: 32,
      size: derivedKeyResp.size,
    });
    expect(msgKeyRsp.size).toBe(derivedKeyResp.size);
  });
});

describe('ioctl numbers', () => {
  it("are _IOWR('S', 0/1, struct snp_guest_request_ioctl)", () => {
    expect(SNP_GET_REPORT).toBe(expectedIowr('S', 0, guestRequest.size));
    expect(SNP_GET_DERIVED_KEY).toBe(expectedIowr('S', 1, guestRequest.size));
    expect(SNP_GET_REPORT).toBeGreaterThan(2 ** 31); // read|write direction sets the top bit
    expect(iowr(0x53, 2, 32)).toBe(expectedIowr('S', 2, 32)); // SNP_GET_EXT_REPORT, for completeness
  });

  it('rejects fields that do not fit their bits', () => {
    expect(() => iowr(0x100, 0, 32)).toThrow(RangeError);
    expect(() => iowr(0x53, 256, 32)).toThrow(RangeError);
    expect(() => iowr(0x53, 0, 0x4000)).toThrow(RangeError);
  });
});

describe('snp_guest_request_ioctl', () => {
  it('round-trips, msg_version 1 by default, padding zero', () => {
    const reqData = 0xffff_8000_0000_1000n;
    const respData = 0x7fff_ffff_f000n;
    const bytes = encodeGuestRequest({ reqData, respData });
    expect(bytes.length).toBe(32);
    expect(bytes[0]).toBe(1);
    expect([...bytes.subarray(1, 8)]).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(u64(bytes, 8)).toBe(reqData);
    expect(u64(bytes, 16)).toBe(respData);
    expect(u64(bytes, 24)).toBe(0n);
    expect(decodeGuestRequest(bytes)).toEqual({ msgVersion: 1, reqData, respData, exitinfo2: 0n });
    const withExit = encodeGuestRequest({ reqData: 1n, respData: 2n, msgVersion: 2, exitinfo2: (2n << 32n) | 0x16n });
    expect(u32(withExit, 24)).toBe(0x16); // fw_error
    expect(u32(withExit, 28)).toBe(2); // vmm_error
    expect(decodeGuestRequest(withExit)).toMatchObject({ msgVersion: 2, exitinfo2: (2n << 32n) | 0x16n });
  });

  it('rejects a zero msg_version, non-bigint or out-of-range addresses, and short buffers', () => {
    expect(() => encodeGuestRequest({ reqData: 1n, respData: 2n, msgVersion: 0 })).toThrow(RangeError);
    expect(() => encodeGuestRequest({ reqData: -1n, respData: 2n })).toThrow(RangeError);
    expect(() => encodeGuestRequest({ reqData: 1n, respData: 1n << 64n })).toThrow(RangeError);
    expect(() => encodeGuestRequest({ reqData: 1 as unknown as bigint, respData: 2n })).toThrow(TypeError);
    expect(() => decodeGuestRequest(new Uint8Array(31))).toThrow(/bytes must be 32 bytes/);
  });

  it('splits exitinfo2: firmware error in bits 31:0, VMM error in bits 63:32', () => {
    expect(splitExitInfo2((BigInt(SNP_GUEST_VMM_ERR_BUSY) << 32n) | 0x27n)).toEqual({ fwError: 0x27, vmmError: 2 });
    expect(splitExitInfo2(0xffffffffn)).toEqual({ fwError: 0xffffffff, vmmError: 0 });
    expect(() => splitExitInfo2(-1n)).toThrow(RangeError);
  });
});

describe('SNP_GET_REPORT request and response', () => {
  it('encodes user_data at 0, vmpl at 64, reserved zero', () => {
    const userData = crypto.getRandomValues(new Uint8Array(64));
    const bytes = encodeReportRequest(userData, 2);
    expect(bytes.length).toBe(96);
    expect(toHex(bytes.subarray(0, 64))).toBe(toHex(userData));
    expect(u32(bytes, 64)).toBe(2);
    expect(bytes.subarray(68).every((b) => b === 0)).toBe(true);
    expect(u32(encodeReportRequest(userData), 64)).toBe(0);
  });

  it('rejects bad user_data and out-of-range vmpl', () => {
    expect(() => encodeReportRequest(new Uint8Array(63))).toThrow(/userData must be 64 bytes, got 63/);
    expect(() => encodeReportRequest(new Uint8Array(65))).toThrow(RangeError);
    expect(() => encodeReportRequest([0] as unknown as Uint8Array)).toThrow(TypeError);
    for (const vmpl of [-1, 4, 1.5]) expect(() => encodeReportRequest(new Uint8Array(64), vmpl)).toThrow(RangeError);
    expect(() => encodeReportRequest(new Uint8Array(64), '0' as unknown as number)).toThrow(TypeError);
  });

  it('returns a copy of report_size bytes after the 32-byte MSG_REPORT_RSP header', () => {
    const { report } = milanVcek();
    const response = reportResponse(0, report.length, report);
    const out = decodeReportResponse(response);
    expect(toHex(out)).toBe(toHex(report));
    response.fill(0);
    expect(toHex(out)).toBe(toHex(report)); // not a view of the response buffer
    const room = 4000 - 32;
    expect(decodeReportResponse(reportResponse(0, room)).length).toBe(room);
  });

  it('fails clearly on a firmware status, an empty report, or report_size past the buffer', () => {
    expectBackendError(() => decodeReportResponse(reportResponse(0x16, 1184)), /firmware error INVALID_PARAM \(0x16\)/);
    expectBackendError(() => decodeReportResponse(reportResponse(0x99, 1184)), /unknown status \(0x99\)/);
    expectBackendError(() => decodeReportResponse(reportResponse(0, 0)), /empty report/);
    expectBackendError(() => decodeReportResponse(reportResponse(0, 4000 - 31)), /report_size 3969 exceeds the 3968/);
    expectBackendError(() => decodeReportResponse(reportResponse(0, 0xffffffff)), /exceeds/);
    expect(() => decodeReportResponse(new Uint8Array(3999))).toThrow(/bytes must be 4000 bytes/);
  });
});

describe('SNP_GET_DERIVED_KEY request and response', () => {
  it('has the MSG_KEY_REQ GUEST_FIELD_SELECT bits, and seals to policy | measurement', () => {
    // SEV-SNP ABI, MSG_KEY_REQ: bit 0 GUEST_POLICY, 1 IMAGE_ID, 2 FAMILY_ID, 3 MEASUREMENT, 4 GUEST_SVN, 5 TCB_VERSION.
    const bits = { policy: 0, imageId: 1, familyId: 2, measurement: 3, guestSvn: 4, tcbVersion: 5 };
    for (const [name, bit] of Object.entries(bits)) expect(GUEST_FIELD[name as keyof typeof bits], name).toBe(2 ** bit);
    expect(SEALING_FIELD_SELECT).toBe(2 ** bits.policy + 2 ** bits.measurement);
    expect(ROOT_KEY).toEqual({ vcek: 0, vmrk: 1 });
  });

  it('encodes defaults: VCEK root, SEALING_FIELD_SELECT, VMPL 0, SVN 0, TCB 0', () => {
    const bytes = encodeDerivedKeyRequest();
    expect(bytes.length).toBe(32);
    expect(u32(bytes, 0)).toBe(ROOT_KEY.vcek);
    expect(u32(bytes, 4)).toBe(0);
    expect(u64(bytes, 8)).toBe(BigInt(SEALING_FIELD_SELECT));
    expect(u32(bytes, 16)).toBe(0);
    expect(u32(bytes, 20)).toBe(0);
    expect(u64(bytes, 24)).toBe(0n);
  });

  it('encodes every field at its offset', () => {
    const bytes = encodeDerivedKeyRequest({
      rootKey: 'vmrk',
      fieldSelect: 0x3f,
      vmpl: 3,
      guestSvn: 0xffffffff,
      tcbVersion: 0x0123456789abcdefn,
    });
    expect(u32(bytes, 0)).toBe(1);
    expect(u32(bytes, 4)).toBe(0);
    expect(u64(bytes, 8)).toBe(0x3fn);
    expect(u32(bytes, 16)).toBe(3);
    expect(u32(bytes, 20)).toBe(0xffffffff);
    expect(u64(bytes, 24)).toBe(0x0123456789abcdefn);
  });

  it('rejects reserved field bits and out-of-range values', () => {
    expect(() => encodeDerivedKeyRequest({ fieldSelect: 0x40 })).toThrow(/fieldSelect/); // bit 6 is not in message version 1
    expect(() => encodeDerivedKeyRequest({ fieldSelect: -1 })).toThrow(RangeError);
    expect(() => encodeDerivedKeyRequest({ vmpl: 4 })).toThrow(/vmpl/);
    expect(() => encodeDerivedKeyRequest({ guestSvn: 2 ** 32 })).toThrow(/guestSvn/);
    expect(() => encodeDerivedKeyRequest({ tcbVersion: -1n })).toThrow(/tcbVersion/);
    expect(() => encodeDerivedKeyRequest({ tcbVersion: 1n << 64n })).toThrow(RangeError);
    expect(() => encodeDerivedKeyRequest({ tcbVersion: 5 as unknown as bigint })).toThrow(TypeError);
    expect(() => encodeDerivedKeyRequest({ rootKey: 'vlek' as 'vcek' })).toThrow(/rootKey/);
    expect(() => encodeDerivedKeyRequest({ rootKey: 'toString' as 'vcek' })).toThrow(/rootKey/);
    expect(() => encodeDerivedKeyRequest(null as unknown as object)).toThrow(TypeError);
  });

  it('returns a copy of the 32-byte key at offset 32; a status fails clearly', () => {
    const response = new Uint8Array(64);
    const key = crypto.getRandomValues(new Uint8Array(32));
    response.set(key, 32);
    response.fill(0xee, 4, 32); // reserved bytes are ignored
    const out = decodeDerivedKeyResponse(response);
    expect(toHex(out)).toBe(toHex(key));
    response.fill(0);
    expect(toHex(out)).toBe(toHex(key));
    const bad = new Uint8Array(64);
    new DataView(bad.buffer).setUint32(0, 0x27, true);
    expectBackendError(() => decodeDerivedKeyResponse(bad), /MSG_KEY_REQ.*INVALID_KEY \(0x27\)/);
    expect(() => decodeDerivedKeyResponse(new Uint8Array(32))).toThrow(/bytes must be 64 bytes/);
  });
});

describe('explainGuestError', () => {
  const e = constants.errno;

  it('says what each errno means for the sev-guest driver', () => {
    expect(explainGuestError(0n, e.ENOENT)).toMatch(/^no \/dev\/sev-guest: not an SEV-SNP guest/);
    expect(explainGuestError(0n, e.ENOENT, '/x/guest')).toMatch(/^no \/x\/guest: not an SEV-SNP guest/);
    expect(explainGuestError(0n, e.EACCES)).toMatch(/permission denied.*root/);
    expect(explainGuestError(0n, e.EPERM)).toMatch(/permission denied/);
    expect(explainGuestError(0xffn, e.ENOTTY)).toMatch(/not the SEV-SNP guest device.*VMPCK/);
    expect(explainGuestError(0n, e.EINVAL)).toMatch(/msg_version/);
    expect(explainGuestError(0n, e.ETIMEDOUT)).toMatch(/throttling/);
    expect(explainGuestError(0n, e.EBADMSG)).toMatch(/authentication.*reboot/);
    expect(explainGuestError(0n, e.EFAULT)).toMatch(/buffers/);
    expect(explainGuestError(0n, e.ENODEV)).toMatch(/no SEV-SNP guest driver/);
    expect(explainGuestError(0n, e.ENOSR)).toMatch(/sequence number/);
    expect(explainGuestError(0n, e.EIO)).toMatch(/guest request failed/);
    expect(explainGuestError(0n, e.EMFILE)).toBe(`EMFILE (${e.EMFILE})`);
    expect(explainGuestError(0n, 99999)).toBe('unknown errno (99999)');
  });

  it('adds the VMM and firmware errors from exitinfo2', () => {
    const vmm = (n: number) => BigInt(n) << 32n;
    expect(explainGuestError(vmm(SNP_GUEST_VMM_ERR_BUSY), e.EIO)).toMatch(
      /; the VMM was busy \(SNP_GUEST_VMM_ERR_BUSY\)$/,
    );
    expect(explainGuestError(vmm(SNP_GUEST_VMM_ERR_INVALID_LEN), e.EIO)).toMatch(/SNP_GUEST_VMM_ERR_INVALID_LEN/);
    expect(explainGuestError(0x16n, e.EIO)).toMatch(/; firmware error INVALID_PARAM \(0x16\)$/);
    expect(explainGuestError(vmm(7) | 0x27n, e.EIO)).toMatch(
      /VMM reported error 0x7; firmware error INVALID_KEY \(0x27\)$/,
    );
    expect(explainGuestError(0xffffffffn, e.EIO)).toMatch(/never reached the firmware/);
    expect(explainGuestError(0x16n, 0)).toBe('the guest request failed; firmware error INVALID_PARAM (0x16)');
    // 0 and the kernel's 0xff preset carry nothing.
    expect(explainGuestError(0xffn, e.EIO)).toBe(explainGuestError(0n, e.EIO));
  });

  it('names firmware statuses', () => {
    expect(firmwareStatusName(0)).toBe('SUCCESS (0x0)');
    expect(firmwareStatusName(0x16)).toBe('INVALID_PARAM (0x16)');
    expect(firmwareStatusName(0x1e)).toBe('unknown status (0x1e)');
  });
});
