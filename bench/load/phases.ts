// Phases A, B and drop of a run (the carry-over phase is in carry-over-phase.ts). Each
// starts its own proxy processes (so their VmHWM is that phase's peak), interleaves the
// targets round by round (rotating the order so no target always goes first, with
// switchyard and the lean peer back to back), and stops them again.
import type { ChildRegistry } from '../../tools/children.js';
import { dropPhase, type DropResult } from './drop-phase.js';
import type { FleetInfo, FleetKey } from './fleets.js';
import { measureRun, load, type RunRecord } from './measure.js';
import type { Options } from './options.js';
import type { PeakTracker } from './proc-stats.js';
import { directTarget, LEAN, type PeerName, startPeer, startSwitchyard, type Target } from './targets.js';
import { WORKLOADS, type Workload, type WorkloadId } from './workloads.js';
import { num } from '../../tools/table.js';
import { sleep } from '../../tools/wait.js';

export interface PeakRecord {
  readonly workload: WorkloadId;
  readonly target: string;
  /** VmHWM of the proxy process after the workload's rounds, MB. */
  readonly hwmMB: number;
}

export interface PhaseContext {
  readonly reg: ChildRegistry;
  readonly fleets: Readonly<Record<FleetKey, FleetInfo>>;
  /** The carry-over phase's backends: one FleetInfo per fleet of CARRY_FLEETS, one telemetry URL. */
  readonly carryFleets: readonly FleetInfo[];
  readonly backendPid: number;
  readonly opts: Options;
  readonly records: RunRecord[];
  /** Pair runs measured again because other processes disturbed them (not in the statistics). */
  readonly redone: RunRecord[];
  readonly peaks: PeakRecord[];
  /** Each proxy's peak RSS over the phase (VmHWM is reset per run). */
  readonly rss: PeakTracker;
  readonly drops: DropResult[];
  readonly notes: string[];
  log(msg: string): void;
  /** Throws when the run must end (Ctrl-C, a crashed child, the hard time limit). */
  check(): void;
}

export interface Entry {
  /** Replaced when the pair's processes are renewed (see PhaseTargets). */
  target: Target;
  readonly workload: Workload;
}

/**
 * A phase's targets. The pair's processes (switchyard and the lean peer) are replaced
 * by fresh ones at each new session; the peak RSS of the replaced ones is kept, so a
 * target's peak is still over the whole phase.
 */
export class PhaseTargets {
  private readonly retiredPeaks = new Map<string, number>();
  /** 1, then one more at every renewal. */
  session = 1;

  constructor(
    private readonly ctx: PhaseContext,
    private readonly fleets: readonly FleetInfo[],
    readonly list: Target[],
  ) {}

  /** Stops the pair's processes in `entries` and starts fresh ones, warmed up; entries are updated. */
  async renewPair(entries: readonly Entry[]): Promise<void> {
    this.session++;
    const old = [...new Set(entries.filter(inPair).map((e) => e.target))];
    for (const t of old) {
      if (t.child === null) continue;
      this.ctx.log(`  session ${this.session}: a fresh ${t.label}`);
      const peak = this.ctx.rss.note(t.child.pid);
      this.retiredPeaks.set(t.name, Math.max(peak, this.retiredPeaks.get(t.name) ?? 0));
      await this.ctx.reg.stop(t.child);
      const fresh =
        t.name === 'switchyard'
          ? await startSwitchyard(this.ctx.reg, this.fleets, 500)
          : await startPeer(this.ctx.reg, t.name as PeerName, this.fleets);
      this.list[this.list.indexOf(t)] = fresh;
      for (const e of entries) if (e.target === t) e.target = fresh;
    }
    await warmUp(
      this.ctx,
      entries.filter((e) => inPair(e)),
      this.ctx.opts.warmupS,
    );
  }

  peakOf(t: Target): number {
    return Math.max(t.child === null ? 0 : this.ctx.rss.note(t.child.pid), this.retiredPeaks.get(t.name) ?? 0);
  }
}

