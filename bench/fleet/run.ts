// `npm run bench:fleet`: the routing loop under load, as users meet it. For every
// fleet, offered load, number of routers and policy: a fresh simulated fleet (its own
// process), that many router processes reading the same telemetry, and open-loop
// Poisson clients split evenly between them. Writes results.json, RESULTS.md and
// shares.svg into bench/fleet (see bench/README.md); a run of some groups keeps the
// other groups' rows of results.json (merge.ts).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ChildRegistry } from '../../tools/children.js';
import { waitForQuiet } from '../../tools/contention.js';
import { machineInfo } from '../../tools/machine.js';
import { startRouter } from '../../tools/router-process.js';
import { type SimInfo, startSim } from '../../tools/sim-process.js';
import { DEFAULT_ADMISSION } from '../../src/config/defaults.js';
import { ADMISSION_TICK_MS } from '../../src/proxy/admission-gate.js';
import type { SimFleetOptions, SimRegionOptions } from '../../src/sim/types.js';
import { type BenchFleet, capacityRate, FLEETS, oracleWeights, serviceMsOf, TOKENS, yardsticks } from './fleets.js';
import { mergeResults } from './merge.js';
import { type ClassCounts, type LoadResult, type OpenLoadOptions, runOpenLoad } from './open-loop.js';
import { Observer, type Sample, type Stability } from './observer.js';
import { type FleetBenchOptions, parseFleetOptions, type PolicyName, type TokenPolicyName } from './options.js';
import { writeFleetReport } from './report.js';
import { MAX_WAIT_MS, SCENARIO_NAMES, SCENARIOS } from './scenarios.js';
import { requestStream, TOKEN_FLEET_NAME, TOKEN_REGIONS, tokenRate, tokenRouterConfig } from './token-fleet.js';
import type { ClassRow, FleetRow, FleetResults, RunSeries, ScenarioName } from './types.js';
import { combine, merged, scrapeWaits, type WaitFigures, type WaitHistogram, waitFigures } from './wait-histogram.js';

const SAMPLE_MS = 250;
const DEPLOYMENT = 'chat';
/** Runs whose shares and utilisation are kept for the chart. */
const CHARTED = (spec: RunSpec): boolean =>
  spec.scenario === null && spec.fleet.name === 'a' && spec.load === 0.8 && spec.policy === 'switchyard';

interface RunSpec {
  readonly kind: 'fleet';
  readonly fleet: BenchFleet;
  readonly load: number;
  readonly routers: number;
  readonly policy: PolicyName;
  /** null: a run of the matrix. */
  readonly scenario: ScenarioName | null;
}

/** A run on the token fleet (token-fleet.ts). */
interface TokenRunSpec {
  readonly kind: 'tokens';
  readonly load: number;
  readonly routers: number;
  readonly policy: TokenPolicyName;
}

function plan(opts: FleetBenchOptions): Array<RunSpec | TokenRunSpec> {
  const runs: Array<RunSpec | TokenRunSpec> = [];
  if (opts.scenarios.includes('matrix')) {
    for (const name of opts.fleets) {
      const fleet = FLEETS[name];
      const loads = name === 'a' ? opts.loads : opts.otherFleetLoads;
      for (const load of loads) {
        for (const routers of opts.routers) {
          for (const policy of opts.policies)
            runs.push({ kind: 'fleet', fleet, load, routers, policy, scenario: null });
        }
      }
    }
  }
  for (const scenario of SCENARIO_NAMES) {
    if (!opts.scenarios.includes(scenario)) continue;
    for (const routers of opts.routers) {
      runs.push({
        kind: 'fleet',
        fleet: FLEETS.a,
        load: SCENARIOS[scenario].load,
        routers,
        policy: 'switchyard',
        scenario,
      });
    }
  }
  if (opts.scenarios.includes('tokens')) {
    for (const load of opts.tokenLoads) {
      for (const routers of opts.tokenRouters) {
        for (const policy of opts.tokenPolicies) runs.push({ kind: 'tokens', load, routers, policy });
      }
    }
  }
  return runs;
}

/** What every run's routers are given besides their policy's keys. */
function commonConfig(sim: SimInfo, regions: readonly SimRegionOptions[]): Record<string, unknown> {
  return {
    zones: { all: regions.map((r) => r.region) },
    backends: sim.backends,
    telemetry: { url: sim.telemetryUrl, intervalMs: 500, staleAfterMs: 3000 },
    log: { level: 'warn' },
  };
}

