// bench/RESULTS.md from a run's results: machine, command, one table per workload,
// the data plane's goals judged against this run's ratios, and room for the profile note.
import { markdownTable, num, type Cell } from '../../tools/table.js';
import { median } from './stats.js';
import { SSE_PACING_MS } from './fleets.js';
import {
  find,
  findRatio,
  RATIO_METRICS,
  type RatioMetric,
  type RatioStat,
  type Results,
  type Summary,
} from './summary.js';
import { OTHER_CPU_WARN_PCT } from './phases.js';
import { LEAN, TARGET_ORDER, type TargetName } from './targets.js';
import { CARRY_MIN_RATIO, carryOtherCpuPct, type Verdict } from './verdicts.js';
import { WORKLOAD_IDS, WORKLOADS, type WorkloadId } from './workloads.js';

const PROFILE_PLACEHOLDER = `## Profile before/after

_To be filled in: top frames of \`node --cpu-prof\` for switchyard under workload A,
before and after the first hot-path work._
`;

function rowsFor(r: Results, w: WorkloadId): Summary[] {
  return TARGET_ORDER.map((t) => find(r.summaries, w, t)).filter((s): s is Summary => s !== undefined);
}

function mb(x: number | null): string {
  return x === null ? 'n/a' : num(x);
}

function verdictCell(v: Verdict): string {
  const cell = v.pass === null ? 'not measured' : v.pass ? '**pass**' : '**FAIL**';
  return v.resolved === false && v.pass !== null ? `${cell} (interval straddles the bound)` : cell;
}

function leanCell(r: Results, w: WorkloadId, t: TargetName, metric: RatioMetric): string {
  if (t === LEAN) return '1.00x';
  const x = findRatio(r.leanRatios, w, t, metric);
  return x === undefined ? 'n/a' : `${num(x.median)}x`;
}

/** A ratio's median, IQR, min-max, interval of the median, rounds and per-session medians, as table cells. */
function ratioSpreadCells(x: RatioStat): Cell[] {
  return [
    `${num(x.median)}x`,
    `${num(x.q1)}-${num(x.q3)}`,
    `${num(x.min)}-${num(x.max)}`,
    x.rounds < 2 ? 'n/a' : `${num(x.ciLow)}-${num(x.ciHigh)} (${num(x.ciCoverage * 100, 3)}%)`,
    x.rounds,
    x.sessionMedians.length < 2 ? '-' : x.sessionMedians.map((m) => num(m)).join(' / '),
  ];
}

/** Every target against the lean peer: median of per-round ratios, their spread, the interval of the median. */
function leanSection(r: Results): string {
  const rows: Cell[][] = [];
  for (const x of r.leanRatios) {
    rows.push([x.workload, x.target, RATIO_METRICS[x.metric].label, ...ratioSpreadCells(x)]);
  }
  if (rows.length === 0) return '_The lean peer did not run._';
  return markdownTable(
    [
      'workload',
      'target',
      'figure',
      'median ratio',
      'IQR',
      'min-max',
      'interval of the median',
      'rounds',
      'median per session',
    ],
    rows,
  );
}

function workloadA(r: Results): string {
  const undici = find(r.summaries, 'A', 'undici-proxy')?.proxyCpuUsPerReq ?? null;
  const rows = rowsFor(r, 'A').map((s): Cell[] => [
    s.target,
    num(s.rps),
    num(s.p50),
    num(s.p99),
    num(s.p999),
    s.proxyCpuUsPerReq === null ? 'n/a' : num(s.proxyCpuUsPerReq),
    s.proxyCpuUsPerReq === null || undici === null ? 'n/a' : `${num(s.proxyCpuUsPerReq / undici)}x`,
    s.proxyCpuUsPerReq === null ? 'n/a' : leanCell(r, 'A', s.target, 'cpu'),
    num(s.backendCpuUsPerReq),
    s.errors + s.timeouts,
    s.non2xx,
    mb(s.peakRssMB),
  ]);
  return markdownTable(
    [
      'target',
      'req/s',
      'p50 ms',
      'p99 ms',
      'p99.9 ms',
      'proxy CPU us/req',
      'vs undici-proxy',
      'vs lean (per-round median)',
      'backend CPU us/req',
      'errors',
      'non-2xx',
      'peak RSS MB',
    ],
    rows,
  );
}

