// Medians over rounds per (workload, target), and the latency added over direct.
import type { DropResult } from './drop-phase.js';
import type { MachineInfo } from '../machine.js';
import type { RunRecord } from './measure.js';
import type { PeakRecord } from './phases.js';
import { median, sum } from './stats.js';
import { TARGET_ORDER, type TargetName } from './targets.js';
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

export interface Results {
  readonly date: string;
  readonly command: string;
  readonly quick: boolean;
  readonly settings: { durationS: number; rounds: number; warmupS: number; phases: string[]; dropStreams: number };
  readonly machine: MachineInfo;
  readonly clkTck: number;
  readonly elapsedS: number;
  readonly testSuiteSeen: boolean;
  /** CPU used by processes outside the benchmark during the measured runs, % of one core. */
  readonly otherCpu: { readonly medianPct: number; readonly maxPct: number; readonly disturbedRuns: number };
  readonly notes: string[];
  readonly summaries: Summary[];
  readonly latencyAdded: LatencyAdded[];
  readonly drops: DropResult[];
  readonly runs: RunRecord[];
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