function routerConfig(spec: RunSpec, sim: SimInfo, otherBuild: boolean): Record<string, unknown> {
  const routing: Record<string, unknown> | null =
    spec.policy === 'round-robin'
      ? { policy: 'round-robin' }
      : spec.policy === 'static'
        ? { policy: 'static', staticWeights: oracleWeights(spec.fleet) }
        : null;
  return {
    ...commonConfig(sim, spec.fleet.regions),
    deployments: [{ name: DEPLOYMENT, model: 'm', type: 'global' }],
    // An earlier build knows no routing section; it only runs as "switchyard".
    ...(routing === null || otherBuild ? {} : { routing }),
    // The scenarios' goals name the wait; say it rather than lean on the default. The
    // baselines stand for load balancers, which have no admission queue.
    ...(otherBuild
      ? {}
      : spec.policy !== 'switchyard'
        ? { admission: { maxWaitMs: 0 } }
        : spec.scenario === null
          ? {}
          : { admission: { maxWaitMs: MAX_WAIT_MS } }),
  };
}

function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

function classRow(name: string, priority: number, c: ClassCounts, serviceMs: number): ClassRow {
  const sorted = [...c.okLatenciesMs].sort((a, b) => a - b);
  const p99 = percentile(sorted, 0.99);
  const round = (x: number | null): number | null => (x === null ? null : Math.round(x));
  return {
    name,
    priority,
    sent: c.sent,
    failed: c.failed,
    routerRejected: c.routerRejected,
    byStatus: c.byStatus,
    latencyP50Ms: round(percentile(sorted, 0.5)),
    latencyP99Ms: round(p99),
    clientWaitP99Ms: p99 === null ? null : Math.max(0, Math.round(p99 - serviceMs)),
  };
}

