// Medians over rounds per (workload, target), and the latency added over direct.
import type { DropResult } from './drop-phase.js';
import type { MachineInfo } from '../../tools/machine.js';
import type { RunRecord } from './measure.js';
import type { PeakRecord } from './phases.js';
import { median, medianInterval, quantile, sum } from './stats.js';
import { LEAN, TARGET_ORDER, type TargetName } from './targets.js';
import type { WorkloadId } from './workloads.js';

export interface Summary {
  readonly workload: WorkloadId;
  readonly target: TargetName;
  readonly rounds: number;
  readonly rps: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly proxyCpuUsPerReq: number | null;
  readonly backendCpuUsPerReq: number;
  readonly loadgenCpuUsPerReq: number;
  /** Summed over rounds. */
  readonly completed: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  /** VmHWM of the proxy process after the workload's rounds, MB (null for direct). */
  readonly peakRssMB: number | null;
  readonly planRebuildsPerS: number | null;
  readonly telemetryPollsPerS: number | null;
}

export interface LatencyAdded {
  readonly target: TargetName;
  /** Median over rounds of (target p50 - direct p50) in the same round, ms. */
  readonly p50AddedMs: number;
  readonly p99AddedMs: number;
  readonly perRound: ReadonlyArray<{ round: number; p50AddedMs: number; p99AddedMs: number }>;
}

/** What a ratio against the lean peer is taken of. */
export type RatioMetric = 'cpu' | 'rps' | 'p99' | 'peakRss';

export const RATIO_METRICS: Readonly<Record<RatioMetric, { label: string; of: (r: RunRecord) => number | null }>> = {
  cpu: { label: 'proxy CPU per request (stream)', of: (r) => r.proxyCpuUsPerReq },
  rps: { label: 'throughput', of: (r) => r.rps },
  p99: { label: 'p99 latency', of: (r) => r.p99 },
  peakRss: { label: 'peak RSS during the run', of: (r) => r.proxyHwmMB },
};

/**
 * A target's figure divided by the lean peer's in the same round (runs seconds apart,
 * see roundOrder), over the rounds both ran: the median, the spread of the per-round
 * ratios (interquartile range, min-max) and a distribution-free 95% interval of the
 * median (order statistics; its exact coverage).
 */
export interface RatioStat {
  readonly workload: WorkloadId;
  readonly target: TargetName;
  readonly metric: RatioMetric;
  readonly rounds: number;
  readonly median: number;
  readonly q1: number;
  readonly q3: number;
  readonly min: number;
  readonly max: number;
  readonly ciLow: number;
  readonly ciHigh: number;
  readonly ciCoverage: number;
  readonly perRound: ReadonlyArray<RoundRatio>;
  /** Median ratio of each session (fresh processes of the pair), in order. */
  readonly sessionMedians: readonly number[];
}

export interface RoundRatio {
  readonly round: number;
  readonly session: number;
  readonly ratio: number;
}

export function ratioStat(
  workload: WorkloadId,
  target: TargetName,
  metric: RatioMetric,
  perRound: ReadonlyArray<RoundRatio>,
): RatioStat {
  const sorted = perRound.map((x) => x.ratio).sort((a, b) => a - b);
  const ci = medianInterval(sorted);
  const sessions = [...new Set(perRound.map((x) => x.session))].sort((a, b) => a - b);
  return {
    workload,
    target,
    metric,
    rounds: sorted.length,
    median: median(sorted),
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    min: sorted[0] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
    ciLow: ci.low,
    ciHigh: ci.high,
    ciCoverage: ci.coverage,
    perRound,
    sessionMedians: sessions.map((k) => median(perRound.filter((x) => x.session === k).map((x) => x.ratio))),
  };
}

/** Every target against the lean peer, per workload and metric, from the same rounds. */
export function leanRatios(records: readonly RunRecord[]): RatioStat[] {
  const out: RatioStat[] = [];
  for (const workload of ['A', 'B200', 'B2000', 'B200-after-A'] as const) {
    const lean = new Map(records.filter((r) => r.workload === workload && r.target === LEAN).map((r) => [r.round, r]));
    if (lean.size === 0) continue;
    for (const target of TARGET_ORDER) {
      if (target === LEAN) continue;
      const rs = records.filter((r) => r.workload === workload && r.target === target);
      for (const metric of Object.keys(RATIO_METRICS) as RatioMetric[]) {
        // Memory is compared where a goal asks for it: switchyard, and every target at 2,000 streams.
        if (metric === 'peakRss' && target !== 'switchyard' && workload !== 'B2000') continue;
        const of = RATIO_METRICS[metric].of;
        const perRound: RoundRatio[] = [];
        for (const r of rs) {
          const base = lean.get(r.round);
          const a = of(r);
          const b = base === undefined ? null : of(base);
          if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) continue;
          perRound.push({ round: r.round, session: r.session, ratio: a / b });
        }
        if (perRound.length > 0) out.push(ratioStat(workload, target, metric, perRound));
      }
    }
  }
  return out;
}

