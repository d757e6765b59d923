/**
 * The guest device, three ways:
 * - against the real kernel header: a C program compiled here prints sizeof/offsetof and the ioctl
 *   numbers from <linux/sev-guest.h> (skipped without a C compiler and linux-libc-dev);
 * - through the real FFI: koffi + libc open/ioctl/close on a missing path (ENOENT) and on a
 *   regular file, where the ioctl really runs and fails with ENOTTY;
 * - with a fake libc whose memory is plain JS, so firmware answers (report, key, exitinfo2 errors,
 *   statuses) drive the same code, and the addresses the device puts in the request are checked.
 * This machine is not an SEV-SNP guest: a successful SNP_GET_REPORT / SNP_GET_DERIVED_KEY on the
 * real /dev/sev-guest cannot run here and is not tested.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes.js';
import { AttestationError } from '../errors.js';
import { useTempDirs } from '../testing/temp-dir.js';
import { milanVcek } from '../testing/vectors.js';
import { derToPem } from '../x509/pem.js';
import type { FetchLike } from './kds.js';
import {
  DERIVED_KEY_REQUEST_LAYOUT,
  DERIVED_KEY_RESPONSE_LAYOUT,
  GUEST_REQUEST_LAYOUT,
  REPORT_REQUEST_LAYOUT,
  REPORT_RESPONSE_LAYOUT,
  SEALING_FIELD_SELECT,
  SNP_GET_DERIVED_KEY,
  SNP_GET_REPORT,
  SNP_GUEST_VMM_ERR_BUSY,
  SNP_GUEST_VMM_ERR_INVALID_LEN,
  decodeGuestRequest,
} from './sev-guest-abi.js';
import {
  openSevGuest,
  openSevGuestWith,
  sevGuestReportSource,
  type GuestLibc,
  type NativeBuffer,
} from './sev-guest-device.js';
import { createSevSnpBackend } from './sev-snp-backend.js';

const tempDir = useTempDirs();
const errno = constants.errno;

async function rejection(promise: Promise<unknown>): Promise<AttestationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(AttestationError.isInstance(error), String(error)).toBe(true);
  expect((error as AttestationError).check).toBe('backend');
  return error as AttestationError;
}

function thrown(fn: () => unknown): AttestationError {
  try {
    fn();
  } catch (error) {
    expect(AttestationError.isInstance(error), String(error)).toBe(true);
    return error as AttestationError;
  }
  throw new Error('expected a throw');
}

function hasCompilerAndHeader(): boolean {
  if (process.platform !== 'linux' || !existsSync('/usr/include/linux/sev-guest.h')) return false;
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('against the installed kernel header', () => {
  it.runIf(hasCompilerAndHeader())('sizes, offsets, ioctl numbers and VMM error codes match', async () => {
    const dir = await tempDir();
    const source = `
#include <stdio.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <linux/sev-guest.h>
#define S(t) sizeof(struct t)
#define O(t, f) offsetof(struct t, f)
int main(void) {
  printf("{\\"report\\":%lu,\\"key\\":%lu,", (unsigned long)SNP_GET_REPORT, (unsigned long)SNP_GET_DERIVED_KEY);
  printf("\\"guest\\":[%zu,%zu,%zu,%zu],", S(snp_guest_request_ioctl), O(snp_guest_request_ioctl, msg_version),
         O(snp_guest_request_ioctl, req_data), O(snp_guest_request_ioctl, resp_data));
#ifdef SNP_GUEST_VMM_ERR_SHIFT
  printf("\\"exit\\":[%zu,%zu,%zu,%d,%d,%d],", O(snp_guest_request_ioctl, exitinfo2), O(snp_guest_request_ioctl, fw_error),
         O(snp_guest_request_ioctl, vmm_error), SNP_GUEST_VMM_ERR_SHIFT, SNP_GUEST_VMM_ERR_INVALID_LEN, SNP_GUEST_VMM_ERR_BUSY);
#endif
  printf("\\"reportReq\\":[%zu,%zu,%zu,%zu],", S(snp_report_req), O(snp_report_req, user_data), O(snp_report_req, vmpl),
         O(snp_report_req, rsvd));
  printf("\\"reportResp\\":%zu,\\"keyResp\\":%zu,", S(snp_report_resp), S(snp_derived_key_resp));
  printf("\\"keyReq\\":[%zu,%zu,%zu,%zu,%zu,%zu,%zu]}", S(snp_derived_key_req), O(snp_derived_key_req, root_key_select),
         O(snp_derived_key_req, rsvd), O(snp_derived_key_req, guest_field_select), O(snp_derived_key_req, vmpl),
         O(snp_derived_key_req, guest_svn), O(snp_derived_key_req, tcb_version));
  return 0;
}
`;
    await writeFile(join(dir, 'probe.c'), source);
    execFileSync('cc', ['-o', join(dir, 'probe'), join(dir, 'probe.c')], { stdio: 'pipe' });
    const c = JSON.parse(execFileSync(join(dir, 'probe'), { encoding: 'utf8' })) as Record<string, number | number[]>;
    expect(c.report).toBe(SNP_GET_REPORT);
    expect(c.key).toBe(SNP_GET_DERIVED_KEY);
    const g = GUEST_REQUEST_LAYOUT;
    expect(c.guest).toEqual([g.size, g.msgVersion, g.reqData, g.respData]);
    if (c.exit !== undefined)
      expect(c.exit).toEqual([
        g.exitinfo2,
        g.fwError,
        g.vmmError,
        32,
        SNP_GUEST_VMM_ERR_INVALID_LEN,
        SNP_GUEST_VMM_ERR_BUSY,
      ]);
    const r = REPORT_REQUEST_LAYOUT;
    expect(c.reportReq).toEqual([r.size, r.userData, r.vmpl, r.reserved]);
    expect(c.reportResp).toBe(REPORT_RESPONSE_LAYOUT.size);
    expect(c.keyResp).toBe(DERIVED_KEY_RESPONSE_LAYOUT.size);
    const k = DERIVED_KEY_REQUEST_LAYOUT;
    expect(c.keyReq).toEqual([
      k.size,
      k.rootKeySelect,
      k.reserved,
      k.guestFieldSelect,
      k.vmpl,
      k.guestSvn,
      k.tcbVersion,
    ]);
  });
});

describe('through koffi and libc (real FFI, no SEV-SNP device)', () => {
  it.runIf(process.platform === 'linux')('a missing device: "not an SEV-SNP guest"', async () => {
    const path = join(await tempDir(), 'sev-guest');
    const error = await rejection(openSevGuest(path));
    expect(error.message).toContain(`cannot open ${path}: no ${path}: not an SEV-SNP guest`);
  });

  it.runIf(process.platform === 'linux')(
    'a regular file opens, but the ioctl fails with ENOTTY, explained',
    async () => {
      const path = join(await tempDir(), 'not-a-device');
      await writeFile(path, '');
      const device = await openSevGuest(path);
      expect(device.path).toBe(path);
      const report = thrown(() => device.getReport(new Uint8Array(64)));
      expect(report.message).toMatch(
        new RegExp(
          `SNP_GET_REPORT on ${path} failed: ${path} does not support this ioctl: it is not the SEV-SNP guest device`,
        ),
      );
      expect(thrown(() => device.getDerivedKey()).message).toMatch(
        /SNP_GET_DERIVED_KEY on .* does not support this ioctl/,
      );
      expect(() => device.getReport(new Uint8Array(63))).toThrow(RangeError); // checked before any native call
      device.close();
      device.close();
      expect(thrown(() => device.getReport(new Uint8Array(64))).message).toMatch(/is closed/);
    },
  );

  it('rejects an empty path', async () => {
    await expect(openSevGuest('')).rejects.toThrow(RangeError);
  });
});

/** A libc whose "native" memory is JS arrays keyed by fake addresses, and whose ioctl is `answer`. */
function fakeLibc(answer: (request: number, guest: Uint8Array, memory: (address: bigint) => Uint8Array) => number) {
  const blocks = new Map<bigint, { bytes: Uint8Array; freed: boolean }>();
  let next = 0x7f00_0000_1000n;
  let lastErrno = 0;
  const calls: string[] = [];
  const libc: GuestLibc & { setErrno(n: number): void } = {
    open(path, flags) {
      calls.push(`open ${path} ${flags.toString(8)}`);
      return 7;
    },
    ioctl(fd, request, arg) {
      calls.push(`ioctl ${fd} ${request}`);
      const guest = blocks.get(arg)?.bytes;
      if (guest === undefined) throw new Error('ioctl argument is not an allocated block');
      return answer(request, guest, (address) => {
        const block = blocks.get(address);
        if (block === undefined || block.freed) throw new Error(`no live block at ${address}`);
        return block.bytes;
      });
    },
    close(fd) {
      calls.push(`close ${fd}`);
      return 0;
    },
    errno: () => lastErrno,
    setErrno(n) {
      lastErrno = n;
    },
    alloc(size): NativeBuffer {
      const address = next;
      next += 0x1000n;
      const block = { bytes: new Uint8Array(size), freed: false };
      blocks.set(address, block);
      return {
        address,
        bytes: block.bytes,
        free() {
          block.bytes.fill(0);
          block.freed = true;
        },
      };
    },
  };
  return { libc, blocks, calls };
}