/** The routers' waits over the measured window, over every request and per priority. */
function waitsOf(
  atStart: WaitHistogram | null,
  atEnd: WaitHistogram | null,
  answeredByPriority: ReadonlyMap<number, number>,
  ceilingMs: number,
): { wait: WaitFigures | null; waitByPriority: Record<string, WaitFigures> } {
  if (atStart === null || atEnd === null) return { wait: null, waitByPriority: {} };
  const delta = combine(atEnd, atStart, -1);
  const total = [...answeredByPriority.values()].reduce((a, b) => a + b, 0);
  const waitByPriority: Record<string, WaitFigures> = {};
  for (const p of new Set([...answeredByPriority.keys(), ...delta.keys()])) {
    waitByPriority[String(p)] = waitFigures(
      merged(delta, (x) => x === p),
      answeredByPriority.get(p) ?? 0,
      ceilingMs,
    );
  }
  return { wait: waitFigures(merged(delta, null), total, ceilingMs), waitByPriority };
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

/** What one run measured: the clients' counts, the routers' waits and the fleet's samples. */
interface Driven {
  readonly counts: LoadResult;
  readonly atStart: WaitHistogram | null;
  readonly atEnd: WaitHistogram | null;
  readonly stability: Stability;
  readonly samples: readonly Sample[];
}

/**
 * One run: a fresh fleet and `routers` router processes with `config`, the observer,
 * the open-loop clients (`load` without the routers' URLs), then everything stopped.
 */
async function drive(
  reg: ChildRegistry,
  cli: string | undefined,
  fleet: Omit<SimFleetOptions, 'now'>,
  configOf: (sim: SimInfo) => Record<string, unknown>,
  routerCount: number,
  load: Omit<OpenLoadOptions, 'routers'>,
): Promise<Driven> {
  const sim = await startSim(reg, fleet);
  const config = configOf(sim);
  const routers = await Promise.all(
    Array.from({ length: routerCount }, (_, i) => startRouter(reg, { name: `router${i}`, config, cli })),
  );
  const observer = new Observer(
    fleet.regions.map((r) => r.region),
    routers.map((r) => r.adminUrl),
    sim.controlUrl,
    SAMPLE_MS,
  );
  observer.start();
  // The wait histogram when the measured window opens, and again once every answer is in.
  const adminUrls = routers.map((r) => r.adminUrl);
  let atStart: Promise<WaitHistogram | null> = Promise.resolve(null);
  const startScrape = setTimeout(() => {
    atStart = scrapeWaits(adminUrls, DEPLOYMENT);
  }, load.warmupMs);
  const counts = await runOpenLoad({ ...load, routers: routers.map((r) => r.url) });
  clearTimeout(startScrape);
  const atEnd = await scrapeWaits(adminUrls, DEPLOYMENT);
  observer.stop();
  reg.checkNoCrash();
  for (const r of routers) await reg.stop(r.child);
  await reg.stop(sim.child);
  return {
    counts,
    atStart: await atStart,
    atEnd,
    stability: observer.stability(load.warmupMs),
    samples: observer.samples,
  };
}

async function oneRun(
  spec: RunSpec,
  opts: FleetBenchOptions,
  reg: ChildRegistry,
  cli: string | undefined,
  index: number,
): Promise<{ row: FleetRow; series: RunSeries | null }> {
  const warmupMs = opts.warmupSeconds * 1000;
  const measureMs = opts.seconds * 1000;
  const scenario = spec.scenario === null ? null : SCENARIOS[spec.scenario];
  const shaped = scenario?.shape(warmupMs, measureMs);
  const { counts, atStart, atEnd, stability, samples } = await drive(
    reg,
    cli,
    { regions: [...spec.fleet.regions], models: ['m'], defaultTokens: TOKENS },
    (sim) => routerConfig(spec, sim, cli !== undefined),
    spec.routers,
    {
      ratePerSecond: spec.load * capacityRate(spec.fleet),
      warmupMs,
      measureMs,
      seed: opts.seed + index,
      ...(shaped === undefined ? {} : { shape: shaped.shape, peakFactor: shaped.peak }),
      ...(scenario === null ? {} : { classes: scenario.classes }),
    },
  );

  const serviceMs = serviceMsOf(spec.fleet.regions[0] as SimRegionOptions);
  const priorityOf = (name: string): number => scenario?.priorities[name] ?? 0;
  const answeredByPriority = new Map<number, number>();
  for (const [name, c] of Object.entries(counts.classes)) {
    const p = priorityOf(name);
    answeredByPriority.set(p, (answeredByPriority.get(p) ?? 0) + c.sent - c.errors);
  }
  // The longest wait there can be: a request's deadline is checked every ADMISSION_TICK_MS.
  const maxWaitMs = scenario === null ? DEFAULT_ADMISSION.maxWaitMs : MAX_WAIT_MS;
  const waits = waitsOf(atStart, atEnd, answeredByPriority, maxWaitMs + ADMISSION_TICK_MS);
  const yard = yardsticks(spec.fleet, spec.load);
  const row: FleetRow = {
    fleet: spec.fleet.name,
    ...measured(spec, opts, counts, stability, capacityRate(spec.fleet)),
    erlangPooled: yard.pooled,
    erlangStatic: yard.staticSplit,
    ...(spec.scenario === null ? {} : { scenario: spec.scenario }),
    wait: waits.wait,
    waitByPriority: waits.waitByPriority,
    ...(scenario === null
      ? {}
      : {
          classes: Object.entries(counts.classes).map(([name, c]) => classRow(name, priorityOf(name), c, serviceMs)),
        }),
  };
  const series = CHARTED(spec)
    ? {
        fleet: spec.fleet.name,
        load: spec.load,
        routers: spec.routers,
        build: row.build,
        regions: spec.fleet.regions.map((r) => r.region),
        points: downsample(samples, warmupMs, 240),
      }
    : null;
  return { row, series };
}

/**
 * One run on the token fleet. Every policy at a load gets the same requests: the
 * arrivals' seed and each router's stream of sizes depend on the load, not on the run.
 */
async function tokenRun(
  spec: TokenRunSpec,
  opts: FleetBenchOptions,
  reg: ChildRegistry,
  cli: string | undefined,
): Promise<FleetRow> {
  const warmupMs = opts.warmupSeconds * 1000;
  const seed = opts.seed + Math.round(spec.load * 1000);
  const { counts, atStart, atEnd, stability } = await drive(
    reg,
    cli,
    { regions: [...TOKEN_REGIONS], models: ['m'], defaultTokens: TOKENS },
    (sim) => ({ ...commonConfig(sim, TOKEN_REGIONS), ...tokenRouterConfig(spec.policy, TOKENS) }),
    spec.routers,
    {
      ratePerSecond: tokenRate(spec.load),
      warmupMs,
      measureMs: opts.seconds * 1000,
      seed,
      requests: (router) => requestStream(seed * 31 + router),
    },
  );
  const baseline = spec.policy === 'static' || spec.policy === 'round-robin';
  const waits = waitsOf(
    atStart,
    atEnd,
    new Map([[0, counts.sent - counts.errors]]),
    (baseline ? 0 : DEFAULT_ADMISSION.maxWaitMs) + ADMISSION_TICK_MS,
  );
  return {
    fleet: TOKEN_FLEET_NAME,
    ...measured(spec, opts, counts, stability, tokenRate(1)),
    erlangPooled: null,
    erlangStatic: null,
    wait: waits.wait,
    waitByPriority: waits.waitByPriority,
    tokens: {
      offered: counts.sentTokens,
      failed: counts.sentTokens - counts.okTokens,
      servedPerSecond: counts.okTokens / opts.seconds,
      goodput: (counts.okTokens / Math.max(1, counts.sentTokens)) * spec.load,
    },
  };
}

/** What every run's row says of its requests and the fleet's stability (capacityPerSecond: the rate load 1 offers). */
function measured(
  spec: { readonly load: number; readonly routers: number; readonly policy: FleetRow['policy'] },
  opts: FleetBenchOptions,
  counts: LoadResult,
  stability: Stability,
  capacityPerSecond: number,
) {
  return {
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
    servedPerCapacity: counts.ok / opts.seconds / capacityPerSecond,
    shareSwing: stability.shareSwing,
    longestIdleZeroShareMs: stability.longestIdleZeroShareMs,
    utilisation: stability.utilisation,
    seconds: opts.seconds,
  };
}

function readResults(dir: string): FleetResults | null {
  const file = path.join(dir, 'results.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as FleetResults) : null;
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

function ms(x: number | null): string {
  return x === null ? '-' : `${Math.round(x)} ms`;
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
    const results = readResults(opts.out);
    if (results === null) throw new Error(`no ${opts.out}/results.json to report on`);
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
    if (spec.kind === 'tokens') {
      const row = await tokenRun(spec, opts, reg, cli);
      rows.push(row);
      const t = row.tokens;
      log(
        `[${i + 1}/${runs.length}] token fleet load ${row.load} routers ${row.routers} ${row.policy}: ` +
          `failed ${pct(row.failed / Math.max(1, row.sent))} of ${row.sent} (router ${row.routerRejected}, backend 429 ${row.backend429}, 5xx ${row.status5xx}); ` +
          `failed tokens ${pct((t?.failed ?? 0) / Math.max(1, t?.offered ?? 0))}; served ${Math.round(t?.servedPerSecond ?? 0)} tokens/s; ` +
          `wait p50 ${ms(row.wait?.p50Ms ?? null)} p99 ${ms(row.wait?.p99Ms ?? null)}`,
      );
      continue;
    }
    const { row, series: s } = await oneRun(spec, opts, reg, cli, i);
    rows.push(row);
    if (s !== null) series.push(s);
    const yard =
      row.erlangPooled === null ? '' : ` (pooled ${pct(row.erlangPooled)}, static ${pct(row.erlangStatic ?? 0)})`;
    const wait = row.wait == null ? '' : `; wait p50 ${ms(row.wait.p50Ms)} p99 ${ms(row.wait.p99Ms)}`;
    const classes = (row.classes ?? [])
      .map(
        (c) =>
          `\n    ${c.name}: failed ${pct(c.failed / Math.max(1, c.sent))} of ${c.sent}, client wait p99 ${ms(c.clientWaitP99Ms)}`,
      )
      .join('');
    log(
      `[${i + 1}/${runs.length}] ${row.scenario === undefined ? '' : `${row.scenario}: `}fleet ${row.fleet} load ${row.load} routers ${row.routers} ${row.policy}: ` +
        `failed ${pct(row.failed / Math.max(1, row.sent))} of ${row.sent} (router ${row.routerRejected}, backend 429 ${row.backend429}, 5xx ${row.status5xx})` +
        `${yard}; goodput ${row.goodput.toFixed(3)}; swing ${row.shareSwing.toFixed(3)}${wait}${classes}`,
    );
  }
  clearTimeout(hardLimit);
  mkdirSync(opts.out, { recursive: true });
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
  const all = mergeResults(results, readResults(opts.out), opts.scenarios);
  writeFileSync(path.join(opts.out, 'results.json'), `${JSON.stringify(all, null, 2)}\n`);
  writeFleetReport(opts.out, all, readBefore(opts.out));
  log(`wrote ${opts.out}/results.json, RESULTS.md and shares.svg`);
}

await main();
