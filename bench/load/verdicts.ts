// The data plane's goals, judged against the ratios measured in this run.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { num } from '../../tools/table.js';
import { REPO_ROOT } from '../../tools/paths.js';
import { OTHER_CPU_WARN_PCT } from './phases.js';
import { find, findRatio, type RatioMetric, type Results } from './summary.js';
import { LEAN } from './targets.js';
import type { WorkloadId } from './workloads.js';

export interface Verdict {
  readonly area: string;
  readonly target: string;
  readonly measured: string;
  /** null: not measured in this run. */
  readonly pass: boolean | null;
  /**
   * Goals judged on per-round ratios: whether the 95% interval of the median ratio lies
   * wholly on one side of the bound (the run resolves the question), or straddles it.
   */
  readonly resolved?: boolean;
}

/** A goal on the median of per-round ratios against the lean peer: ratio <= bound, or >= bound. */
function leanGoal(
  r: Results,
  area: string,
  workload: WorkloadId,
  metric: RatioMetric,
  op: '<=' | '>=',
  bound: number,
  what: string,
): Verdict {
  const x = findRatio(r.leanRatios, workload, 'switchyard', metric);
  const target = `${what} ${op} ${bound}x the lean undici proxy's (pool.stream)`;
  if (x === undefined) return { area, target, measured: 'n/a', pass: null };
  const ok = (v: number): boolean => (op === '<=' ? v <= bound : v >= bound);
  const pass = ok(x.median);
  const resolved = ok(x.ciLow) === ok(x.ciHigh);
  return {
    area,
    target,
    measured: `${num(x.median)}x: rounds ${num(x.min)}-${num(x.max)}, IQR ${num(x.q1)}-${num(x.q3)}, ${Math.round(x.ciCoverage * 100)}% interval of the median ${num(x.ciLow)}-${num(x.ciHigh)} (${x.rounds} rounds${x.sessionMedians.length < 2 ? '' : `; per session ${x.sessionMedians.map((m) => num(m)).join(' / ')}`})`,
    pass,
    resolved,
  };
}

const ratio = (a: number | null | undefined, b: number | null | undefined): number =>
  a === null || a === undefined || b === null || b === undefined || !(b !== 0) ? NaN : a / b;

function judge(value: number, ok: (v: number) => boolean): boolean | null {
  return Number.isFinite(value) ? ok(value) : null;
}

/**
 * Peak RSS against the lean peer at 2,000 streams: the median of per-run peaks (VmHWM
 * reset before each run) and the peak over the whole phase must both be within bound.
 */
function rssGoal(r: Results): Verdict {
  const v = leanGoal(r, 'B, 2,000 streams', 'B2000', 'peakRss', '<=', 1.1, 'peak RSS');
  const sy = find(r.summaries, 'B2000', 'switchyard')?.peakRssMB;
  const lean = find(r.summaries, 'B2000', LEAN)?.peakRssMB;
  const phase = ratio(sy, lean);
  if (v.pass === null || !Number.isFinite(phase)) return v;
  return {
    ...v,
    target: `${v.target}, per run and over the phase`,
    measured: `per run ${v.measured}; over the phase ${num(sy)} vs ${num(lean)} MB = ${num(phase)}x`,
    pass: v.pass && phase <= 1.1,
  };
}

/** Below this per-round ratio of streams/s, a carry-over round is flagged. */
export const CARRY_MIN_RATIO = 0.9;

/** The most other processes used during either B200-after-A run of a round, % of a core. */
export function carryOtherCpuPct(r: Results, round: number): number {
  const runs = r.runs.filter((x) => x.workload === 'B200-after-A' && x.round === round);
  return Math.max(0, ...runs.map((x) => x.otherCpuPct));
}

/**
 * SSE right after a JSON burst on the same processes: judged on the worst round, not the
 * median (a state a load leaves behind can spoil a single round, a fresh process's first).
 */
