// bench/fleet/RESULTS.md: the machine and command, the loop's goals with verdicts, a
// table per fleet, the earlier build's figures when they were measured, and the chart.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { markdownTable } from '../../tools/table.js';
import { fleetChart } from './chart.js';
import { FLEETS, type FleetName } from './fleets.js';
import { MAX_WAIT_MS, SCENARIO_NAMES, scenarioLabel } from './scenarios.js';
import {
  TOKEN_CAPACITY,
  TOKEN_FLEET_LABEL,
  TOKEN_FLEET_NAME,
  TOKEN_MEANS,
  TOKEN_SIZES,
  tokenRate,
} from './token-fleet.js';
import type { ClassRow, FleetResults, FleetRow, OtherRun, ScenarioName } from './types.js';
import { shareWithin, type WaitFigures } from './wait-histogram.js';

const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(2)}%`);
const rate = (r: { failed: number; sent: number }): number => r.failed / Math.max(1, r.sent);
const ms = (x: number | null | undefined): string => (x == null ? '-' : `${Math.round(x)} ms`);
const plural = (routers: number): string => `${routers} router${routers === 1 ? '' : 's'}`;

function find(
  rows: readonly FleetRow[],
  fleet: string,
  load: number,
  routers: number,
  policy: string,
): FleetRow | null {
  return (
    rows.find(
      (r) =>
        r.scenario === undefined &&
        r.fleet === fleet &&
        r.load === load &&
        r.routers === routers &&
        r.policy === policy,
    ) ?? null
  );
}

/**
 * Whether 99% of the requests waited at most `boundMs`, judged on the histogram's bucket
 * at that bound (exact), with the interpolated p99 and p50 to read.
 */
function p99Within(w: WaitFigures | null | undefined, boundMs: number): { measured: string; met: boolean | null } {
  const share = shareWithin(w, boundMs);
  if (w == null || share === null) return { measured: 'wait not measured', met: null };
  return {
    measured: `p99 wait ${ms(w.p99Ms)} (p50 ${ms(w.p50Ms)}; ${(100 * share).toFixed(2)}% within ${boundMs} ms)`,
    met: share >= 0.99,
  };
}

/** Requests, failures and router rejections of the classes that `pick` selects, together. */
function classesTogether(classes: readonly ClassRow[], pick: (c: ClassRow) => boolean) {
  const chosen = classes.filter(pick);
  return {
    sent: chosen.reduce((a, c) => a + c.sent, 0),
    failed: chosen.reduce((a, c) => a + c.failed, 0),
    clientWaitP99Ms: chosen.reduce<number | null>((a, c) => Math.max(a ?? 0, c.clientWaitP99Ms ?? 0), null),
  };
}

function scenarioGoals(rows: readonly FleetRow[], name: ScenarioName): Goal[] {
  const out: Goal[] = [];
  for (const r of rows.filter((x) => x.scenario === name)) {
    const classes = r.classes ?? [];
    const head = `${scenarioLabel(name)}, ${plural(r.routers)}`;
    if (name === 'burst') {
      const kept = classesTogether(classes, (c) => c.priority >= 0);
      const shed = classesTogether(classes, (c) => c.priority < 0);
      out.push({
        goal: `${head}: priority >= 0 failed <= 0.50%`,
        measured: `${pct(rate(kept))} of ${kept.sent}`,
        met: rate(kept) <= 0.005,
      });
      out.push({
        goal: `${head}: the sheddable class takes the loss (its failure rate >= that of priority >= 0)`,
        measured: `sheddable ${pct(rate(shed))} of ${shed.sent}, priority >= 0 ${pct(rate(kept))}`,
        met: rate(shed) >= rate(kept),
      });
      const p99 = p99Within(r.wait, MAX_WAIT_MS);
      out.push({
        goal: `${head}: p99 wait <= maxWaitMs (${MAX_WAIT_MS} ms)`,
        measured: p99.measured,
        met: p99.met,
      });
    } else {
      const light = classesTogether(classes, (c) => c.name !== 'heavy key');
      const heavy = classesTogether(classes, (c) => c.name === 'heavy key');
      out.push({
        goal: `${head}: the other keys' failed <= 0.50%`,
        measured:
          `${pct(rate(light))} of ${light.sent}, their p99 wait ${ms(light.clientWaitP99Ms)} ` +
          `(heavy key ${pct(rate(heavy))} of ${heavy.sent}, p99 wait ${ms(heavy.clientWaitP99Ms)})`,
        met: rate(light) <= 0.005,
      });
    }
  }
  return out;
}