/** Writes exitinfo2 into the guest request, as the kernel does on failure. */
function setExitInfo2(guest: Uint8Array, value: bigint): void {
  new DataView(guest.buffer, guest.byteOffset).setBigUint64(GUEST_REQUEST_LAYOUT.exitinfo2, value, true);
}

describe('with a fake libc', () => {
  it('getReport: passes msg_version 1, the request and response addresses, and returns the report', () => {
    const { report } = milanVcek();
    const reportData = crypto.getRandomValues(new Uint8Array(64));
    const seen: { userData?: string; vmpl?: number } = {};
    const fake = fakeLibc((request, guest, memory) => {
      expect(request).toBe(SNP_GET_REPORT);
      const g = decodeGuestRequest(guest);
      expect(g.msgVersion).toBe(1);
      const req = memory(g.reqData);
      const resp = memory(g.respData);
      expect(req.length).toBe(REPORT_REQUEST_LAYOUT.size);
      expect(resp.length).toBe(REPORT_RESPONSE_LAYOUT.size);
      seen.userData = toHex(req.subarray(0, 64));
      seen.vmpl = new DataView(req.buffer).getUint32(64, true);
      new DataView(resp.buffer).setUint32(4, report.length, true);
      resp.set(report, 32);
      return 0;
    });
    const device = openSevGuestWith(fake.libc, '/dev/fake-guest');
    const out = device.getReport(reportData, 1);
    expect(toHex(out)).toBe(toHex(report));
    expect(seen).toEqual({ userData: toHex(reportData), vmpl: 1 });
    expect(fake.calls[0]).toBe(`open /dev/fake-guest ${(0o2 | 0o2000000).toString(8)}`); // O_RDWR | O_CLOEXEC
    // Every buffer was released, zeroed.
    expect([...fake.blocks.values()].every((b) => b.freed && b.bytes.every((x) => x === 0))).toBe(true);
    device.close();
    expect(fake.calls.at(-1)).toBe('close 7');
  });

  it('getDerivedKey: sends the sealing request by default and returns the 32-byte key; buffers are wiped', () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const requests: { fieldSelect: bigint; rootKey: number; vmpl: number; svn: number; tcb: bigint }[] = [];
    const fake = fakeLibc((request, guest, memory) => {
      expect(request).toBe(SNP_GET_DERIVED_KEY);
      const g = decodeGuestRequest(guest);
      const req = new DataView(memory(g.reqData).buffer);
      requests.push({
        rootKey: req.getUint32(0, true),
        fieldSelect: req.getBigUint64(8, true),
        vmpl: req.getUint32(16, true),
        svn: req.getUint32(20, true),
        tcb: req.getBigUint64(24, true),
      });
      memory(g.respData).set(key, 32);
      return 0;
    });
    const device = openSevGuestWith(fake.libc);
    expect(toHex(device.getDerivedKey())).toBe(toHex(key));
    expect(requests[0]).toEqual({ rootKey: 0, fieldSelect: BigInt(SEALING_FIELD_SELECT), vmpl: 0, svn: 0, tcb: 0n });
    const custom = device.getDerivedKey({ vmpl: 1, rootKey: 'vmrk', fieldSelect: 0x21, guestSvn: 3, tcbVersion: 9n });
    expect(custom.length).toBe(32);
    expect(requests[1]).toEqual({ rootKey: 1, fieldSelect: 0x21n, vmpl: 1, svn: 3, tcb: 9n });
    expect([...fake.blocks.values()].every((b) => b.freed && b.bytes.every((x) => x === 0))).toBe(true);
    expect(() => device.getDerivedKey({ vmpl: 9 })).toThrow(RangeError);
    expect(fake.calls.filter((c) => c.startsWith('ioctl'))).toHaveLength(2);
  });

  it('a failed ioctl reports errno and exitinfo2 (VMM busy, firmware error)', () => {
    let exit = 0n;
    let code = 0;
    const fake = fakeLibc((_request, guest) => {
      setExitInfo2(guest, exit);
      fake.libc.setErrno(code);
      return -1;
    });
    const device = openSevGuestWith(fake.libc, '/dev/sev-guest');
    exit = BigInt(SNP_GUEST_VMM_ERR_BUSY) << 32n;
    code = errno.EIO;
    expect(thrown(() => device.getReport(new Uint8Array(64))).message).toMatch(
      /SNP_GET_REPORT on \/dev\/sev-guest failed: .*; the VMM was busy \(SNP_GUEST_VMM_ERR_BUSY\)$/,
    );
    exit = 0x16n;
    expect(thrown(() => device.getDerivedKey()).message).toMatch(
      /SNP_GET_DERIVED_KEY on \/dev\/sev-guest failed: .*firmware error INVALID_PARAM \(0x16\)$/,
    );
    exit = 0xffn;
    code = errno.EBADMSG;
    expect(thrown(() => device.getReport(new Uint8Array(64))).message).toMatch(/authentication.*VMPCK.*reboot/);
    expect([...fake.blocks.values()].every((b) => b.freed)).toBe(true);
  });

  it('a firmware status in the response (ioctl succeeded) fails clearly', () => {
    const fake = fakeLibc((request, guest, memory) => {
      const resp = memory(decodeGuestRequest(guest).respData);
      new DataView(resp.buffer).setUint32(0, request === SNP_GET_REPORT ? 0x16 : 0x27, true);
      return 0;
    });
    const device = openSevGuestWith(fake.libc);
    expect(thrown(() => device.getReport(new Uint8Array(64))).message).toMatch(
      /rejected the report request \(MSG_REPORT_REQ\): firmware error INVALID_PARAM \(0x16\)/,
    );
    expect(thrown(() => device.getDerivedKey()).message).toMatch(/INVALID_KEY \(0x27\)/);
  });

  it('an open failure is explained (EACCES)', () => {
    const fake = fakeLibc(() => 0);
    fake.libc.open = () => -1;
    fake.libc.setErrno(errno.EACCES);
    expect(thrown(() => openSevGuestWith(fake.libc, '/dev/sev-guest')).message).toMatch(
      /cannot open \/dev\/sev-guest: permission denied on \/dev\/sev-guest/,
    );
  });

  it('invalid arguments never reach the ioctl', () => {
    const fake = fakeLibc(() => {
      throw new Error('must not be called');
    });
    const device = openSevGuestWith(fake.libc);
    expect(() => device.getReport(new Uint8Array(65))).toThrow(/reportData|userData/);
    expect(() => device.getReport(new Uint8Array(64), 4)).toThrow(RangeError);
    expect(() => device.getDerivedKey({ fieldSelect: 0x80 })).toThrow(RangeError);
    expect(fake.blocks.size).toBe(0);
  });
});

