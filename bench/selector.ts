// npm run bench:selector: ns per pick and picks/s of switchyard's alias table against a
// linear cumulative scan and nginx's smooth weighted round robin, for 3 to 1,024
// regions with Zipf-like weights; allocation per pick; the cost of a plan rebuild.
// Writes bench/selector-results.json. Flags: --quick (shorter timing windows).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { planDeployment } from '../src/planner/plan-deployment.js';
import { AliasTable } from '../src/selector/alias-table.js';
import { DeploymentRoute } from '../src/selector/deployment-route.js';
import { commandLine, flag } from '../tools/argv.js';
import { testSuitePids, waitForQuiet } from '../tools/contention.js';
import { machineInfo } from '../tools/machine.js';
import { REPO_ROOT } from '../tools/paths.js';
import { measureAllocation, gcFunction, type AllocationResult } from './selector/allocation.js';
import { LinearScan, SmoothWeightedRoundRobin } from './selector/baselines.js';
import {
  aliasKernel,
  linearKernel,
  loopKernel,
  mathRandomKernel,
  routeKernel,
  swrrKernel,
  type Kernel,
} from './selector/kernels.js';
import { uniforms, zipfWeights } from './selector/random.js';
import { NOW, rebuildCase } from './selector/rebuild-inputs.js';
import { routeCase } from './selector/route-cases.js';
import { type Cell, formatTable, num } from '../tools/table.js';

const QUICK = commandLine(
  { quick: flag('shorter timing windows (about 5 s): a smoke test') },
  { usage: 'usage: npm run bench:selector [-- --quick]' },
).quick;
const SIZES = [3, 7, 64, 1024] as const;
/** Picks per timed iteration: a few ns per pick is far below the timer's resolution. */
const BATCH = 4096;
const ZIPF_S = 1.0;
const ALLOC_PICKS = 10_000_000;
const SEED = 20261126;
const OUT = join(REPO_ROOT, 'bench', 'selector-results.json');

// The selector's goals: a pick costs a few ns at any fleet size and allocates nothing.
const TARGET_NS_AT_1024 = 30;
const TARGET_O1_RATIO = 1.5;
// A pick by load scans at most 16 regions when the drawn one is full, whatever n is;
// what is left between 64 and 1,024 regions is cache misses on the larger tables.
const TARGET_SCAN_RATIO = 2;

interface PickRow {
  readonly algorithm: string;
  readonly regions: number | null;
  readonly nsPerPick: number;
  readonly nsPerPickMean: number;
  readonly picksPerSecond: number;
  readonly rmePercent: number;
  readonly samples: number;
}

let sink = 0;

/**
 * Times each task with tinybench (median and mean iteration time in ms, its relative
 * margin of error, samples), in the windows --quick shortens.
 */
async function timed(
  tasks: ReadonlyArray<readonly [string, () => void]>,
  windowMs: number,
): Promise<Array<{ name: string; p50: number; mean: number; rme: number; samples: number }>> {
  const bench = new Bench({ time: QUICK ? windowMs : 1000, warmupTime: QUICK ? 50 : 250, iterations: QUICK ? 16 : 64 });
  for (const [name, fn] of tasks) bench.add(name, fn);
  await bench.run();
  return bench.tasks.map((task) => {
    const r = task.result;
    if (r.state !== 'completed')
      throw new Error(`task ${task.name}: ${r.state}${r.state === 'errored' ? `: ${r.error.message}` : ''}`);
    return {
      name: task.name,
      p50: r.latency.p50,
      mean: r.latency.mean,
      rme: r.latency.rme,
      samples: r.latency.samplesCount,
    };
  });
}

async function pickBenchmarks(rnd: Float64Array): Promise<PickRow[]> {
  const cases: Array<{ algorithm: string; regions: number | null; fn: () => void }> = [];
  const add = <T>(algorithm: string, regions: number | null, kernel: Kernel<T>, selector: T): void => {
    const fn = (): void => {
      sink += kernel(selector, rnd, BATCH);
    };
    cases.push({ algorithm, regions, fn });
  };
  add('Math.random() alone (baseline)', null, mathRandomKernel, null);
  add('loop + array read alone (baseline)', null, loopKernel, null);
  for (const n of SIZES) {
    const w = zipfWeights(n, ZIPF_S, SEED + n);
    add('alias table (switchyard)', n, aliasKernel, new AliasTable(w));
    add('linear cumulative scan', n, linearKernel, new LinearScan(w));
    add('smooth weighted round robin (nginx)', n, swrrKernel, new SmoothWeightedRoundRobin(w));
  }
  // The data plane's whole pick: weighted only (conservative mode), and by load with
  // every region having room (the first draw kept) or a third of them full (the scan).
  for (const n of SIZES) {
    const w = zipfWeights(n, ZIPF_S, SEED + n);
    add('route pick, weighted', n, routeKernel, routeCase(w, 'with room', 'weighted'));
    add('route pick by load, all with room', n, routeKernel, routeCase(w, 'with room', 'by-load'));
    add('route pick by load, a third full', n, routeKernel, routeCase(w, 'a third full', 'by-load'));
  }
  // Diagnostic: with equal weights every column keeps itself (prob 1), so the coin-flip
  // branch is always predicted; what remains between 3 and 1,024 is table size alone.
  for (const n of [3, 1024]) {
    add('alias table, equal weights (diagnostic)', n, aliasKernel, new AliasTable(new Float64Array(n).fill(1)));
  }
  const times = await timed(
    cases.map((c) => [c.regions === null ? c.algorithm : `${c.algorithm} n=${c.regions}`, c.fn] as const),
    150,
  );
  return times.map((t, i) => {
    const ns = (t.p50 * 1e6) / BATCH;
    return {
      algorithm: cases[i]?.algorithm ?? t.name,
      regions: cases[i]?.regions ?? null,
      nsPerPick: ns,
      nsPerPickMean: (t.mean * 1e6) / BATCH,
      picksPerSecond: 1e9 / ns,
      rmePercent: t.rme,
      samples: t.samples,
    };
  });
}