function carryGoal(r: Results): Verdict {
  const area = 'B200 right after A';
  const target = `streams/s >= ${CARRY_MIN_RATIO}x the lean undici proxy's in every round (same processes as workload A)`;
  const x = findRatio(r.leanRatios, 'B200-after-A', 'switchyard', 'rps');
  if (x === undefined) return { area, target, measured: 'n/a', pass: null };
  const low = x.perRound.filter((p) => p.ratio < CARRY_MIN_RATIO);
  const flagged = low
    .map((p) => {
      const other = carryOtherCpuPct(r, p.round);
      const busy = other >= OTHER_CPU_WARN_PCT ? `, other processes at ${num(other, 2)}% of a core` : '';
      return `round ${p.round} (session ${p.session}) ${num(p.ratio)}x${busy}`;
    })
    .join('; ');
  return {
    area,
    target,
    measured: `min ${num(x.min)}x, median ${num(x.median)}x over ${x.rounds} rounds${low.length === 0 ? '' : `; below: ${flagged}`}`,
    pass: x.min >= CARRY_MIN_RATIO,
  };
}

export function verdicts(r: Results): Verdict[] {
  const s = r.summaries;
  const out: Verdict[] = [];
  const syA = find(s, 'A', 'switchyard');
  const undA = find(s, 'A', 'undici-proxy');
  const hpA = find(s, 'A', 'http-proxy');
  const hpKaA = find(s, 'A', 'http-proxy-ka');
  const cpuVsHttpProxyKa = ratio(syA?.proxyCpuUsPerReq, hpKaA?.proxyCpuUsPerReq);
  const cpuVsUndici = ratio(syA?.proxyCpuUsPerReq, undA?.proxyCpuUsPerReq);
  const cpuVsHttpProxy = ratio(syA?.proxyCpuUsPerReq, hpA?.proxyCpuUsPerReq);
  const rpsVsUndici = ratio(syA?.rps, undA?.rps);
  out.push(
    {
      area: 'A',
      target: 'CPU per request <= 0.9x the minimal undici proxy',
      measured: `${num(syA?.proxyCpuUsPerReq)} vs ${num(undA?.proxyCpuUsPerReq)} us = ${num(cpuVsUndici)}x`,
      pass: judge(cpuVsUndici, (v) => v <= 0.9),
    },
    {
      area: 'A',
      target: 'CPU per request <= 0.6x http-proxy (as its README shows it: no agent)',
      measured: `${num(syA?.proxyCpuUsPerReq)} vs ${num(hpA?.proxyCpuUsPerReq)} us = ${num(cpuVsHttpProxy)}x`,
      pass: judge(cpuVsHttpProxy, (v) => v <= 0.6),
    },
    {
      area: 'A',
      target: 'stricter, not a goal: the same against http-proxy with a keep-alive agent',
      measured: `${num(syA?.proxyCpuUsPerReq)} vs ${num(hpKaA?.proxyCpuUsPerReq)} us = ${num(cpuVsHttpProxyKa)}x`,
      pass: judge(cpuVsHttpProxyKa, (v) => v <= 0.6),
    },
    {
      area: 'A',
      target: "throughput >= the minimal undici proxy's",
      measured: `${num(syA?.rps)} vs ${num(undA?.rps)} req/s = ${num(rpsVsUndici)}x`,
      pass: judge(rpsVsUndici, (v) => v >= 1),
    },
    leanGoal(r, 'A', 'A', 'cpu', '<=', 0.85, 'CPU per request'),
  );
  const added = r.latencyAdded.find((a) => a.target === 'switchyard');
  out.push(
    {
      area: 'A-rate',
      target: 'latency added over direct, p50 <= 0.3 ms',
      measured: `${num(added?.p50AddedMs)} ms`,
      pass: judge(added?.p50AddedMs ?? NaN, (v) => v <= 0.3),
    },
    {
      area: 'A-rate',
      target: 'latency added over direct, p99 <= 2 ms',
      measured: `${num(added?.p99AddedMs)} ms`,
      pass: judge(added?.p99AddedMs ?? NaN, (v) => v <= 2),
    },
  );
  const sy200 = find(s, 'B200', 'switchyard');
  const d200 = find(s, 'B200', 'direct');
  const tp200 = ratio(sy200?.rps, d200?.rps);
  const p99200 = ratio(sy200?.p99, d200?.p99);
  out.push(
    {
      area: 'B, 200 streams',
      target: 'throughput >= 0.9x direct',
      measured: `${num(sy200?.rps)} vs ${num(d200?.rps)} streams/s = ${num(tp200)}x`,
      pass: judge(tp200, (v) => v >= 0.9),
    },
    {
      area: 'B, 200 streams',
      target: 'p99 <= 1.2x direct',
      measured: `${num(sy200?.p99)} vs ${num(d200?.p99)} ms = ${num(p99200)}x`,
      pass: judge(p99200, (v) => v <= 1.2),
    },
    leanGoal(r, 'B, 200 streams', 'B200', 'cpu', '<=', 0.9, 'CPU per stream'),
    leanGoal(r, 'B, 200 streams', 'B200', 'rps', '>=', 1, 'throughput'),
    leanGoal(r, 'B, 200 streams', 'B200', 'p99', '<=', 1, 'p99 stream time'),
  );
  const sy2k = find(s, 'B2000', 'switchyard');
  const d2k = find(s, 'B2000', 'direct');
  const failures2k = sy2k === undefined ? NaN : sy2k.errors + sy2k.timeouts + sy2k.non2xx;
  const p992k = ratio(sy2k?.p99, d2k?.p99);
  const p502k = ratio(sy2k?.p50, d2k?.p50);
  out.push(
    {
      area: 'B, 2,000 streams',
      target: 'no errors',
      measured: sy2k === undefined ? 'n/a' : `${sy2k.errors} errors, ${sy2k.timeouts} timeouts, ${sy2k.non2xx} non-2xx`,
      pass: judge(failures2k, (v) => v === 0),
    },
    {
      area: 'B, 2,000 streams',
      target: 'peak RSS <= 250 MB',
      measured: `${num(sy2k?.peakRssMB)} MB`,
      pass: judge(sy2k?.peakRssMB ?? NaN, (v) => v <= 250),
    },
    {
      area: 'B, 2,000 streams',
      target: "chunks not delayed beyond the backend's pacing: stream time p50 <= 1.1x, p99 <= 1.2x direct's",
      measured: `p50 ${num(sy2k?.p50)} vs ${num(d2k?.p50)} ms = ${num(p502k)}x, p99 ${num(sy2k?.p99)} vs ${num(d2k?.p99)} ms = ${num(p992k)}x; ${num(ratio(sy2k?.rps, d2k?.rps))}x direct's streams/s`,
      pass: Number.isFinite(p502k) && Number.isFinite(p992k) ? p502k <= 1.1 && p992k <= 1.2 : null,
    },
    leanGoal(r, 'B, 2,000 streams', 'B2000', 'cpu', '<=', 0.9, 'CPU per stream'),
    rssGoal(r),
  );
  out.push(carryGoal(r));
  const drop = r.drops.find((d) => d.target === 'switchyard');
  out.push({
    area: 'B, dropped clients',
    target: 'upstream aborted: no stream (and so no busy upstream connection) left behind',
    measured:
      drop === undefined
        ? 'n/a'
        : `${drop.backendInFlightAtDeadline} streams still generated at +${drop.deadlineMs} ms; ${drop.backendServed} of ${drop.streams} streamed to the end, ${drop.backendAborted} aborted`,
    pass:
      drop === undefined
        ? null
        : drop.dropped === drop.streams && drop.backendInFlightAtDeadline === 0 && drop.backendServed === 0,
  });
  const syC = find(s, 'C', 'switchyard');
  const cVsA = ratio(syC?.p99, syA?.p99);
  out.push({
    area: 'C',
    target: "p99 within 10% of workload A's",
    measured: `${num(syC?.p99)} vs ${num(syA?.p99)} ms = ${num(cVsA)}x`,
    pass: judge(cVsA, (v) => v <= 1.1),
  });
  out.push(...selectorVerdicts());
  return out;
}

/** The selector targets, from the last `npm run bench:selector` (a separate command). */
function selectorVerdicts(): Verdict[] {
  const file = join(REPO_ROOT, 'bench', 'selector-results.json');
  if (!existsSync(file))
    return [
      {
        area: 'selector',
        target: '<= 30 ns per pick at 1,024 regions; zero allocation',
        measured: 'not run (npm run bench:selector)',
        pass: null,
      },
    ];
  try {
    const sel = JSON.parse(readFileSync(file, 'utf8')) as {
      date: string;
      quick: boolean;
      checks: Array<{ target: string; measured: string; pass: boolean }>;
    };
    const when = `(bench:selector${sel.quick ? ' --quick' : ''}, ${sel.date.slice(0, 10)})`;
    return sel.checks.map((c) => ({
      area: 'selector',
      target: c.target,
      measured: `${c.measured} ${when}`,
      pass: c.pass,
    }));
  } catch (err) {
    return [
      {
        area: 'selector',
        target: 'selector targets',
        measured: `unreadable selector-results.json: ${String(err)}`,
        pass: null,
      },
    ];
  }
}
