// `npm run bench:fleet`: the routing loop under load, as users meet it. For every
// fleet, offered load, number of routers and policy: a fresh simulated fleet (its own
// process), that many router processes reading the same telemetry, and open-loop
// Poisson clients split evenly between them. Writes results.json, RESULTS.md and
// shares.svg into bench/fleet (see bench/README.md).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ChildRegistry } from '../../tools/children.js';
import { waitForQuiet } from '../../tools/contention.js';
import { machineInfo } from '../../tools/machine.js';
import { startRouter } from '../../tools/router-process.js';
import { type SimInfo, startSim } from '../../tools/sim-process.js';
import { type BenchFleet, capacityRate, FLEETS, oracleWeights, TOKENS, yardsticks } from './fleets.js';
import { runOpenLoad } from './open-loop.js';
import { Observer, type Sample } from './observer.js';
import { type FleetBenchOptions, parseFleetOptions, type PolicyName } from './options.js';
import { writeFleetReport } from './report.js';
import type { FleetRow, FleetResults, RunSeries } from './types.js';

const SAMPLE_MS = 250;
/** Runs whose shares and utilisation are kept for the chart. */
const CHARTED = (fleet: string, load: number, policy: string): boolean =>
  fleet === 'a' && load === 0.8 && policy === 'switchyard';

interface RunSpec {
  readonly fleet: BenchFleet;
  readonly load: number;
  readonly routers: number;
  readonly policy: PolicyName;
}

function plan(opts: FleetBenchOptions): RunSpec[] {
  const runs: RunSpec[] = [];
  for (const name of opts.fleets) {
    const fleet = FLEETS[name];
    const loads = name === 'a' ? opts.loads : opts.otherFleetLoads;
    for (const load of loads) {
      for (const routers of opts.routers) {
        for (const policy of opts.policies) runs.push({ fleet, load, routers, policy });
      }
    }
  }
  return runs;
}

function routerConfig(spec: RunSpec, sim: SimInfo, otherBuild: boolean): Record<string, unknown> {
  const routing: Record<string, unknown> | null =
    spec.policy === 'round-robin'
      ? { policy: 'round-robin' }
      : spec.policy === 'static'
        ? { policy: 'static', staticWeights: oracleWeights(spec.fleet) }
        : null;
  return {
    zones: { all: spec.fleet.regions.map((r) => r.region) },
    backends: sim.backends,
    deployments: [{ name: 'chat', model: 'm', type: 'global' }],
    telemetry: { url: sim.telemetryUrl, intervalMs: 500, staleAfterMs: 3000 },
    log: { level: 'warn' },
    // An earlier build knows no routing section; it only runs as "switchyard".
    ...(routing === null || otherBuild ? {} : { routing }),
  };
}

function downsample(samples: readonly Sample[], fromMs: number, max: number): RunSeries['points'] {
  const kept = samples.filter((s) => s.t >= fromMs);
  const step = Math.max(1, Math.ceil(kept.length / max));
  return kept
    .filter((_, i) => i % step === 0)
    .map((s) => ({
      t: Math.round(s.t - fromMs),
      shares: (s.shares[0] ?? []).map((x) => Math.round(x * 1000) / 1000),
      utilisation: s.utilisation.map((x) => Math.round(x * 1000) / 1000),
    }));
}

