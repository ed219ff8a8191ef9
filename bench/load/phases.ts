// The three phases of a run. Each starts its own proxy processes (so their VmHWM is
// that phase's peak), interleaves the targets round by round (rotating the order so
// no target always goes first), and stops them again.
import type { ChildRegistry } from './children.js';
import { dropPhase, type DropResult } from './drop-phase.js';
import type { FleetInfo, FleetKey } from './fleets.js';
import { measureRun, load, type RunRecord } from './measure.js';
import type { Options } from './options.js';
import { memoryStatus } from './proc-stats.js';
import { directTarget, startPeer, startSwitchyard, type Target } from './targets.js';
import { WORKLOADS, type Workload, type WorkloadId } from './workloads.js';
import { num } from '../table.js';

export interface PeakRecord {
  readonly workload: WorkloadId;
  readonly target: string;
  /** VmHWM of the proxy process after the workload's rounds, MB. */
  readonly hwmMB: number;
}

export interface PhaseContext {
  readonly reg: ChildRegistry;
  readonly fleets: Readonly<Record<FleetKey, FleetInfo>>;
  readonly backendPid: number;
  readonly opts: Options;
  readonly records: RunRecord[];
  readonly peaks: PeakRecord[];
  readonly drops: DropResult[];
  readonly notes: string[];
  log(msg: string): void;
  /** Throws when the run must end (Ctrl-C, a crashed child, the hard time limit). */
  check(): void;
}

interface Entry {
  readonly target: Target;
  readonly workload: Workload;
}

/** Other work above this (in % of one core) during a run is reported as a disturbance. */
export const OTHER_CPU_WARN_PCT = 15;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** SSE runs end by cutting streams mid-way; let the backends finish those before the next run. */
function gapMs(w: Workload): number {
  return w.streaming ? 800 : 300;
}

async function warmUp(ctx: PhaseContext, entries: readonly Entry[], durationS: number): Promise<void> {
  if (durationS <= 0) return;
  for (const e of entries) {
    ctx.check();
    ctx.log(`  warm-up ${e.workload.id} -> ${e.target.label} (${durationS} s, not recorded)`);
    await load(e.target, e.workload, durationS, ctx.opts.progress);
    await sleep(gapMs(e.workload));
  }
}

function describe(r: RunRecord): string {
  const cpu =
    r.proxyCpuUsPerReq === null
      ? `backend ${num(r.backendCpuUsPerReq)} us/req`
      : `proxy ${num(r.proxyCpuUsPerReq)} us/req`;
  const bad = r.errors + r.non2xx > 0 ? `, ${r.errors} errors, ${r.non2xx} non-2xx` : '';
  const other =
    r.otherCpuPct >= OTHER_CPU_WARN_PCT ? ` (other processes used ${num(r.otherCpuPct, 2)}% of a core)` : '';
  return `${num(r.rps)} req/s, p50 ${num(r.p50)} ms, p99 ${num(r.p99)} ms, ${cpu}${bad}${other}`;
}

async function rounds(ctx: PhaseContext, entries: readonly Entry[]): Promise<void> {
  const { rounds: n, durationS } = ctx.opts;
  for (let round = 1; round <= n; round++) {
    const shift = (round - 1) % entries.length;
    const ordered = [...entries.slice(shift), ...entries.slice(0, shift)];
    for (const e of ordered) {
      ctx.check();
      ctx.log(`  [${e.workload.id} round ${round}/${n}] ${e.target.label} ...`);
      const record = await measureRun(e.target, e.workload, round, {
        backendPid: ctx.backendPid,
        childPids: () => ctx.reg.pids(),
        durationS,
        progress: ctx.opts.progress,
      });
      ctx.records.push(record);
      ctx.log(`    ${describe(record)}`);
      await sleep(gapMs(e.workload));
    }
  }
}

