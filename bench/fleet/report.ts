// bench/fleet/RESULTS.md: the machine and command, the loop's goals with verdicts, a
// table per fleet, the earlier build's figures when they were measured, and the chart.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { markdownTable } from '../../tools/table.js';
import { fleetChart } from './chart.js';
import { FLEETS, type FleetName } from './fleets.js';
import type { FleetResults, FleetRow } from './types.js';

const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(2)}%`);
const rate = (r: FleetRow): number => r.failed / Math.max(1, r.sent);

function find(
  rows: readonly FleetRow[],
  fleet: string,
  load: number,
  routers: number,
  policy: string,
): FleetRow | null {
  return rows.find((r) => r.fleet === fleet && r.load === load && r.routers === routers && r.policy === policy) ?? null;
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
  return out;
}

function fleetTable(rows: readonly FleetRow[], fleet: FleetName): string {
  const mine = rows.filter((r) => r.fleet === fleet);
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
      'utilisation per region (mean±sd)',
      'Erlang pooled',
      'Erlang static',
    ],
    body,
  )}\n`;
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
  before.rows.map((r) => [
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

Each run: a fresh simulated fleet in its own process (concurrency slots per region, 429
over capacity, telemetry reporting true in-flight as \`inUse\` every 500 ms), 1 or 4
router processes reading it, and open-loop Poisson clients split evenly between the
routers (non-streaming chat, 0.5 s of service: 100 ms to first token + 16 tokens x 25 ms).
${results.warmupSeconds} s of warm-up, then ${results.seconds} s measured. "failed" is
every non-2xx answer after the router's own retries; "router-rejected" are answers the
router gave itself; "goodput" is the fraction served times the offered load (what the
fleet served per second relative to its capacity, had the clients sent exactly the
nominal rate; "served/s per capacity" is the raw figure, which also moves with the size
of the Poisson sample, about ±1% in 30 s); "share swing" is the mean fraction of traffic
the plan moved between two samples 250 ms apart. Every policy runs through the same router (same retries,
budget and resilience): \`switchyard\` is the telemetry loop, \`round-robin\` and
\`static\` (fixed weights equal to each region's true free slots) ignore telemetry. Erlang
B gives the loss of the same traffic without retries, as one pooled region and as a
static capacity-proportional split.

## Goals

${markdownTable(['goal', 'measured', ''], goalRows)}

## Results

${(['a', 'b', 'c'] as const).map((f) => fleetTable(results.rows, f)).join('\n')}
${beforeSection}
## Chart

![shares and utilisation](shares.svg)

Planned shares (left) and true utilisation per region (right) on fleet a at load 0.8.
`;
  writeFileSync(path.join(outDir, 'RESULTS.md'), md);
}