async function oneRun(
  spec: RunSpec,
  opts: FleetBenchOptions,
  reg: ChildRegistry,
  cli: string | undefined,
  index: number,
): Promise<{ row: FleetRow; series: RunSeries | null }> {
  const sim = await startSim(reg, { regions: [...spec.fleet.regions], models: ['m'], defaultTokens: TOKENS });
  const config = routerConfig(spec, sim, cli !== undefined);
  const routers = await Promise.all(
    Array.from({ length: spec.routers }, (_, i) => startRouter(reg, { name: `router${i}`, config, cli })),
  );

  const regionNames = spec.fleet.regions.map((r) => r.region);
  const observer = new Observer(
    regionNames,
    routers.map((r) => r.adminUrl),
    sim.controlUrl,
    SAMPLE_MS,
  );
  observer.start();
  const warmupMs = opts.warmupSeconds * 1000;
  const measureMs = opts.seconds * 1000;
  const rate = spec.load * capacityRate(spec.fleet);
  const counts = await runOpenLoad({
    routers: routers.map((r) => r.url),
    ratePerSecond: rate,
    warmupMs,
    measureMs,
    seed: opts.seed + index,
  });
  observer.stop();
  reg.checkNoCrash();
  for (const r of routers) await reg.stop(r.child);
  await reg.stop(sim.child);

  const stability = observer.stability(warmupMs);
  const yard = yardsticks(spec.fleet, spec.load);
  const row: FleetRow = {
    fleet: spec.fleet.name,
    load: spec.load,
    routers: spec.routers,
    policy: spec.policy,
    build: opts.switchyardDir === null ? 'current' : opts.label,
    sent: counts.sent,
    failed: counts.failed,
    routerRejected: counts.routerRejected,
    backend429: counts.backend429,
    status5xx: counts.status5xx,
    transportErrors: counts.errors,
    goodput: (counts.ok / Math.max(1, counts.sent)) * spec.load,
    servedPerCapacity: counts.ok / opts.seconds / capacityRate(spec.fleet),
    shareSwing: stability.shareSwing,
    longestIdleZeroShareMs: stability.longestIdleZeroShareMs,
    utilisation: stability.utilisation,
    erlangPooled: yard.pooled,
    erlangStatic: yard.staticSplit,
    seconds: opts.seconds,
  };
  const series = CHARTED(spec.fleet.name, spec.load, spec.policy)
    ? {
        fleet: spec.fleet.name,
        load: spec.load,
        routers: spec.routers,
        build: row.build,
        regions: regionNames,
        points: downsample(observer.samples, warmupMs, 240),
      }
    : null;
  return { row, series };
}

function readBefore(dir: string): FleetResults | null {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'before.json'), 'utf8')) as FleetResults;
  } catch {
    return null;
  }
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

async function main(): Promise<void> {
  const opts = parseFleetOptions();
  const cli = opts.switchyardDir === null ? undefined : path.resolve(opts.switchyardDir, 'dist/src/cli.js');
  const reg = new ChildRegistry();
  const onSignal = reg.killAllOnExit();

  const log = (msg: string): void => {
    process.stdout.write(`${msg}\n`);
  };
  if (opts.reportOnly) {
    const results = JSON.parse(readFileSync(path.join(opts.out, 'results.json'), 'utf8')) as FleetResults;
    writeFleetReport(opts.out, results, readBefore(opts.out));
    log(`rewrote ${opts.out}/RESULTS.md and shares.svg from results.json`);
    return;
  }
  const quiet = await waitForQuiet(120_000, log);
  const runs = plan(opts);
  const perRun = opts.seconds + opts.warmupSeconds + 4;
  log(
    `${runs.length} runs of ${opts.warmupSeconds}+${opts.seconds} s: about ${Math.ceil((runs.length * perRun) / 60)} minutes`,
  );
  // Bounded: a run that hangs is abandoned.
  const hardLimit = setTimeout(
    () => {
      log('hard time limit reached; stopping');
      onSignal();
    },
    (runs.length * perRun * 2 + 60) * 1000,
  );
  hardLimit.unref();

  const startedAt = new Date().toISOString();
  const rows: FleetRow[] = [];
  const series: RunSeries[] = [];
  for (const [i, spec] of runs.entries()) {
    const { row, series: s } = await oneRun(spec, opts, reg, cli, i);
    rows.push(row);
    if (s !== null) series.push(s);
    const yard =
      row.erlangPooled === null ? '' : ` (pooled ${pct(row.erlangPooled)}, static ${pct(row.erlangStatic ?? 0)})`;
    log(
      `[${i + 1}/${runs.length}] fleet ${row.fleet} load ${row.load} routers ${row.routers} ${row.policy}: ` +
        `failed ${pct(row.failed / Math.max(1, row.sent))} of ${row.sent} (router ${row.routerRejected}, backend 429 ${row.backend429}, 5xx ${row.status5xx})` +
        `${yard}; goodput ${row.goodput.toFixed(3)}; swing ${row.shareSwing.toFixed(3)}`,
    );
  }
  clearTimeout(hardLimit);
  const results: FleetResults = {
    command: `npm run bench:fleet -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machineInfo(),
    quiet,
    startedAt,
    finishedAt: new Date().toISOString(),
    seconds: opts.seconds,
    warmupSeconds: opts.warmupSeconds,
    rows,
    series,
  };
  if (opts.switchyardDir !== null) {
    const file = path.join(opts.out, `${opts.label}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${file}`);
    return;
  }
  writeFileSync(path.join(opts.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFleetReport(opts.out, results, readBefore(opts.out));
  log(`wrote ${opts.out}/results.json, RESULTS.md and shares.svg`);
}

await main();
