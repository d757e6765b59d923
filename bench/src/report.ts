/**
 * Turns load runs into the printed table, the gateway/bare ratios and the JSON record. Rounds of
 * the same target are summarized by their median: bare and gateway alternate, so a noisy moment
 * on the machine hits both sides instead of skewing one.
 */
import type { LoadResult } from './load.js';

export type Mode = 'non-stream' | 'stream';
/** `gateway-audit`: the gateway with every request committed to the audit log (SAFEROUTER_AUDIT_RATE=1). */
export type TargetName = 'upstream' | 'bare' | 'gateway' | 'gateway-audit';

export interface RunRecord {
  target: TargetName;
  mode: Mode;
  connections: number;
  round: number;
  warmup: LoadResult | undefined;
  measured: LoadResult;
  /** The target process's CPU time (user + system) per completed request of the measured run, µs (Linux). */
  cpuUsPerReq?: number | undefined;
}

export interface Row {
  target: TargetName;
  mode: Mode;
  connections: number;
  rounds: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

export interface Summary {
  ratioNonStream: number | undefined;
  ratioStream: number | undefined;
  addedP50Ms: number | undefined;
  addedP99Ms: number | undefined;
  /** The spread: each round's gateway figure against the bare proxy run just before it. */
  perRound: { nonStream: number[]; stream: number[]; addedP50Ms: number[] };
  /** The same ratios for the gateway at audit rate 1 (receipts are on in both). */
  audit?: {
    ratioNonStream: number | undefined;
    ratioStream: number | undefined;
    perRound: { nonStream: number[]; stream: number[] };
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Every problem in a run, warm-up included: a failing warm-up means a broken target, not noise. */
export function problemsOf(r: RunRecord): string[] {
  const out: string[] = [];
  const label = `${r.target} ${r.mode} @${r.connections} conn, round ${r.round}`;
  for (const [phase, res] of [
    ['warm-up', r.warmup],
    ['measured', r.measured],
  ] as const) {
    if (res === undefined) continue;
    if (res.non2xx > 0 || res.errors > 0) {
      const codes = Object.entries(res.statusCodes)
        .filter(([c]) => !c.startsWith('2'))
        .map(([c, n]) => `${c}×${n}`)
        .join(', ');
      out.push(
        `${label} (${phase}): ${res.non2xx} non-2xx${codes === '' ? '' : ` [${codes}]`}, ${res.errors} errors (${res.timeouts} timeouts)`,
      );
    }
    if (res.ok === 0) out.push(`${label} (${phase}): no successful response at all`);
  }
  return out;
}

export function rowsOf(runs: RunRecord[]): Row[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const k = `${r.target}|${r.mode}|${r.connections}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const first = g[0] as RunRecord;
    return {
      target: first.target,
      mode: first.mode,
      connections: first.connections,
      rounds: g.length,
      reqPerSec: median(g.map((r) => r.measured.reqPerSec)),
      p50Ms: median(g.map((r) => r.measured.p50Ms)),
      p99Ms: median(g.map((r) => r.measured.p99Ms)),
      non2xx: g.reduce((n, r) => n + r.measured.non2xx + (r.warmup?.non2xx ?? 0), 0),
      errors: g.reduce((n, r) => n + r.measured.errors + (r.warmup?.errors ?? 0), 0),
    };
  });
}

/** Per round: a gateway target vs the bare run of the same round, as `f(gateway, bare)`. */
function pairwise(
  runs: readonly RunRecord[],
  mode: Mode,
  connections: number,
  f: (g: LoadResult, b: LoadResult) => number,
  target: TargetName = 'gateway',
): number[] {
  const out: number[] = [];
  for (const g of runs) {
    if (g.target !== target || g.mode !== mode || g.connections !== connections) continue;
    const b = runs.find(
      (r) => r.target === 'bare' && r.mode === mode && r.connections === connections && r.round === g.round,
    );
    if (b !== undefined) out.push(f(g.measured, b.measured));
  }
  return out;
}

export function summarize(rows: Row[], loadConnections: number, runs: readonly RunRecord[] = []): Summary {
  const find = (t: TargetName, m: Mode, c: number): Row | undefined =>
    rows.find((r) => r.target === t && r.mode === m && r.connections === c);
  const ratio = (m: Mode, target: TargetName = 'gateway'): number | undefined => {
    const b = find('bare', m, loadConnections);
    const g = find(target, m, loadConnections);
    return b === undefined || g === undefined ? undefined : g.reqPerSec / b.reqPerSec;
  };
  const perSec = (g: LoadResult, b: LoadResult): number => g.reqPerSec / b.reqPerSec;
  const audited = rows.some((r) => r.target === 'gateway-audit');
  const b1 = find('bare', 'non-stream', 1);
  const g1 = find('gateway', 'non-stream', 1);
  return {
    ratioNonStream: ratio('non-stream'),
    ratioStream: ratio('stream'),
    addedP50Ms: b1 === undefined || g1 === undefined ? undefined : g1.p50Ms - b1.p50Ms,
    addedP99Ms: b1 === undefined || g1 === undefined ? undefined : g1.p99Ms - b1.p99Ms,
    perRound: {
      nonStream: pairwise(runs, 'non-stream', loadConnections, (g, b) => g.reqPerSec / b.reqPerSec),
      stream: pairwise(runs, 'stream', loadConnections, (g, b) => g.reqPerSec / b.reqPerSec),
      addedP50Ms: pairwise(runs, 'non-stream', 1, (g, b) => g.p50Ms - b.p50Ms),
    },
    ...(audited
      ? {
          audit: {
            ratioNonStream: ratio('non-stream', 'gateway-audit'),
            ratioStream: ratio('stream', 'gateway-audit'),
            perRound: {
              nonStream: pairwise(runs, 'non-stream', loadConnections, perSec, 'gateway-audit'),
              stream: pairwise(runs, 'stream', loadConnections, perSec, 'gateway-audit'),
            },
          },
        }
      : {}),
  };
}

/** What the second gateway is: `audit rate 1.0` by default; see run.ts for BENCH_SECOND. */
export const DEFAULT_SECOND_LABEL = 'audit rate 1.0';

function targetLabel(target: TargetName, secondLabel: string): string {
  if (target === 'upstream') return 'upstream (direct, reference)';
  if (target === 'bare') return 'bare proxy';
  return target === 'gateway' ? 'gateway' : `gateway, ${secondLabel}`;
}

export function formatTable(rows: Row[], secondLabel = DEFAULT_SECOND_LABEL): string {
  const header = ['target', 'mode', 'conns', 'runs', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors'];
  const body = rows.map((r) => [
    targetLabel(r.target, secondLabel),
    r.mode,
    String(r.connections),
    String(r.rounds),
    r.reqPerSec.toFixed(0),
    r.p50Ms.toFixed(2),
    r.p99Ms.toFixed(2),
    r.non2xx > 0 ? `${r.non2xx} !!` : '0',
    r.errors > 0 ? `${r.errors} !!` : '0',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const fmtRatio = (x: number | undefined): string => (x === undefined ? 'n/a (gateway skipped)' : x.toFixed(2));
const fmtAdded = (x: number | undefined): string =>
  x === undefined ? 'n/a' : `${x >= 0 ? '+' : '-'}${Math.abs(x).toFixed(2)} ms`;

const spread = (xs: number[], fmt: (x: number) => string): string =>
  xs.length === 0 ? '' : ` (per round: ${xs.map(fmt).join(', ')})`;

export function formatSummary(s: Summary, secondLabel = DEFAULT_SECOND_LABEL): string {
  return [
    `ratio gateway/bare (non-stream): ${fmtRatio(s.ratioNonStream)}${spread(s.perRound.nonStream, (x) => x.toFixed(2))}`,
    `ratio gateway/bare (stream): ${fmtRatio(s.ratioStream)}${spread(s.perRound.stream, (x) => x.toFixed(2))}`,
    `added latency @1 conn: p50 ${fmtAdded(s.addedP50Ms)}, p99 ${fmtAdded(s.addedP99Ms)}${spread(s.perRound.addedP50Ms, fmtAdded)}`,
    ...(s.audit === undefined
      ? []
      : [
          `ratio gateway/bare, ${secondLabel} (non-stream): ${fmtRatio(s.audit.ratioNonStream)}${spread(s.audit.perRound.nonStream, (x) => x.toFixed(2))}`,
          `ratio gateway/bare, ${secondLabel} (stream): ${fmtRatio(s.audit.ratioStream)}${spread(s.audit.perRound.stream, (x) => x.toFixed(2))}`,
        ]),
  ].join('\n');
}

/**
 * The first gateway against the second, round by round (they run interleaved, so machine noise
 * hits both): req/s of the first / the second, and each one's CPU per request. With
 * BENCH_SECOND=quiet the second runs with logs and metrics off, so 1 − the ratio is their cost.
 */
export function formatSecond(runs: readonly RunRecord[], connections: number, secondLabel: string): string {
  const lines: string[] = [];
  for (const mode of ['non-stream', 'stream'] as const) {
    const of = (t: TargetName): RunRecord[] =>
      runs.filter((r) => r.target === t && r.mode === mode && r.connections === connections);
    const second = of('gateway-audit');
    if (second.length === 0) continue;
    // Each round of the first against the same round of the second: req/s and CPU per request
    // (paired, so a slow stretch of the machine that raises both cancels out).
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    for (const g of of('gateway')) {
      const q = second.find((r) => r.round === g.round);
      if (q === undefined) continue;
      if (q.measured.reqPerSec > 0) ratios.push(g.measured.reqPerSec / q.measured.reqPerSec);
      if (g.cpuUsPerReq !== undefined && q.cpuUsPerReq !== undefined && q.cpuUsPerReq > 0)
        cpuRatios.push(g.cpuUsPerReq / q.cpuUsPerReq);
    }
    const cpuOf = (rs: RunRecord[]): number[] =>
      rs.flatMap((r) => (r.cpuUsPerReq === undefined ? [] : [r.cpuUsPerReq]));
    const [c1, c2] = [cpuOf(of('gateway')), cpuOf(second)];
    const cpuText =
      c1.length === 0 || c2.length === 0 || cpuRatios.length === 0
        ? ''
        : `; CPU per request ${Math.round(median(c1))} vs ${Math.round(median(c2))} µs, paired ratio ${median(cpuRatios).toFixed(3)}${spread(cpuRatios, (x) => x.toFixed(3))}`;
    lines.push(
      `ratio gateway / ${secondLabel} (${mode}): ${ratios.length === 0 ? 'n/a' : median(ratios).toFixed(3)}${spread(ratios, (x) => x.toFixed(3))}${cpuText}`,
    );
  }
  return lines.join('\n');
}
