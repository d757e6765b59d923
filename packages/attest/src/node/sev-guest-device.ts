/**
 * The SEV-SNP guest device (`/dev/sev-guest`) through libc's open/ioctl/close, called with koffi.
 * koffi is imported lazily, on the first `openSevGuest`, so the browser entry and a gateway that
 * uses configfs-tsm or the mock never load a native module. The byte layouts live in
 * `sev-guest-abi.ts`; this file only owns native memory and the calls.
 *
 * Requests use memory from `koffi.alloc` (stable addresses the kernel reads and writes during the
 * ioctl), zeroed before it is freed so no derived key lingers in it. The ioctl is variadic, so it
 * runs synchronously on the calling thread: a firmware round trip takes milliseconds, but the
 * guest driver retries a request the VMM throttles for up to a minute, blocking the event loop.
 */
import type Koffi from 'koffi';
import { AttestationError } from '../errors.js';
import { assertNonEmptyString } from '../validate.js';
import {
  decodeDerivedKeyResponse,
  decodeGuestRequest,
  decodeReportResponse,
  DEFAULT_SEV_GUEST_PATH,
  DERIVED_KEY_RESPONSE_LAYOUT,
  encodeDerivedKeyRequest,
  encodeGuestRequest,
  encodeReportRequest,
  explainGuestError,
  REPORT_RESPONSE_LAYOUT,
  SNP_GET_DERIVED_KEY,
  SNP_GET_REPORT,
  type DerivedKeyRequest,
} from './sev-guest-abi.js';
import type { ReportSource } from './sev-snp-backend.js';

/** Native memory the kernel may read and write at `address` while a call runs. */
export interface NativeBuffer {
  readonly address: bigint;
  /** A view of the same memory. */
  readonly bytes: Uint8Array;
  /** Zeroes, then releases, the memory. */
  free(): void;
}

/**
 * The libc calls the device needs. `koffiLibc()` is the real one; tests pass a fake to drive
 * firmware answers through the same code.
 */
export interface GuestLibc {
  /** open(2); returns the fd or -1 (then `errno()` says why). */
  open(path: string, flags: number): number;
  /** ioctl(2) with a pointer argument; returns -1 on failure. */
  ioctl(fd: number, request: number, arg: bigint): number;
  close(fd: number): number;
  /** errno of the last failed call on this thread. */
  errno(): number;
  alloc(size: number): NativeBuffer;
}

/** Linux open(2) flags. */
const O_RDWR = 0o2;
const O_CLOEXEC = 0o2000000;

/** glibc first, then musl (Alpine), both x86-64 since SEV-SNP guests are. */
const LIBC_NAMES = ['libc.so.6', 'libc.musl-x86_64.so.1'];

let libcPromise: Promise<GuestLibc> | undefined;

async function loadKoffiLibc(): Promise<GuestLibc> {
  if (process.platform !== 'linux')
    throw new AttestationError('backend', `/dev/sev-guest exists only in Linux guests, not on ${process.platform}`);
  let koffi: typeof Koffi;
  try {
    koffi = (await import('koffi')).default;
  } catch (error) {
    throw new AttestationError(
      'backend',
      `cannot load koffi, the FFI used to reach /dev/sev-guest: ${(error as Error).message}`,
    );
  }
  let lib: ReturnType<typeof koffi.load> | undefined;
  const failures: string[] = [];
  for (const name of LIBC_NAMES) {
    try {
      lib = koffi.load(name);
      break;
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
    }
  }
  if (lib === undefined) throw new AttestationError('backend', `cannot load the C library (${failures.join('; ')})`);
  const open = lib.func('int open(const char *path, int flags, ...)');
  const ioctl = lib.func('int ioctl(int fd, unsigned long request, ...)');
  const close = lib.func('int close(int fd)');
  return {
    open: (path, flags) => open(path, flags) as number,
    ioctl: (fd, request, arg) => ioctl(fd, request, 'void *', arg) as number,
    close: (fd) => close(fd) as number,
    errno: () => koffi.errno(),
    alloc(size) {
      const address = koffi.alloc('uint8_t', size) as bigint;
      const bytes = new Uint8Array(koffi.view(address, size));
      bytes.fill(0);
      let live = true;
      return {
        address,
        bytes,
        free() {
          if (!live) return;
          live = false;
          bytes.fill(0);
          koffi.free(address);
        },
      };
    },
  };
}

/**
 * The real libc through koffi, loaded once.
 *
 * @throws {AttestationError} (check 'backend') off Linux, or when koffi or libc cannot be loaded.
 */
export function koffiLibc(): Promise<GuestLibc> {
  libcPromise ??= loadKoffiLibc().catch((error: unknown) => {
    libcPromise = undefined;
    throw error;
  });
  return libcPromise;
}