interface Goal {
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean | null;
}

function goals(rows: readonly FleetRow[]): Goal[] {
  const out: Goal[] = [];
  const failedAt = (load: number, routers: number, max: number, label: string): void => {
    const r = find(rows, 'a', load, routers, 'switchyard');
    out.push({
      goal: `fleet a, load ${load}, ${routers} router${routers === 1 ? '' : 's'}: failures <= ${pct(max)}${label}`,
      measured: r === null ? 'not run' : `${pct(rate(r))} of ${r.sent}`,
      met: r === null ? null : rate(r) <= max,
    });
  };
  failedAt(0.5, 1, 0.001, '');
  failedAt(0.5, 4, 0.001, '');
  failedAt(0.8, 1, 0.005, ' (static oracle by Erlang B: 3.22%, pooled 0.40%)');
  failedAt(0.8, 4, 0.02, '');
  failedAt(0.9, 1, 0.03, '');
  {
    const r = find(rows, 'a', 0.8, 4, 'switchyard');
    const p99 = p99Within(r?.wait, 500);
    out.push({
      goal: 'fleet a (60/30/10) at load 0.8, 4 routers: failed <= 0.10%, p99 wait <= 500 ms',
      measured: r === null ? 'not run' : `${pct(rate(r))} of ${r.sent}, ${p99.measured}`,
      met: r === null || p99.met === null ? null : rate(r) <= 0.001 && p99.met,
    });
  }
  for (const routers of [1, 4]) {
    const r = find(rows, 'a', 1.2, routers, 'switchyard');
    out.push({
      goal: `fleet a, load 1.2, ${routers} router${routers === 1 ? '' : 's'}: goodput >= 0.95 of capacity, no 5xx`,
      measured: r === null ? 'not run' : `goodput ${r.goodput.toFixed(3)}, ${r.status5xx} 5xx`,
      met: r === null ? null : r.goodput >= 0.95 && r.status5xx === 0,
    });
  }
  const steady = rows.filter((r) => r.fleet === 'a' && r.policy === 'switchyard' && r.load <= 0.9);
  if (steady.length > 0) {
    const worst = steady.reduce((a, b) => (b.shareSwing > a.shareSwing ? b : a));
    out.push({
      goal: 'fleet a, loads 0.3 to 0.9: share swing <= 0.05 per plan',
      measured: `at most ${worst.shareSwing.toFixed(3)} (load ${worst.load}, ${worst.routers} routers)`,
      met: worst.shareSwing <= 0.05,
    });
    const idle = steady.reduce((a, b) => (b.longestIdleZeroShareMs > a.longestIdleZeroShareMs ? b : a));
    out.push({
      goal: 'no region at share 0 for more than two telemetry intervals (1 s) while below 0.7 utilisation',
      measured: `longest ${idle.longestIdleZeroShareMs} ms`,
      met: idle.longestIdleZeroShareMs <= 1000,
    });
  }
  for (const fleet of ['b', 'c']) {
    for (const routers of [1, 4]) {
      const mine = find(rows, fleet, 0.8, routers, 'switchyard');
      const oracle = find(rows, fleet, 0.8, routers, 'static');
      if (mine === null || oracle === null) continue;
      out.push({
        goal: `fleet ${fleet}, load 0.8, ${routers} router${routers === 1 ? '' : 's'}: no worse than the static oracle`,
        measured: `${pct(rate(mine))} vs ${pct(rate(oracle))}`,
        met: rate(mine) <= rate(oracle),
      });
    }
  }
  for (const name of SCENARIO_NAMES) out.push(...scenarioGoals(rows, name));
  out.push(...tokenGoals(rows));
  return out;
}

const tokenRows = (rows: readonly FleetRow[]): FleetRow[] => rows.filter((r) => r.fleet === TOKEN_FLEET_NAME);
const failedTokens = (r: FleetRow): number => (r.tokens?.failed ?? 0) / Math.max(1, r.tokens?.offered ?? 0);