function recordPeaks(ctx: PhaseContext, workload: WorkloadId, targets: readonly Target[]): void {
  for (const t of targets) {
    if (t.child === null) continue;
    ctx.peaks.push({ workload, target: t.name, hwmMB: memoryStatus(t.child.pid).hwmMB });
  }
}

async function startProxies(ctx: PhaseContext, fleet: FleetInfo): Promise<Target[]> {
  ctx.log(`  starting proxies in front of the ${fleet.key} backends`);
  const httpProxy = await startPeer(ctx.reg, 'http-proxy', fleet);
  const httpProxyKa = await startPeer(ctx.reg, 'http-proxy-ka', fleet);
  const undici = await startPeer(ctx.reg, 'undici-proxy', fleet);
  const switchyard = await startSwitchyard(ctx.reg, fleet, 500);
  return [directTarget(fleet), httpProxy, httpProxyKa, undici, switchyard];
}

async function stopProxies(ctx: PhaseContext, targets: readonly Target[]): Promise<void> {
  await Promise.all(targets.map((t) => (t.child === null ? undefined : ctx.reg.stop(t.child))));
}

/** Workloads A and C interleaved in the same rounds, then A-rate on the same processes. */
export async function phaseA(ctx: PhaseContext): Promise<void> {
  ctx.log('phase A: workloads A, C and A-rate');
  const targets = await startProxies(ctx, ctx.fleets.fast);
  const switchyardC = await startSwitchyard(ctx.reg, ctx.fleets.wave, 100);
  try {
    const entries: Entry[] = [
      ...targets.map((target) => ({ target, workload: WORKLOADS.A })),
      { target: switchyardC, workload: WORKLOADS.C },
    ];
    await warmUp(ctx, entries, ctx.opts.warmupS);
    await rounds(ctx, entries);
    recordPeaks(ctx, 'A', targets);
    recordPeaks(ctx, 'C', [switchyardC]);
    await rounds(
      ctx,
      targets.map((target) => ({ target, workload: WORKLOADS['A-rate'] })),
    );
    recordPeaks(ctx, 'A-rate', targets);
  } finally {
    await stopProxies(ctx, [...targets, switchyardC]);
  }
}

/** SSE with 200, then 2,000 concurrent streams. */
export async function phaseB(ctx: PhaseContext): Promise<void> {
  ctx.log('phase B: SSE streaming, 200 and 2,000 concurrent streams');
  const targets = await startProxies(ctx, ctx.fleets.sse);
  try {
    for (const id of ['B200', 'B2000'] as const) {
      const entries = targets.map((target) => ({ target, workload: WORKLOADS[id] }));
      await warmUp(ctx, entries, ctx.opts.warmupS);
      await rounds(ctx, entries);
      recordPeaks(ctx, id, targets);
    }
  } finally {
    await stopProxies(ctx, targets);
  }
}

/** Fresh proxies (no pooled connections yet), one target at a time. */
export async function phaseDrop(ctx: PhaseContext): Promise<void> {
  ctx.log(`drop phase: ${ctx.opts.dropStreams} streams per target, each dropped by its client after the first chunk`);
  const targets = await startProxies(ctx, ctx.fleets.sse);
  try {
    const w = WORKLOADS.B200;
    for (const t of targets) {
      ctx.check();
      const r = await dropPhase(t, ctx.fleets.sse, w.path, w.body, ctx.opts.dropStreams, 150, 1500);
      ctx.drops.push(r);
      ctx.log(
        `  ${t.label}: ${r.dropped}/${r.streams} dropped; at +${r.deadlineMs} ms: ${r.backendInFlightAtDeadline} streams still generated, ` +
          `${r.upstreamConnsAtDeadline ?? 'n/a'} upstream connections; +${r.deadlineMs + r.laterMs} ms: ${r.upstreamConnsLater ?? 'n/a'} connections; ` +
          `backend served ${r.backendServed} / aborted ${r.backendAborted}`,
      );
      await sleep(300);
    }
  } finally {
    await stopProxies(ctx, targets);
  }
}
