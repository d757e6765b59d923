/**
 * The verifier's vocabulary: the fixed check ids in the order they run, each check's title and
 * the two honest sentences a person reads (what a pass proves, and what it does not), and the
 * result shapes. Every text a page or the CLI shows about a check lives here and only here.
 */

/**
 * Every check id, in the order they are listed. Part of the public contract (pages, tests,
 * scripts). `tls-binding` is only present in Node runs against an https:// gateway, where the
 * TLS certificate can be seen (the CLI); a browser never lists it.
 */
export const CHECK_IDS = [
  'quote',
  'hardware',
  'binding',
  'tls-binding',
  'measurement',
  'startup-log',
  'log-consistency',
  'audit-log',
  'receipt',
] as const;

export type CheckId = (typeof CHECK_IDS)[number];

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

/** A finer result from a library the check composes (attest's `chain.ark`, tlog's `tiles.root`, …). */
export interface SubCheck {
  readonly id: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface VerifyCheck {
  readonly id: CheckId;
  readonly status: CheckStatus;
  readonly title: string;
  /** What a pass of this check proves. */
  readonly proves: string;
  /** What it does not prove, even when it passes. */
  readonly doesNotProve: string;
  /** What happened this run: the values compared, or why it failed or was skipped. */
  readonly detail: string;
  /** Wall time spent in this check, in milliseconds. */
  readonly ms: number;
  /** The composed libraries' own check results, when there are any. */
  readonly sub?: readonly SubCheck[];
}

export type Verdict = 'verified' | 'demo' | 'failed';

export interface GatewayVerification {
  /** No check failed (warnings allowed, unless `strict`). */
  readonly ok: boolean;
  /** `failed` when any check failed; else `demo` for the mock backend, `verified` for hardware. */
  readonly verdict: Verdict;
  readonly checks: readonly VerifyCheck[];
  /** The gateway URL verified (normalised, no trailing slash). */
  readonly gateway: string;
  /** The attested measurement (64 hex), when the quote bound one. */
  readonly measurement?: string;
  /** The attested X25519 sealing key (64 hex), the one EHBP requests are sealed to. */
  readonly sealingKey?: string;
  /** True only for verified AMD SEV-SNP evidence, never for the mock. */
  readonly hardware: boolean;
  /** The attestation backend the gateway answered with (`sev-snp`, `mock`), when known. */
  readonly backend?: string;
  /** Set when the gateway could not be reached at all (down, refused, timed out). */
  readonly unreachable?: true;
  /** ISO 8601 time the run started. */
  readonly startedAt: string;
  /** Wall time of the whole run, in milliseconds. */
  readonly ms: number;
}

interface CheckText {
  readonly title: string;
  readonly proves: string;
  readonly doesNotProve: string;
}

/** The title and the two sentences of each check. */
export const CHECK_TEXT: Readonly<Record<CheckId, CheckText>> = {
  quote: {
    title: 'Fresh attestation quote',
    proves:
      'The gateway answered a fresh 32-byte nonce chosen here from a CSPRNG with an attestation bundle of the expected shape.',
    doesNotProve: 'Nothing about the bundle is trusted yet; the checks below judge it.',
  },
  hardware: {
    title: 'AMD SEV-SNP hardware attestation',
    proves:
      "The report is signed by an AMD VCEK/VLEK whose chain ends at AMD's pinned root for this CPU family, with an acceptable TCB and guest policy (no debug unless allowed): the code runs in an SEV-SNP confidential VM.",
    doesNotProve:
      'Which code runs (see measurement), or that AMD firmware has no undisclosed flaw. A MOCK (demo) bundle is signed by a software key on the server itself and proves nothing about hardware.',
  },
  binding: {
    title: 'Keys and nonce bound to the report',
    proves:
      "The report's report_data commits to this run's nonce, the gateway's Ed25519 signing key, its X25519 sealing key and its measurement: the quote is fresh, not replayed, and the keys live inside the attested VM.",
    doesNotProve: 'That the keys have not leaked from inside the VM through a flaw in the attested code itself.',
  },
  'tls-binding': {
    title: 'TLS ends inside the attested build',
    proves:
      "The certificate on this verifier's TLS connection carries the key whose SubjectPublicKeyInfo hash the attestation report binds (a version-2 bundle): the TLS session ends inside the attested VM, not at a proxy, CDN or load balancer in front of it.",
    doesNotProve:
      "That the TLS private key never left the VM: until it is sealed to the VM it is a file in the gateway's data directory that the host can read, copy and use to impersonate the gateway. Browsers cannot run this check (page scripts cannot see the TLS certificate); they rely on EHBP, request bodies encrypted to the attested key, instead.",
  },
  measurement: {
    title: 'Build measurement',
    proves:
      'The attested measurement equals the one you expected: the gateway runs exactly the build (and catalog) you measured.',
    doesNotProve:
      "Which code that is, unless you computed the expected value yourself (`pnpm measure`) from source you trust; a value copied from the operator's page proves only that the operator says so. On SEV-SNP the hardware signs the VM's launch MEASUREMENT, not this value: the app measurement is the gateway's own claim unless the gateway is inside the measured launch (initrd, or dm-verity root hash on the measured command line) and you also pass the launch digest you computed (--expect-launch-measurement).",
  },
  'startup-log': {
    title: 'Startup in the transparency log',
    proves:
      "The log's checkpoint is signed by the log key, its tiles hash to that checkpoint's root, and an entry proven included names this signing key and this measurement with its own attestation: this start is on the public, append-only record.",
    doesNotProve:
      'That the log shows everyone the same history (see log-consistency), nor that starts of other builds were not hidden from an earlier view.',
  },
  'log-consistency': {
    title: 'Log consistency over time',
    proves:
      'The log checkpoint extends the one this verifier remembered (a valid consistency proof), so the history it showed before was not rewritten or rolled back. The first sight is trust on first use.',
    doesNotProve:
      'That other users see the same log: remembered checkpoints catch a fork shown to this verifier over time, not one shown only to others; that needs witnesses. On Postgres deployments the operator holds the log key and could fork the log; only consistency checks and witnesses catch that.',
  },
  'audit-log': {
    title: 'Audit log head',
    proves:
      "The audit log's head is signed by the same log key and extends the audit checkpoint this verifier remembered: sampled requests, once committed, stay committed.",
    doesNotProve:
      'That any particular request was sampled, or anything about what a request contained: entries hold salted commitments, never plaintext.',
  },
  receipt: {
    title: 'Response receipt',
    proves:
      'The receipt is signed by the signing key of an attested start in the log that runs this measurement; with your bytes, it proves what this build received, sent back and charged, and with its sample, that the request is committed in the audit log.',
    doesNotProve:
      'What the upstream model did: it proves what the attested build received, sent and charged, not that the provider really produced the text.',
  },
};