describe('the ioctl as the SEV-SNP backend’s report source', () => {
  it('opens the device per report, returns no certificate table, and the backend fetches the VCEK', async () => {
    const { report, cert } = milanVcek();
    const fake = fakeLibc((_request, guest, memory) => {
      const resp = memory(decodeGuestRequest(guest).respData);
      new DataView(resp.buffer).setUint32(4, report.length, true);
      resp.set(report, 32);
      return 0;
    });
    const source = sevGuestReportSource('/dev/fake', { open: async (path) => openSevGuestWith(fake.libc, path) });
    expect(source.name).toBe('/dev/fake');
    const urls: string[] = [];
    const fetch: FetchLike = async (url) => {
      urls.push(url);
      return { ok: true, status: 200, arrayBuffer: async () => cert.slice().buffer };
    };
    const backend = createSevSnpBackend({ dataDir: await tempDir(), fetch, product: 'Milan', source });
    const evidence = await backend.collect(new Uint8Array(64), new Uint8Array(32));
    expect(toHex(evidence.report)).toBe(toHex(report));
    expect(evidence.certChain[0]).toBe(derToPem(cert));
    expect(evidence.certChain).toHaveLength(3); // VCEK + pinned Milan ASK and ARK
    expect(urls).toHaveLength(1);
    expect(fake.calls.map((c) => c.split(' ')[0])).toEqual(['open', 'ioctl', 'close']);
  });

  it('names the device when it returns an unusable report', async () => {
    const fake = fakeLibc((_request, guest, memory) => {
      new DataView(memory(decodeGuestRequest(guest).respData).buffer).setUint32(4, 100, true);
      return 0;
    });
    const source = sevGuestReportSource('/dev/fake', { open: async (path) => openSevGuestWith(fake.libc, path) });
    const backend = createSevSnpBackend({ dataDir: await tempDir(), source });
    await expect(backend.collect(new Uint8Array(64), new Uint8Array(32))).rejects.toThrow(
      /\/dev\/fake returned an unusable report/,
    );
    expect(fake.calls.at(-1)).toBe('close 7'); // closed even on failure
  });
});