/** Per load and router count of the token fleet: switchyard fails no larger share of the offered tokens than any other policy. */
function tokenGoals(rows: readonly FleetRow[]): Goal[] {
  const mine = tokenRows(rows).filter((r) => r.policy === 'switchyard');
  return mine.flatMap((r) => {
    const others = tokenRows(rows).filter((o) => o.load === r.load && o.routers === r.routers && o !== r);
    if (others.length === 0) return [];
    return [
      {
        goal: `token fleet, load ${r.load}, ${plural(r.routers)}: switchyard fails no larger share of the offered tokens than ${others.map((o) => o.policy).join(', ')}`,
        measured: `${pct(failedTokens(r))} vs ${others.map((o) => `${o.policy} ${pct(failedTokens(o))}`).join(', ')}`,
        met: others.every((o) => failedTokens(r) <= failedTokens(o)),
      },
    ];
  });
}

function tokenSection(rows: readonly FleetRow[]): string {
  const mine = tokenRows(rows);
  if (mine.length === 0) return '';
  const body = mine.map((r) => [
    r.load,
    r.routers,
    r.policy,
    r.sent,
    pct(rate(r)),
    pct(failedTokens(r)),
    r.routerRejected,
    r.backend429,
    r.status5xx,
    Math.round(r.tokens?.servedPerSecond ?? 0),
    (r.tokens?.goodput ?? 0).toFixed(3),
    ms(r.wait?.p50Ms),
    ms(r.wait?.p99Ms),
    r.utilisation.map((u) => `${u.mean.toFixed(2)}±${u.std.toFixed(2)}`).join(' '),
  ]);
  const sz = TOKEN_SIZES;
  const seconds = [...new Set(mine.map((r) => r.seconds))].join(', ');
  return `## Token fleet: ${TOKEN_FLEET_LABEL}

Three regions whose capacity is a KV cache counted in concurrent tokens (big 96,000,
mid 48,000, small 16,000; ${TOKEN_CAPACITY.toLocaleString('en-US')} in all): a request holds its prompt plus its
max_tokens while it runs (the simulator counts the body's bytes / 4 + max_tokens), and
one that does not fit gets 429. Request sizes are log-normal (\`src/sim/request-sizes.ts\`):
prompts of median ${sz.medianPromptTokens} tokens (sigma ${sz.promptSigma}, at most ${sz.maxPromptTokens}),
max_tokens of median ${sz.medianCompletionTokens} (sigma ${sz.completionSigma}, at most ${sz.maxCompletionTokens}); a request
holds ${Math.round(TOKEN_MEANS.tokens)} tokens on average and up to about 9,000, and is served in 100 ms + 2.5 ms
per output token (0.6 s at the median, up to 2.6 s). Load is offered token-seconds
per second over the fleet's tokens: load 1 is ${tokenRate(1).toFixed(1)} requests/s (the fleet's tokens over
a request's mean tokens x seconds, ${Math.round(TOKEN_MEANS.tokenSeconds)}). Every policy at a load gets the
same requests (sizes and arrival times). ${seconds} s measured per run.

Policies: \`switchyard\` (\`capacityUnit: concurrent-tokens\`: each request's tokens estimated
from its body and max_tokens, its region charged the estimate while it runs, a request
sent only where its estimate fits, else it waits; admission at its defaults),
\`request-count\` (the ablation: \`capacityUnit: requests\` with \`routing.loadPerRequest\`
${Math.round(TOKEN_MEANS.tokens)}, the mean request's tokens, so the router's own load is in telemetry's unit on average;
it does not know a request's size, and a region with any free room takes the next
request), \`static\` (the oracle: weights 96/48/16, no admission queue) and, when run,
\`round-robin\` (no admission queue). "failed tokens" is the share of the offered tokens
(of the requests sent in the measured window) whose requests failed; "served tokens/s"
the tokens of the served ones per measured second; "token goodput" the tokens served
over those offered, times the load; utilisation is tokens held / tokens per region.

${markdownTable(
  [
    'load',
    'routers',
    'policy',
    'sent',
    'failed',
    'failed tokens',
    'router-rejected',
    'backend 429',
    '5xx',
    'served tokens/s',
    'token goodput',
    'wait p50',
    'wait p99',
    'utilisation per region (mean±sd)',
  ],
  body,
)}
`;
}