export function findRatio(
  ratios: readonly RatioStat[],
  workload: WorkloadId,
  target: TargetName,
  metric: RatioMetric,
): RatioStat | undefined {
  return ratios.find((x) => x.workload === workload && x.target === target && x.metric === metric);
}

export interface Results {
  readonly date: string;
  readonly command: string;
  readonly quick: boolean;
  readonly settings: {
    durationS: number;
    rounds: number;
    pairRounds: number;
    sessions: number;
    carryRounds: number;
    warmupS: number;
    phases: string[];
    workloads: string[];
    targets: string[];
    dropStreams: number;
  };
  readonly machine: MachineInfo;
  readonly clkTck: number;
  readonly elapsedS: number;
  readonly testSuiteSeen: boolean;
  /** CPU used by processes outside the benchmark during the measured runs, % of one core. */
  readonly otherCpu: { readonly medianPct: number; readonly maxPct: number; readonly disturbedRuns: number };
  readonly notes: string[];
  readonly summaries: Summary[];
  readonly latencyAdded: LatencyAdded[];
  /** Every target against the lean peer, round by round. */
  readonly leanRatios: RatioStat[];
  readonly drops: DropResult[];
  readonly runs: RunRecord[];
  /** Pair runs measured again because other processes were busy during them. */
  readonly redone: RunRecord[];
}

export function summarise(records: readonly RunRecord[], peaks: readonly PeakRecord[]): Summary[] {
  const out: Summary[] = [];
  const workloads = [...new Set(records.map((r) => r.workload))];
  for (const workload of workloads) {
    for (const target of TARGET_ORDER) {
      const rs = records.filter((r) => r.workload === workload && r.target === target);
      if (rs.length === 0) continue;
      const peak = peaks.filter((p) => p.workload === workload && p.target === target).map((p) => p.hwmMB);
      const perS = (xs: ReadonlyArray<number | null>): number | null =>
        xs.every((x) => x === null) ? null : median(xs);
      out.push({
        workload,
        target,
        rounds: rs.length,
        rps: median(rs.map((r) => r.rps)),
        p50: median(rs.map((r) => r.p50)),
        p90: median(rs.map((r) => r.p90)),
        p99: median(rs.map((r) => r.p99)),
        p999: median(rs.map((r) => r.p999)),
        proxyCpuUsPerReq: target === 'direct' ? null : median(rs.map((r) => r.proxyCpuUsPerReq)),
        backendCpuUsPerReq: median(rs.map((r) => r.backendCpuUsPerReq)),
        loadgenCpuUsPerReq: median(rs.map((r) => r.loadgenCpuUsPerReq)),
        completed: sum(rs.map((r) => r.completed)),
        errors: sum(rs.map((r) => r.errors)),
        timeouts: sum(rs.map((r) => r.timeouts)),
        non2xx: sum(rs.map((r) => r.non2xx)),
        peakRssMB: peak.length === 0 ? null : Math.max(...peak),
        planRebuildsPerS: perS(rs.map((r) => r.planRebuildsPerS)),
        telemetryPollsPerS: perS(rs.map((r) => r.telemetryPollsPerS)),
      });
    }
  }
  return out;
}

export function latencyAdded(records: readonly RunRecord[]): LatencyAdded[] {
  const rate = records.filter((r) => r.workload === 'A-rate');
  const out: LatencyAdded[] = [];
  for (const target of TARGET_ORDER) {
    if (target === 'direct') continue;
    const perRound: Array<{ round: number; p50AddedMs: number; p99AddedMs: number }> = [];
    for (const r of rate.filter((x) => x.target === target)) {
      const direct = rate.find((x) => x.target === 'direct' && x.round === r.round);
      if (direct === undefined) continue;
      perRound.push({ round: r.round, p50AddedMs: r.p50 - direct.p50, p99AddedMs: r.p99 - direct.p99 });
    }
    if (perRound.length === 0) continue;
    out.push({
      target,
      p50AddedMs: median(perRound.map((x) => x.p50AddedMs)),
      p99AddedMs: median(perRound.map((x) => x.p99AddedMs)),
      perRound,
    });
  }
  return out;
}

export function find(summaries: readonly Summary[], workload: WorkloadId, target: TargetName): Summary | undefined {
  return summaries.find((s) => s.workload === workload && s.target === target);
}
