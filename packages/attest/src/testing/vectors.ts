/**
 * Test helper: finds the shared vectors (`$SAFEROUTER_VECTORS`, else `<repo>/../shared/vectors`)
 * and loads the SEV-SNP ones. Fails loudly when they are missing rather than skipping.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root (…/main). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The vectors directory. */
export function vectorsDir(): string {
  const dir = process.env.SAFEROUTER_VECTORS ?? resolve(REPO_ROOT, '../shared/vectors');
  if (!existsSync(join(dir, 'sev-snp'))) {
    throw new Error(
      `test vectors not found at ${dir}: set SAFEROUTER_VECTORS to the shared/vectors directory (it must contain sev-snp/)`,
    );
  }
  return dir;
}

/** Bytes of a file under vectors/sev-snp/. */
export function snpVector(path: string): Uint8Array {
  return new Uint8Array(readFileSync(join(vectorsDir(), 'sev-snp', path)));
}

/** Text of a file under vectors/sev-snp/. */
export function snpVectorText(path: string): string {
  return readFileSync(join(vectorsDir(), 'sev-snp', path), 'utf8');
}

/** The go-sev-guest Milan VCEK report (v2, DEBUG set, VMPL 0) and its VCEK. */
export function milanVcek(): { report: Uint8Array; cert: Uint8Array } {
  return { report: snpVector('go-sev-guest-milan/report.bin'), cert: snpVector('go-sev-guest-milan/vcek.der') };
}

/** The trustee Milan VLEK report (v3, VMPL 1), its VLEK and the ASK/ARK/ASVK PEM. */
export function milanVlek(): { report: Uint8Array; cert: Uint8Array; chain: string } {
  return {
    report: snpVector('trustee-milan-vlek/report.bin'),
    cert: snpVector('trustee-milan-vlek/vlek.der'),
    chain: snpVectorText('trustee-milan-vlek/ask_ark_asvk.pem'),
  };
}

/** A time inside every vector certificate's validity (the VLEK expired 2025-12-10). */
export const VECTOR_TIME = new Date('2025-06-01T00:00:00Z');

/** One case of sev-snp-measure/launch-digests.json (see its `fields` member). */
export interface LaunchDigestCase {
  name: string;
  vcpus: number;
  vcpuType: string | null;
  vmm: 'qemu' | 'ec2' | 'gce';
  /** A file name under vectors/sev-snp-measure/. */
  ovmf: string;
  /** '' = an empty file, null = not given. */
  kernel: string | null;
  initrd: string | null;
  append: string | null;
  guestFeatures: number;
  ovmfHash?: string;
  launchDigest?: string;
  error?: string;
}

/** The SEV-SNP launch digest vectors (from virtee/sev-snp-measure's tests). */
export function launchDigestVectors(): { cases: LaunchDigestCase[]; ovmfHashes: Record<string, string> } {
  const file = JSON.parse(readFileSync(join(vectorsDir(), 'sev-snp-measure', 'launch-digests.json'), 'utf8')) as Record<
    string,
    unknown
  > & { cases: LaunchDigestCase[] };
  const ovmfHashes: Record<string, string> = {};
  for (const [key, value] of Object.entries(file))
    if (key.startsWith('ovmfHashOf_') && typeof value === 'string') ovmfHashes[key.slice('ovmfHashOf_'.length)] = value;
  return { cases: file.cases, ovmfHashes };
}

/** Bytes of a file under vectors/sev-snp-measure/ ('' reads as an empty file, as the vectors mean it). */
export function launchVectorFile(name: string): Uint8Array {
  if (name === '') return new Uint8Array(0);
  return new Uint8Array(readFileSync(join(vectorsDir(), 'sev-snp-measure', name)));
}