/** Other work above this (in % of one core) during a run is reported as a disturbance. */
export const OTHER_CPU_WARN_PCT = 15;

/** SSE runs end by cutting streams mid-way; let the backends finish those before the next run. */
function gapMs(w: Workload): number {
  return w.streaming ? 800 : 300;
}

export async function warmUp(ctx: PhaseContext, entries: readonly Entry[], durationS: number): Promise<void> {
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

/** Whether a run is one of the pair the streaming goals compare: switchyard or the lean peer. */
function inPair(e: Entry): boolean {
  return e.target.name === LEAN || (e.target.name === 'switchyard' && e.workload.id !== 'C');
}

/**
 * The order of one round. The lean peer and switchyard always run back to back (their
 * per-round ratio then compares runs seconds apart), lean first in odd rounds and
 * switchyard first in even ones; the other targets rotate, and the pair's place among
 * them moves from round to round, so no target always runs first or after a given one.
 * Rounds past opts.rounds run only the pair (and C, compared with switchyard's A).
 */
export function roundOrder<E extends Entry>(entries: readonly E[], round: number, everyTarget: boolean): E[] {
  const pair = entries.filter(inPair);
  const others = entries.filter((e) => !inPair(e) && (everyTarget || e.workload.id === 'C'));
  const block = round % 2 === 1 ? pair : [...pair].reverse();
  const shift = others.length === 0 ? 0 : (round - 1) % others.length;
  const rotated = [...others.slice(shift), ...others.slice(0, shift)];
  const at = (round - 1) % (rotated.length + 1);
  return [...rotated.slice(0, at), ...block, ...rotated.slice(at)];
}

export async function measure(
  ctx: PhaseContext,
  e: Entry,
  round: number,
  of: number,
  session: number,
): Promise<RunRecord> {
  ctx.check();
  ctx.log(`  [${e.workload.id} round ${round}/${of}] ${e.target.label} ...`);
  const record = await measureRun(e.target, e.workload, round, session, {
    backendPid: ctx.backendPid,
    childPids: () => ctx.reg.pids(),
    durationS: ctx.opts.durationS,
    progress: ctx.opts.progress,
    peaks: ctx.rss,
  });
  ctx.log(`    ${describe(record)}`);
  await sleep(gapMs(e.workload));
  return record;
}

/**
 * The rounds of some workloads' entries: every target in the first opts.rounds, the
 * pair (see roundOrder) up to `pairRounds`, in opts.sessions sessions of fresh pair
 * processes. A pair whose run saw other processes above OTHER_CPU_WARN_PCT of a core is
 * measured again (at most opts.maxRedos times per call); the runs it replaces are kept
 * in ctx.redone, not in the statistics.
 */
async function rounds(
  ctx: PhaseContext,
  entries: readonly Entry[],
  pairRounds: number,
  targets: PhaseTargets | null,
): Promise<void> {
  const n = ctx.opts.rounds;
  const total = Math.max(n, pairRounds);
  const perSession = targets === null ? total : Math.ceil(total / ctx.opts.sessions);
  let redos = 0;
  for (let round = 1; round <= total; round++) {
    if (targets !== null && round > 1 && (round - 1) % perSession === 0) await targets.renewPair(entries);
    const session = targets?.session ?? 1;
    const ordered = roundOrder(entries, round, round <= n);
    const records = new Map<Entry, RunRecord>();
    for (const e of ordered) records.set(e, await measure(ctx, e, round, total, session));
    for (;;) {
      const pair = ordered.filter(inPair);
      const disturbed = pair.some((e) => (records.get(e)?.otherCpuPct ?? 0) >= OTHER_CPU_WARN_PCT);
      if (!disturbed || pair.length < 2 || redos >= ctx.opts.maxRedos) break;
      redos++;
      ctx.log(`    other processes were busy during the pair's runs: measuring the pair of round ${round} again`);
      for (const e of pair) ctx.redone.push(records.get(e) as RunRecord);
      for (const e of round % 2 === 1 ? pair : [...pair].reverse()) {
        records.set(e, await measure(ctx, e, round, total, session));
      }
    }
    for (const e of ordered) ctx.records.push(records.get(e) as RunRecord);
  }
}

export function recordPeaks(
  ctx: PhaseContext,
  workload: WorkloadId,
  targets: readonly Target[],
  phase: PhaseTargets,
): void {
  for (const t of targets) {
    if (t.child === null) continue;
    ctx.peaks.push({ workload, target: t.name, hwmMB: phase.peakOf(t) });
  }
}

async function startProxies(ctx: PhaseContext, fleet: FleetInfo): Promise<Target[]> {
  ctx.log(`  starting proxies in front of the ${fleet.key} backends`);
  const wanted = ctx.opts.targets;
  const out: Target[] = [];
  if (wanted.has('direct')) out.push(directTarget(fleet));
  for (const peer of ['http-proxy', 'http-proxy-ka', 'undici-proxy', 'undici-stream'] as const) {
    if (wanted.has(peer)) out.push(await startPeer(ctx.reg, peer, [fleet]));
  }
  if (wanted.has('switchyard')) out.push(await startSwitchyard(ctx.reg, [fleet], 500));
  return out;
}

export async function stopProxies(ctx: PhaseContext, targets: readonly Target[]): Promise<void> {
  await Promise.all(targets.map((t) => (t.child === null ? undefined : ctx.reg.stop(t.child))));
}

/** Workloads A and C interleaved in the same rounds, then A-rate on the same processes. */
export async function phaseA(ctx: PhaseContext): Promise<void> {
  const w = ctx.opts.workloads;
  if (!w.has('A') && !w.has('C') && !w.has('A-rate')) return;
  ctx.log('phase A: workloads A, C and A-rate');
  const phase = new PhaseTargets(ctx, [ctx.fleets.fast], await startProxies(ctx, ctx.fleets.fast));
  const switchyardC =
    w.has('C') && ctx.opts.targets.has('switchyard') ? await startSwitchyard(ctx.reg, [ctx.fleets.wave], 100) : null;
  try {
    const entries: Entry[] = [
      ...(w.has('A') ? phase.list.map((target) => ({ target, workload: WORKLOADS.A })) : []),
      ...(switchyardC === null ? [] : [{ target: switchyardC, workload: WORKLOADS.C }]),
    ];
    if (entries.length > 0) {
      await warmUp(ctx, entries, ctx.opts.warmupS);
      await rounds(ctx, entries, ctx.opts.pairRounds, phase);
      recordPeaks(ctx, 'A', phase.list, phase);
      if (switchyardC !== null) recordPeaks(ctx, 'C', [switchyardC], phase);
    }
    if (w.has('A-rate')) {
      // Latency added over direct: its goals need no more rounds than every target gets.
      await rounds(
        ctx,
        phase.list.map((target) => ({ target, workload: WORKLOADS['A-rate'] })),
        ctx.opts.rounds,
        null,
      );
      recordPeaks(ctx, 'A-rate', phase.list, phase);
    }
  } finally {
    await stopProxies(ctx, switchyardC === null ? phase.list : [...phase.list, switchyardC]);
  }
}

/** SSE with 200, then 2,000 concurrent streams. */
export async function phaseB(ctx: PhaseContext): Promise<void> {
  const ids = (['B200', 'B2000'] as const).filter((id) => ctx.opts.workloads.has(id));
  if (ids.length === 0) return;
  ctx.log(
    `phase B: SSE streaming, ${ids.map((id) => WORKLOADS[id].connections.toLocaleString('en-US')).join(' and ')} concurrent streams`,
  );
  const phase = new PhaseTargets(ctx, [ctx.fleets.sse], await startProxies(ctx, ctx.fleets.sse));
  try {
    for (const id of ids) {
      const entries = phase.list.map((target) => ({ target, workload: WORKLOADS[id] }));
      await warmUp(ctx, entries, ctx.opts.warmupS);
      await rounds(ctx, entries, ctx.opts.pairRounds, phase);
      recordPeaks(ctx, id, phase.list, phase);
    }
  } finally {
    await stopProxies(ctx, phase.list);
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