function otherRunsNote(runs: readonly OtherRun[] | undefined): string {
  if (runs === undefined || runs.length === 0) return '';
  const lines = runs.map(
    (o) =>
      `- ${o.groups.join(', ')}: \`${o.command}\` (${o.startedAt} to ${o.finishedAt}; ${o.warmupSeconds} s of warm-up, ${o.seconds} s measured; Node ${o.machine.node}, load average ${o.machine.loadAvg1m} at the start${o.quiet ? '' : ', a test suite was running'})`,
  );
  return `\nRows measured by other runs and kept in \`results.json\`:\n\n${lines.join('\n')}\n`;
}

function fleetTable(rows: readonly FleetRow[], fleet: FleetName): string {
  const mine = rows.filter((r) => r.fleet === fleet && r.scenario === undefined);
  if (mine.length === 0) return '';
  const body = mine.map((r) => [
    r.load,
    r.routers,
    r.policy,
    r.sent,
    pct(rate(r)),
    r.routerRejected,
    r.backend429,
    r.status5xx,
    r.goodput.toFixed(3),
    r.servedPerCapacity === undefined ? '-' : r.servedPerCapacity.toFixed(3),
    r.shareSwing.toFixed(3),
    ms(r.wait?.p50Ms),
    ms(r.wait?.p99Ms),
    r.utilisation.map((u) => `${u.mean.toFixed(2)}±${u.std.toFixed(2)}`).join(' '),
    pct(r.erlangPooled),
    pct(r.erlangStatic),
  ]);
  return `### Fleet ${fleet}: ${FLEETS[fleet].label}\n\n${markdownTable(
    [
      'load',
      'routers',
      'policy',
      'sent',
      'failed',
      'router-rejected',
      'backend 429',
      '5xx',
      'goodput',
      'served/s per capacity',
      'share swing',
      'wait p50',
      'wait p99',
      'utilisation per region (mean±sd)',
      'Erlang pooled',
      'Erlang static',
    ],
    body,
  )}\n`;
}

function scenarioTable(rows: readonly FleetRow[]): string {
  const mine = rows.filter((r) => r.scenario !== undefined);
  if (mine.length === 0) return '';
  const body = mine.flatMap((r) =>
    (r.classes ?? []).map((c, i, all) => {
      // Classes of one priority (fairness keys) share the routers' figures: shown once.
      const shared = all.findIndex((x) => x.priority === c.priority) < i;
      const byPriority = r.waitByPriority?.[String(c.priority)];
      return [
        r.scenario ?? '',
        r.routers,
        c.name,
        c.priority,
        c.sent,
        pct(rate(c)),
        c.routerRejected,
        Object.entries(c.byStatus)
          .filter(([status]) => status !== '200')
          .map(([status, n]) => `${status}: ${n}`)
          .join(', ') || '-',
        shared ? 'same' : ms(byPriority?.p50Ms),
        shared ? 'same' : ms(byPriority?.p99Ms),
        ms(c.latencyP50Ms),
        ms(c.latencyP99Ms),
        ms(c.clientWaitP99Ms),
      ];
    }),
  );
  return `## Admission scenarios

Fleet a (60/30/10 slots), the telemetry loop, \`admission.maxWaitMs\` ${MAX_WAIT_MS}. **burst**:
${scenarioLabel('burst').replace(/^burst: /, '')} (the burst in the middle of the measured window);
the sheddable requests carry \`x-switchyard-priority: -1\`, the others none (priority 0).
**fairness**: ${scenarioLabel('fairness').replace(/^fairness: /, '')} throughout (overload), each
key in \`x-gateway-inference-fairness-id\`, all at priority 0. "router wait" is from the routers'
\`switchyard_admission_wait_seconds\` histogram (scraped from every router's admin
\`/metrics\` when the measured window opens and when every answer is in, summed, the
difference taken), per priority, over every answered request of that priority (those
that never waited count as 0), interpolated within the histogram's buckets (a bucket's
upper end taken as at most maxWaitMs + 25 ms, the longest wait there can be: deadlines
are swept every 25 ms, so a wait that ran out is a little above maxWaitMs); a wait goal
is judged exactly on the share of requests in the buckets up to its bound (0.5 s and 3 s
are bucket bounds), shown next to it. A request that every region refused after it was
sent waits again and is observed again (from its first wait). The histogram cannot
tell fairness keys apart ("same": the figure of the row above, the keys' common priority). "client wait p99" is the class's p99 latency of 2xx answers
minus the fleet's service time (500 ms): the wait as the client sees it, retries after a
region's 429 included.

${markdownTable(
  [
    'scenario',
    'routers',
    'class',
    'priority',
    'sent',
    'failed',
    'router-rejected',
    'non-2xx by status',
    'router wait p50',
    'router wait p99',
    'latency p50',
    'latency p99',
    'client wait p99',
  ],
  body,
)}
`;
}