function workloadARate(r: Results): string {
  const rows = rowsFor(r, 'A-rate').map((s): Cell[] => {
    const added = r.latencyAdded.find((a) => a.target === s.target);
    return [
      s.target,
      num(s.rps),
      num(s.p50),
      num(s.p99),
      added === undefined ? '-' : num(added.p50AddedMs),
      added === undefined ? '-' : num(added.p99AddedMs),
      s.proxyCpuUsPerReq === null ? 'n/a' : num(s.proxyCpuUsPerReq),
      s.errors + s.timeouts,
      s.non2xx,
    ];
  });
  return markdownTable(
    ['target', 'req/s', 'p50 ms', 'p99 ms', 'p50 added ms', 'p99 added ms', 'proxy CPU us/req', 'errors', 'non-2xx'],
    rows,
  );
}

function workloadB(r: Results, w: 'B200' | 'B2000'): string {
  const direct = find(r.summaries, w, 'direct');
  const rows = rowsFor(r, w).map((s): Cell[] => [
    s.target,
    num(s.rps),
    direct === undefined ? 'n/a' : `${num(s.rps / direct.rps)}x`,
    num(s.p50),
    num(s.p99),
    `${num(s.p99 / SSE_PACING_MS)}x`,
    direct === undefined ? 'n/a' : `${num(s.p99 / direct.p99)}x`,
    s.proxyCpuUsPerReq === null ? 'n/a' : num(s.proxyCpuUsPerReq),
    s.proxyCpuUsPerReq === null ? 'n/a' : leanCell(r, w, s.target, 'cpu'),
    s.errors,
    s.timeouts,
    s.non2xx,
    mb(s.peakRssMB),
  ]);
  return markdownTable(
    [
      'target',
      'streams/s',
      'vs direct',
      'p50 ms',
      'p99 ms',
      'p99 / pacing',
      'p99 vs direct',
      'proxy CPU us/stream',
      'CPU vs lean (per-round median)',
      'errors',
      'timeouts',
      'non-2xx',
      'peak RSS MB',
    ],
    rows,
  );
}

/** The carry-over phase per round: each side's B200 right after its A, and their ratio (flagged below the bound). */
function carryRoundTable(r: Results): string {
  const runs = r.runs.filter((x) => x.workload === 'B200-after-A');
  const rounds = [...new Set(runs.map((x) => x.round))].sort((a, b) => a - b);
  const rows = rounds.map((round): Cell[] => {
    const lean = runs.find((x) => x.target === LEAN && x.round === round);
    const sy = runs.find((x) => x.target === 'switchyard' && x.round === round);
    const ratio = sy === undefined || lean === undefined ? NaN : sy.rps / lean.rps;
    const flag = ratio < CARRY_MIN_RATIO ? ` below ${CARRY_MIN_RATIO}x` : '';
    const fails = (x: typeof sy): Cell => (x === undefined ? 'n/a' : x.errors + x.non2xx);
    return [
      round,
      (sy ?? lean)?.session ?? 'n/a',
      num(lean?.rps),
      num(sy?.rps),
      Number.isFinite(ratio) ? `${num(ratio)}x${flag}` : 'n/a',
      `${num(lean?.p50)} / ${num(lean?.p99)}`,
      `${num(sy?.p50)} / ${num(sy?.p99)}`,
      fails(lean),
      fails(sy),
      num(carryOtherCpuPct(r, round), 2),
    ];
  });
  return markdownTable(
    [
      'round',
      'session',
      'lean streams/s',
      'switchyard streams/s',
      'ratio',
      'lean p50 / p99 ms',
      'switchyard p50 / p99 ms',
      'lean errors + non-2xx',
      'switchyard errors + non-2xx',
      'other processes, % of a core',
    ],
    rows,
  );
}

function carryOver(r: Results): string {
  const rows = rowsFor(r, 'B200-after-A').map((s): Cell[] => [
    s.target,
    num(s.rps),
    num(find(r.summaries, 'B200', s.target)?.rps),
    num(s.p50),
    num(s.p99),
    s.proxyCpuUsPerReq === null ? 'n/a' : num(s.proxyCpuUsPerReq),
    s.errors,
    s.timeouts,
    s.non2xx,
    mb(s.peakRssMB),
  ]);
  if (rows.length === 0) return '_Not run._';
  return `${markdownTable(
    [
      'target',
      'streams/s (median)',
      'streams/s of B200 alone (phase B)',
      'p50 ms',
      'p99 ms',
      'proxy CPU us/stream',
      'errors',
      'timeouts',
      'non-2xx',
      'peak RSS MB',
    ],
    rows,
  )}\n\nPer round (the first round of each session is its processes' first SSE load):\n\n${carryRoundTable(r)}`;
}