interface AllocRow extends AllocationResult {
  readonly algorithm: string;
  readonly regions: number;
}

async function allocationBenchmarks(rnd: Float64Array): Promise<AllocRow[]> {
  const w7 = zipfWeights(7, ZIPF_S, SEED + 7);
  const alias = (n: number) => () =>
    measureAllocation(aliasKernel, new AliasTable(zipfWeights(n, ZIPF_S, SEED + n)), rnd, ALLOC_PICKS);
  // The baselines' allocation does not depend on n; small n keeps 10 M picks quick.
  const cases: Array<[string, number, () => Promise<AllocationResult>]> = [
    ...SIZES.map((n): [string, number, () => Promise<AllocationResult>] => ['alias table (switchyard)', n, alias(n)]),
    [
      'route pick by load, a third full',
      7,
      () => measureAllocation(routeKernel, routeCase(w7, 'a third full', 'by-load'), rnd, ALLOC_PICKS),
    ],
    ['linear cumulative scan', 7, () => measureAllocation(linearKernel, new LinearScan(w7), rnd, ALLOC_PICKS)],
    [
      'smooth weighted round robin (nginx)',
      7,
      () => measureAllocation(swrrKernel, new SmoothWeightedRoundRobin(w7), rnd, ALLOC_PICKS),
    ],
  ];
  const rows: AllocRow[] = [];
  for (const [algorithm, regions, measure] of cases) rows.push({ algorithm, regions, ...(await measure()) });
  return rows;
}

interface RebuildRow {
  readonly case: string;
  readonly regions: number;
  readonly mode: string;
  readonly usPerRebuild: number;
  readonly usPerRebuildMean: number;
  readonly rebuildsPerSecond: number;
  readonly rmePercent: number;
  readonly samples: number;
}

async function rebuildBenchmarks(): Promise<RebuildRow[]> {
  const cases = [rebuildCase(7, 0, SEED), rebuildCase(1024, 0, SEED), rebuildCase(1024, 0.35, SEED)];
  const times = await timed(
    cases.map(
      (c) =>
        [
          c.label,
          () => {
            const plan = planDeployment(c.deployment, c.input, NOW);
            sink += new DeploymentRoute(plan, c.upstreamOf).plan.routable.length;
          },
        ] as const,
    ),
    200,
  );
  return times.map((t, i) => {
    const c = cases[i];
    return {
      case: t.name,
      regions: c?.regions ?? 0,
      mode: c === undefined ? '?' : planDeployment(c.deployment, c.input, NOW).mode,
      usPerRebuild: t.p50 * 1000,
      usPerRebuildMean: t.mean * 1000,
      rebuildsPerSecond: 1000 / t.p50,
      rmePercent: t.rme,
      samples: t.samples,
    };
  });
}