export function writeFleetReport(outDir: string, results: FleetResults, before: FleetResults | null): void {
  const m = results.machine;
  const goalRows = goals(results.rows).map((g) => [
    g.goal,
    g.measured,
    g.met === null ? '-' : g.met ? 'met' : 'NOT met',
  ]);
  const beforeSection =
    before === null
      ? ''
      : `## The routing loop before this design (measured once)

The same harness against the build before the own-load correction, the smoothing, the
pick by free room and the capacity-signal 429s (shares proportional to reported
headroom; a 429 with Retry-After rested the whole region). Command: \`${before.command}\`,
${before.startedAt.slice(0, 10)}.

${markdownTable(
  ['fleet', 'load', 'routers', 'sent', 'failed', 'router-rejected', 'backend 429', 'goodput', 'share swing'],
  before.rows
    .filter((r) => r.scenario === undefined)
    .map((r) => [
      r.fleet,
      r.load,
      r.routers,
      r.sent,
      pct(rate(r)),
      r.routerRejected,
      r.backend429,
      r.goodput.toFixed(3),
      r.shareSwing.toFixed(3),
    ]),
)}
`;
  const series = [...results.series, ...(before?.series ?? [])];
  if (series.length > 0) writeFileSync(path.join(outDir, 'shares.svg'), fleetChart(series));
  const md = `# Fleet benchmark: the routing loop under load

Generated by \`npm run bench:fleet\` (${results.startedAt} to ${results.finishedAt}).
Command: \`${results.command}\`. Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGB} GB,
Node ${m.node}, ${m.platform}; load average ${m.loadAvg1m} at the start${results.quiet ? '' : '; a test suite was running when it started'}.
${otherRunsNote(results.otherRuns)}
Each run: a fresh simulated fleet in its own process (concurrency slots per region, 429
over capacity, telemetry reporting true in-flight as \`inUse\` every 500 ms), 1 or 4
router processes reading it, and open-loop Poisson clients split evenly between the
routers (non-streaming chat, 0.5 s of service: 100 ms to first token + 16 tokens x 25 ms).
${results.warmupSeconds} s of warm-up, then ${results.seconds} s measured. "failed" is
every non-2xx answer after the router's own retries; "router-rejected" are answers the
router gave itself; "goodput" is the fraction served times the offered load (what the
fleet served per second relative to its capacity, had the clients sent exactly the
nominal rate; "served/s per capacity" is the raw figure, which also moves with the size
of the Poisson sample, about ±1% in 30 s; both count every request sent in the window
that was served, and a request that waited for room is served up to 3 s after it, so
above capacity they read up to 3 s / ${results.seconds} s more than the fleet can serve:
switchyard's 1.05 at load 1.2 is capacity plus the queue that drained after the window); "share swing" is the mean fraction of traffic
the plan moved between two samples 250 ms apart. "wait p50" and "wait p99" are the
admission wait (\`admission.maxWaitMs\` at its default, 3 s) over every answered request,
from the routers' \`switchyard_admission_wait_seconds\` histograms (see "Admission
scenarios" for how; "-" in results taken before it was measured). Every policy runs through the same router (same retries,
budget and resilience): \`switchyard\` is the telemetry loop, \`round-robin\` and
\`static\` (fixed weights equal to each region's true free slots) ignore telemetry and,
as the load balancers they stand for, have no admission queue (\`admission.maxWaitMs: 0\`). Erlang
B gives the loss of the same traffic without retries, as one pooled region and as a
static capacity-proportional split.

## Goals

${markdownTable(['goal', 'measured', ''], goalRows)}

## Results

${(['a', 'b', 'c'] as const).map((f) => fleetTable(results.rows, f)).join('\n')}
${[scenarioTable(results.rows), tokenSection(results.rows), beforeSection].filter((x) => x !== '').join('\n')}
## Chart

![shares and utilisation](shares.svg)

Planned shares (left) and true utilisation per region (right) on fleet a at load 0.8.
`;
  writeFileSync(path.join(outDir, 'RESULTS.md'), md);
}