/** An open `/dev/sev-guest`. Calls are synchronous (see the file header). */
export interface SevGuestDevice {
  readonly path: string;
  /**
   * An attestation report (SNP_GET_REPORT) carrying `reportData`, for `vmpl` (default 0; at least
   * the guest's own VMPL). No certificate table comes with it.
   *
   * @throws {TypeError | RangeError} when `reportData` is not 64 bytes or `vmpl` is not 0–3.
   * @throws {AttestationError} (check 'backend') when the device, driver or firmware refuses.
   */
  getReport(reportData: Uint8Array, vmpl?: number): Uint8Array;
  /**
   * A 32-byte key the AMD secure processor derives from its root key and the selected launch
   * fields (SNP_GET_DERIVED_KEY). Default: VCEK root, `SEALING_FIELD_SELECT`, VMPL 0.
   *
   * @throws {TypeError | RangeError} for out-of-range options.
   * @throws {AttestationError} (check 'backend') when the device, driver or firmware refuses.
   */
  getDerivedKey(options?: DerivedKeyRequest): Uint8Array;
  /** Closes the fd; later calls throw. Idempotent. */
  close(): void;
}

/**
 * Opens the guest device with the given libc (the real one in `openSevGuest`).
 *
 * @throws {AttestationError} (check 'backend') when open(2) fails, with what the errno means.
 */
export function openSevGuestWith(libc: GuestLibc, path: string = DEFAULT_SEV_GUEST_PATH): SevGuestDevice {
  assertNonEmptyString(path, 'path');
  const opened = libc.open(path, O_RDWR | O_CLOEXEC);
  if (opened < 0) {
    const errno = libc.errno();
    throw new AttestationError('backend', `cannot open ${path}: ${explainGuestError(0n, errno, path)}`);
  }
  let fd: number | undefined = opened;

  function call(name: string, request: number, requestBytes: Uint8Array, responseSize: number): Uint8Array {
    if (fd === undefined) throw new AttestationError('backend', `${path} is closed`);
    const req = libc.alloc(requestBytes.length);
    const resp = libc.alloc(responseSize);
    const guest = libc.alloc(32);
    try {
      req.bytes.set(requestBytes);
      guest.bytes.set(encodeGuestRequest({ reqData: req.address, respData: resp.address }));
      const rc = libc.ioctl(fd, request, guest.address);
      // Read errno before anything else can touch it.
      const errno = rc < 0 ? libc.errno() : 0;
      const { exitinfo2 } = decodeGuestRequest(guest.bytes);
      if (rc < 0)
        throw new AttestationError(
          'backend',
          `${name} on ${path} failed: ${explainGuestError(exitinfo2, errno, path)}`,
        );
      return resp.bytes.slice();
    } finally {
      req.free();
      resp.free();
      guest.free();
    }
  }

  return {
    path,
    getReport(reportData, vmpl = 0) {
      const request = encodeReportRequest(reportData, vmpl);
      return decodeReportResponse(call('SNP_GET_REPORT', SNP_GET_REPORT, request, REPORT_RESPONSE_LAYOUT.size));
    },
    getDerivedKey(options = {}) {
      const request = encodeDerivedKeyRequest(options);
      const response = call('SNP_GET_DERIVED_KEY', SNP_GET_DERIVED_KEY, request, DERIVED_KEY_RESPONSE_LAYOUT.size);
      try {
        return decodeDerivedKeyResponse(response);
      } finally {
        response.fill(0);
      }
    },
    close() {
      if (fd === undefined) return;
      libc.close(fd);
      fd = undefined;
    },
  };
}

/**
 * Opens the SEV-SNP guest device through koffi (loaded now, not before).
 *
 * @example
 * const dev = await openSevGuest();
 * try { const key = dev.getDerivedKey(); } finally { dev.close(); }
 * @throws {AttestationError} (check 'backend'): "no /dev/sev-guest: not an SEV-SNP guest" when it is
 *   missing, a permission hint for EACCES, or why koffi/libc could not be loaded.
 */
export async function openSevGuest(path: string = DEFAULT_SEV_GUEST_PATH): Promise<SevGuestDevice> {
  assertNonEmptyString(path, 'path');
  return openSevGuestWith(await koffiLibc(), path);
}

/**
 * Reports for the SEV-SNP backend through SNP_GET_REPORT, opening the device for each report. No
 * certificate table comes with them, so the backend fetches (or reads its cached) VCEK.
 *
 * @example
 * createSevSnpBackend({ dataDir, fetch, source: sevGuestReportSource('/dev/sev-guest') });
 */
export function sevGuestReportSource(
  path: string = DEFAULT_SEV_GUEST_PATH,
  options: { vmpl?: number | undefined; open?: (path: string) => Promise<SevGuestDevice> } = {},
): ReportSource {
  assertNonEmptyString(path, 'path');
  const open = options.open ?? openSevGuest;
  return {
    name: path,
    async getReport(reportData) {
      const device = await open(path);
      try {
        return { report: device.getReport(reportData, options.vmpl), certTable: new Uint8Array(0) };
      } finally {
        device.close();
      }
    },
  };
}