async function main(): Promise<void> {
  if (gcFunction() === null) {
    process.stderr.write('bench:selector needs node --expose-gc (npm run bench:selector sets it)\n');
    process.exit(2);
  }
  const quiet = await waitForQuiet(QUICK ? 30_000 : 120_000, (m) => process.stderr.write(`${m}\n`));
  const started = new Date();
  const machine = machineInfo();
  const out = (text: string): void => {
    process.stdout.write(text);
  };
  const table = (headers: string[], rows: Cell[][], after = '\n\n'): void =>
    out(`${formatTable(headers, rows)}${after}`);
  const timing = (median: number, mean: number, perSecond: number, rme: number, samples: number): Cell[] => [
    num(median),
    num(mean),
    num(perSecond),
    num(rme, 2),
    samples,
  ];
  out(
    `switchyard selector benchmark${QUICK ? ' (--quick)' : ''}: ${machine.cpuModel} x${machine.cores}, Node ${machine.node}\n`,
  );
  out(`weights: Zipf s=${ZIPF_S}, shuffled; ${BATCH} picks per timed iteration over precomputed uniforms\n\n`);
  const rnd = uniforms(16, SEED);

  const picks = await pickBenchmarks(rnd);
  table(
    ['selector', 'regions', 'ns/pick (median)', 'ns/pick (mean)', 'picks/s', '±%', 'samples'],
    picks.map((r) => [
      r.algorithm,
      r.regions ?? '-',
      ...timing(r.nsPerPick, r.nsPerPickMean, r.picksPerSecond, r.rmePercent, r.samples),
    ]),
  );
  const nsOf = (algorithm: string, n: number): number =>
    picks.find((r) => r.algorithm === algorithm && r.regions === n)?.nsPerPick ?? NaN;
  const aliasAt = (n: number): number => nsOf('alias table (switchyard)', n);
  const equalAt = (n: number): number => nsOf('alias table, equal weights (diagnostic)', n);
  const ratio = aliasAt(1024) / aliasAt(3);
  const equalRatio = equalAt(1024) / equalAt(3);
  out(`alias table O(1) check: ns(1024) / ns(3) = ${num(aliasAt(1024))} / ${num(aliasAt(3))} = ${num(ratio)}x\n`);
  out(
    `  with equal weights (no coin-flip mispredictions): ${num(equalAt(1024))} / ${num(equalAt(3))} = ${num(equalRatio)}x\n\n`,
  );

  const alloc = await allocationBenchmarks(rnd);
  table(
    ['selector', 'regions', 'picks', 'allocated B/pick', 'retained B/pick', 'GCs during loop'],
    alloc.map((r) => [
      r.algorithm,
      r.regions,
      num(r.picks),
      num(r.allocatedBytesPerPick, 2),
      num(r.retainedBytesPerPick, 2),
      r.gcsDuringLoop,
    ]),
    '\n',
  );
  out(
    '(heapUsed deltas around 10 M picks after a forced GC; the figures include the one process.memoryUsage() object)\n\n',
  );

  const rebuild = await rebuildBenchmarks();
  const rebuildHeaders = ['plan rebuild (planDeployment + new DeploymentRoute)', 'mode', 'us/rebuild (median)'];
  table(
    [...rebuildHeaders, 'us (mean)', 'rebuilds/s', '±%', 'samples'],
    rebuild.map((r) => [
      r.case,
      r.mode,
      ...timing(r.usPerRebuild, r.usPerRebuildMean, r.rebuildsPerSecond, r.rmePercent, r.samples),
    ]),
  );

  const aliasAlloc = alloc.filter((r) => r.algorithm.startsWith('alias') || r.algorithm.startsWith('route'));
  const maxAllocated = Math.max(...aliasAlloc.map((r) => r.allocatedBytesPerPick));
  const anyGc = aliasAlloc.some((r) => r.gcsDuringLoop > 0);
  const byLoadFull = (n: number): number => nsOf('route pick by load, a third full', n);
  const byLoadRatio = byLoadFull(1024) / byLoadFull(64);
  const checks = [
    {
      target: `alias table <= ${TARGET_NS_AT_1024} ns per pick at 1,024 regions`,
      measured: `${num(aliasAt(1024))} ns`,
      pass: aliasAt(1024) <= TARGET_NS_AT_1024,
    },
    {
      target: `O(1): ns(1024) / ns(3) <= ${TARGET_O1_RATIO}`,
      measured: `${num(ratio)}x`,
      pass: ratio <= TARGET_O1_RATIO,
    },
    {
      target: `pick by load with full regions is bounded (both scan 16 regions): ns(1024) / ns(64) <= ${TARGET_SCAN_RATIO}`,
      measured: `${num(byLoadFull(1024))} / ${num(byLoadFull(64))} ns = ${num(byLoadRatio)}x`,
      pass: byLoadRatio <= TARGET_SCAN_RATIO,
    },
    {
      target: 'zero allocation per pick, alias table and route pick by load (no GC during 10 M picks, < 0.01 B/pick)',
      measured: `${num(maxAllocated, 2)} B/pick, ${anyGc ? 'GC ran' : 'no GC'}`,
      pass: !anyGc && maxAllocated < 0.01,
    },
  ];
  table(
    ['goal', 'measured', 'result'],
    checks.map((c) => [c.target, c.measured, c.pass ? 'PASS' : 'FAIL']),
    '\n',
  );

  const results = {
    date: started.toISOString(),
    command: `npm run bench:selector${QUICK ? ' -- --quick' : ''}`,
    quick: QUICK,
    machine,
    testSuiteRunning: !quiet || testSuitePids().length > 0,
    settings: { sizes: SIZES, zipfS: ZIPF_S, batch: BATCH, allocationPicks: ALLOC_PICKS, seed: SEED },
    picks,
    aliasO1Ratio: ratio,
    aliasO1RatioEqualWeights: equalRatio,
    allocation: alloc,
    rebuild,
    checks,
  };
  writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\nwrote ${OUT}${sink === 0.5 ? '' : ''}\n`);
}

await main();