function drops(r: Results): string {
  const d0 = r.drops[0];
  if (d0 === undefined) return '_Not run._';
  const rows = r.drops.map((d): Cell[] => [
    d.target,
    `${d.dropped}/${d.streams}`,
    d.backendInFlightAtDeadline,
    d.upstreamConnsAtDeadline === null ? 'n/a' : Math.max(0, d.upstreamConnsAtDeadline - d.backendInFlightAtDeadline),
    d.upstreamConnsLater ?? 'n/a',
    d.backendServed,
    d.backendAborted,
  ]);
  return markdownTable(
    [
      'target',
      'dropped after 1st chunk',
      `streams still generated (busy upstream conns) at +${d0.deadlineMs} ms`,
      `idle upstream conns at +${d0.deadlineMs} ms`,
      `upstream conns at +${d0.deadlineMs + d0.laterMs} ms`,
      'backend: streamed to the end for nobody',
      'backend: aborted',
    ],
    rows,
  );
}

function workloadC(r: Results): string {
  const a = find(r.summaries, 'A', 'switchyard');
  const c = find(r.summaries, 'C', 'switchyard');
  const row = (name: string, s: Summary | undefined): Cell[] =>
    s === undefined
      ? [name, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a']
      : [
          name,
          num(s.rps),
          num(s.p50),
          num(s.p99),
          num(s.p999),
          num(s.proxyCpuUsPerReq),
          num(s.planRebuildsPerS),
          num(s.telemetryPollsPerS),
          s.errors + s.timeouts + s.non2xx,
        ];
  return markdownTable(
    [
      'switchyard',
      'req/s',
      'p50 ms',
      'p99 ms',
      'p99.9 ms',
      'CPU us/req',
      'plan rebuilds/s',
      'telemetry polls/s',
      'errors + non-2xx',
    ],
    [row('workload A (telemetry every 500 ms, steady)', a), row('workload C (telemetry every 100 ms, changing)', c)],
  );
}

/** Per round when there are few, else min / median / max (every run is in results.json). */
function perRound(values: ReadonlyArray<number | null>, digits = 3): string {
  if (values.every((v) => v === null)) return 'n/a';
  if (values.length <= 5) return values.map((v) => (v === null ? 'n/a' : num(v, digits))).join(' / ');
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return 'n/a';
  return `${num(xs[0], digits)} / ${num(median(xs), digits)} / ${num(xs[xs.length - 1], digits)}`;
}

function spread(r: Results): string {
  const rows: Cell[][] = [];
  for (const w of WORKLOAD_IDS) {
    for (const t of TARGET_ORDER) {
      const rs = r.runs.filter((x) => x.workload === w && x.target === t).sort((x, y) => x.round - y.round);
      if (rs.length === 0) continue;
      rows.push([
        w,
        t,
        rs.length,
        perRound(rs.map((x) => x.rps)),
        perRound(rs.map((x) => x.p99)),
        perRound(rs.map((x) => x.proxyCpuUsPerReq)),
        perRound(
          rs.map((x) => x.otherCpuPct),
          2,
        ),
      ]);
    }
  }
  return markdownTable(
    [
      'workload',
      'target',
      'rounds',
      'req/s per round',
      'p99 ms per round',
      'proxy CPU us/req per round',
      'other processes, % of a core',
    ],
    rows,
  );
}

function latencyFootnote(r: Results): string {
  const dropped = [...new Set(r.runs.filter((x) => x.latencyDropped !== null).map((x) => x.target))];
  if (dropped.length === 0) return '';
  return `\n_Latency n/a for ${dropped.join(', ')}: it answers with \`Connection: close\` (http-proxy without an agent passes the backend's header on), and autocannon mis-times such connections (it queues both the request written into the closing socket and the one sent after reconnecting, so later responses are timed from ever older starts; autocannon's own histogram shows the same). req/s and CPU are unaffected; its latency at a fixed rate is measured by the paced client below._\n`;
}

export function renderResults(r: Results, v: readonly Verdict[]): string {
  const m = r.machine;
  const s = r.settings;
  const parts: string[] = [];
  parts.push(`# switchyard load benchmark: results

Measured ${r.date} on **${m.cpuModel}, ${m.cores} cores** (${m.memoryGB} GB, ${m.platform}), **Node ${m.node}**.

Command: \`${r.command}\`${r.quick ? ' (a smoke run: one short round, not the real figures)' : ''}

Settings: ${s.durationS} s per run, ${s.rounds} interleaved round${s.rounds === 1 ? '' : 's'} with every target and ${s.pairRounds} for switchyard and the lean undici proxy (run back to back in each round, in ${s.sessions} session${s.sessions === 1 ? '' : 's'} of fresh processes; tables show medians), ${s.warmupS} s unrecorded warm-up per target, phases ${s.phases.join(', ')}${s.phases.includes('carry') ? ` (carry-over: ${s.carryRounds} rounds)` : ''}${s.workloads.length < WORKLOAD_IDS.length ? ` (workloads ${s.workloads.join(', ')})` : ''}${s.targets.length < TARGET_ORDER.length ? `, targets ${s.targets.join(', ')}` : ''}; ${r.redone.length / 2} disturbed pair run${r.redone.length === 2 ? '' : 's'} measured again; whole run ${Math.round(r.elapsedS)} s. Load average at the start: ${m.loadAvg1m}. CPU used by processes outside the benchmark during the runs (machine busy time from \`/proc/stat\` minus the benchmark's processes): median ${num(r.otherCpu.medianPct, 2)}%, max ${num(r.otherCpu.maxPct, 2)}% of one core${r.otherCpu.disturbedRuns > 0 ? `; **${r.otherCpu.disturbedRuns} run(s) had other work above ${OTHER_CPU_WARN_PCT}% of a core** (see "Spread over rounds")` : ''}. CPU time from \`/proc/<pid>/stat\` at CLK_TCK ${r.clkTck}.${r.testSuiteSeen ? '\n\n**A test suite (`node --test`) was running during part of this run: figures are disturbed.**' : ''}

The load generator (autocannon, in the orchestrating process), the simulated backends (one process) and the proxy under test share the same ${m.cores} cores of a shared machine. Ratios between targets within this run are what counts; absolute numbers move from run to run. How each figure is taken: [bench/README.md](README.md).

![workload A req/s and CPU per request, workload B p99](results.svg)
`);
  parts.push(
    `## Goals (this run's ratios)\n\n${markdownTable(
      ['workload', 'target', 'measured', 'result'],
      v.map((x) => [x.area, x.target, x.measured, verdictCell(x)]),
    )}\n`,
  );
  parts.push(
    `## Against the lean undici proxy (per-round ratios)\n\nThe lean peer (\`bench/peers/undici-stream.ts\`: \`pool.stream()\` writing straight into the response) is the reference of the streaming goals. Each round runs it and switchyard back to back; a ratio is a target's figure over the lean peer's in the same round. Median over rounds, the interquartile range and min-max of the per-round ratios, and a distribution-free interval of the median (order statistics, its coverage in brackets): a goal is resolved when that interval lies on one side of its bound. Targets other than switchyard run in the first ${s.rounds} round${s.rounds === 1 ? '' : 's'} only. The pair's rounds are split into ${s.sessions} session${s.sessions === 1 ? '' : 's'}, each with fresh processes of switchyard and the lean peer (a process can stay in a faster or slower state for its whole life); the last column shows each session's median.\n\n${leanSection(r)}\n`,
  );
  parts.push(
    `## Workload A: ${WORKLOADS.A.title}\n\nreq/s: completed requests / run time. Latency: per response, send to last byte. Proxy CPU: utime+stime of the proxy process over the run / completed requests (direct has no proxy; the backend column is the simulated backends' own cost). Peak RSS: VmHWM of a proxy process started for this phase.\n\n${workloadA(r)}\n${latencyFootnote(r)}`,
  );
  parts.push(
    `## Latency added over direct at a fixed rate: ${WORKLOADS['A-rate'].title}\n\nRequests leave on a fixed schedule (open loop, not autocannon: its \`overallRate\` sends each second's quota in a burst). Added = target's percentile minus direct's in the same round, median over rounds.\n\n${workloadARate(r)}\n`,
  );
  parts.push(
    `## Workload B: ${WORKLOADS.B200.title}\n\nA stream is one request with \`stream: true, max_tokens: 20\`; the backend writes a chunk every 25 ms (its own pacing: ${SSE_PACING_MS} ms per stream). Latency is the whole stream, request sent to last byte. streams/s counts completed streams; runs end by cutting the streams still open.\n\n${workloadB(r, 'B200')}\n${latencyFootnote(r)}`,
  );
  parts.push(
    `## Workload B: ${WORKLOADS.B2000.title}\n\nAt 2,000 streams the ${m.cores} cores are saturated even for direct (load generator and backends alone), so "chunks not delayed beyond the backend's pacing" is judged against direct's stream times, and streams/s mostly reflects the total CPU each stream costs.\n\n${workloadB(r, 'B2000')}\n`,
  );
  parts.push(
    `## Workload B right after workload A on the same processes (carry-over)\n\nOne switchyard and one lean peer each serve both the JSON and the SSE fleet (one config with both deployments; the lean peer picks the fleet by the deployment in the path). In every round each runs workload A (${WORKLOADS.A.title}) and, as soon as the backends have none of its requests in flight, ${WORKLOADS.B200.title} on the same process; only that B200 is recorded. The rounds are split into sessions of fresh processes warmed up with workload A only. A state one load leaves behind for the next shows up here and not in phase B, whose processes never serve JSON; it can spoil a single round, so the goal is judged on the lowest per-round ratio of streams/s.\n\n${carryOver(r)}\n`,
  );
  parts.push(
    `## Clients dropping streams\n\nFresh proxies; ${r.settings.dropStreams} streams per target, one target at a time; each client destroys its socket when the first chunk arrives. Then, at the deadline (well before a stream's natural end at ${SSE_PACING_MS} ms): streams the backends are still generating (sim \`GET /control\`, \`inFlight\`); each holds a busy upstream connection. Idle upstream connections = ESTABLISHED connections of the proxy process to the backends (its socket inodes in \`/proc/net/tcp\`) minus the busy ones; undici replaces a connection it aborted by a fresh idle one, so a few idle connections are not a leak. The last columns count, over the phase, streams the backends wrote to the end for nobody and streams they saw aborted.\n\n${drops(r)}\n`,
  );
  parts.push(
    `## Workload C: ${WORKLOADS.C.title}\n\nThe same 1 KB workload against a second switchyard polling every 100 ms a fleet whose background load swings by +-50% over 1 s (out of phase between the two regions), so every poll moves the shares; run in the same rounds as workload A.\n\n${workloadC(r)}\n`,
  );
  parts.push(`## Spread over rounds\n\n${spread(r)}\n`);
  if (r.notes.length > 0) parts.push(`## Notes from this run\n\n${r.notes.map((n) => `- ${n}`).join('\n')}\n`);
  // Last: from here on the file is hand-written analysis that reruns carry over.
  parts.push(PROFILE_PLACEHOLDER);
  return parts.join('\n');
}

/** The run's tables without the prose, for the console (the run's figures even when it stopped early). */
export function consoleTables(r: Results): string {
  const ran = (w: WorkloadId): boolean => r.summaries.some((s) => s.workload === w);
  const tables: Array<[boolean, string, () => string]> = [
    [ran('A'), `workload A: ${WORKLOADS.A.title}`, () => workloadA(r)],
    [ran('A-rate'), `workload ${WORKLOADS['A-rate'].title}`, () => workloadARate(r)],
    [ran('B200'), `workload B: ${WORKLOADS.B200.title}`, () => workloadB(r, 'B200')],
    [ran('B2000'), `workload B: ${WORKLOADS.B2000.title}`, () => workloadB(r, 'B2000')],
    [ran('B200-after-A'), 'B200 right after workload A on the same processes (carry-over)', () => carryOver(r)],
    [r.drops.length > 0, 'clients dropping streams after the first chunk', () => drops(r)],
    [ran('C'), `workload C: ${WORKLOADS.C.title}`, () => workloadC(r)],
    [r.leanRatios.length > 0, 'against the lean undici proxy: per-round ratios', () => leanSection(r)],
  ];
  return tables
    .filter(([shown]) => shown)
    .map(([, title, table]) => `\n${title}\n\n${table()}`)
    .join('\n');
}

/**
 * A rerun must not wipe notes someone wrote by hand: when the previous file's
 * "Profile before/after" section is no longer the placeholder, it and every section
 * after it (hand-written analysis) are carried over.
 */
export function keepProfileSection(fresh: string, previous: string | null): string {
  const section = (text: string): string | null => {
    const start = text.indexOf('## Profile before/after');
    if (start === -1) return null;
    return text.slice(start);
  };
  const old = previous === null ? null : section(previous);
  const now = section(fresh);
  if (old === null || now === null || old.includes('_To be filled in')) return fresh;
  return fresh.replace(now, old.endsWith('\n') ? old : `${old}\n`);
}
