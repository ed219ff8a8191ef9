// One measured run: a workload against a target, with the CPU time and memory of the
// proxy process (and of the backends and the load generator) around it.
import { runAutocannon } from './autocannon-load.js';
import type { LoadResult } from './load-result.js';
import { runPaced } from './paced-load.js';
import {
  CLK_TCK,
  cpuTicks,
  machineBusyTicks,
  memoryStatus,
  type PeakTracker,
  resetPeakRss,
  ticksToMicros,
} from './proc-stats.js';
import { switchyardCounter, type Target, type TargetName } from './targets.js';
import type { Workload, WorkloadId } from './workloads.js';

export interface RunRecord extends LoadResult {
  readonly workload: WorkloadId;
  readonly target: TargetName;
  readonly round: number;
  /** Which processes of the pair ran it: 1 for the first, then one more at every restart (see --sessions). */
  readonly session: number;
  /** CPU time of the proxy process per completed request, us; null for direct. */
  readonly proxyCpuUsPerReq: number | null;
  /** CPU time of the backends process per completed request, us. */
  readonly backendCpuUsPerReq: number;
  /** CPU time of this process (the load generator) per completed request, us. */
  readonly loadgenCpuUsPerReq: number;
  /** VmRSS of the proxy process right after the run, MB. */
  readonly proxyRssMB: number | null;
  /** Peak RSS of the proxy process during this run (VmHWM reset before it), MB. */
  readonly proxyHwmMB: number | null;
  /** switchyard only: plan rebuilds and telemetry polls per second during the run. */
  readonly planRebuildsPerS: number | null;
  readonly telemetryPollsPerS: number | null;
  /**
   * CPU used by processes that are not part of this benchmark during the run, in % of
   * one core (machine busy time minus this process and its children): other work on a
   * shared machine.
   */
  readonly otherCpuPct: number;
  /** Why the latency figures are NaN, when they are. */
  readonly latencyDropped: string | null;
}

export interface RunContext {
  readonly backendPid: number;
  /** Every child of the run (idle proxies of the phase included). */
  readonly childPids: () => number[];
  readonly durationS: number;
  readonly progress: boolean;
  /** Keeps each proxy's peak over the phase while VmHWM is reset per run. */
  readonly peaks: PeakTracker;
}

export function load(target: Target, workload: Workload, durationS: number, progress: boolean): Promise<LoadResult> {
  if (workload.rate !== null) {
    return runPaced(
      {
        origin: target.origin,
        path: workload.path,
        body: workload.body,
        connections: workload.connections,
        rate: workload.rate,
        durationS,
      },
      progress,
    );
  }
  return runAutocannon(
    { url: target.origin + workload.path, body: workload.body, connections: workload.connections, durationS },
    progress,
  );
}

async function counters(target: Target): Promise<[number | null, number | null]> {
  if (target.name !== 'switchyard') return [null, null];
  return Promise.all([
    switchyardCounter(target, 'switchyard_plan_rebuilds_total'),
    switchyardCounter(target, 'switchyard_telemetry_polls_total'),
  ]);
}

function rate(a: number | null, b: number | null, seconds: number): number | null {
  return a === null || b === null ? null : (b - a) / seconds;
}

export async function measureRun(
  target: Target,
  workload: Workload,
  round: number,
  session: number,
  ctx: RunContext,
): Promise<RunRecord> {
  const pid = target.child?.pid ?? null;
  const [rebuilds0, polls0] = await counters(target);
  let perRunPeak = false;
  if (pid !== null) {
    ctx.peaks.note(pid);
    perRunPeak = resetPeakRss(pid);
  }
  const t0 = performance.now();
  const proxy0 = pid === null ? NaN : cpuTicks(pid);
  const backend0 = cpuTicks(ctx.backendPid);
  const self0 = process.cpuUsage();
  const pids = ctx.childPids();
  const ours0 = pids.map(cpuTicks);
  const machine0 = machineBusyTicks();

  const result = await load(target, workload, ctx.durationS, ctx.progress);

  const self1 = process.cpuUsage(self0);
  const machine1 = machineBusyTicks();
  const ours1 = pids.map(cpuTicks);
  const proxy1 = pid === null ? NaN : cpuTicks(pid);
  const backend1 = cpuTicks(ctx.backendPid);
  const mem = pid === null ? null : memoryStatus(pid);
  if (pid !== null) ctx.peaks.note(pid);
  const [rebuilds1, polls1] = await counters(target);
  const windowS = (performance.now() - t0) / 1000;
  let oursTicks = ((self1.user + self1.system) * CLK_TCK) / 1e6;
  ours0.forEach((t, i) => {
    const d = (ours1[i] ?? NaN) - t;
    if (Number.isFinite(d)) oursTicks += d;
  });
  const otherCpuPct = Math.max(0, ((machine1 - machine0 - oursTicks) / CLK_TCK / windowS) * 100);
  const n = Math.max(1, result.completed);
  const misTimed = workload.rate === null && target.closesClientConnections;
  const latency = misTimed ? { p50: NaN, p90: NaN, p99: NaN, p999: NaN, max: NaN, mean: NaN } : {};
  return {
    ...result,
    ...latency,
    otherCpuPct,
    latencyDropped: misTimed
      ? 'autocannon mis-times responses on connections the server closes after each response'
      : null,
    workload: workload.id,
    target: target.name,
    round,
    session,
    proxyCpuUsPerReq: pid === null ? null : ticksToMicros(proxy1 - proxy0) / n,
    backendCpuUsPerReq: ticksToMicros(backend1 - backend0) / n,
    loadgenCpuUsPerReq: (self1.user + self1.system) / n,
    proxyRssMB: mem?.rssMB ?? null,
    proxyHwmMB: perRunPeak ? (mem?.hwmMB ?? null) : null,
    planRebuildsPerS: rate(rebuilds0, rebuilds1, windowS),
    telemetryPollsPerS: rate(polls0, polls1, windowS),
  };
}
