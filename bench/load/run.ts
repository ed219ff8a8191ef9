// npm run bench: the data plane's load benchmark in one command. Starts the simulated
// backends, the peers (http-proxy, a minimal undici proxy) and switchyard as child
// processes on 127.0.0.1, runs workloads A, A-rate, C, B (200 and 2,000 streams), B200
// right after A on the same processes (carry-over) and the dropped-client phase with the
// targets interleaved, and writes bench/RESULTS.md,
// bench/results.json and bench/results.svg. Every child is stopped on exit, error or
// Ctrl-C; the run is abandoned past a hard time limit.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChildRegistry } from '../../tools/children.js';
import { testSuitePids, waitForQuiet } from '../../tools/contention.js';
import { machineInfo } from '../../tools/machine.js';
import { REPO_ROOT } from '../../tools/paths.js';
import { SWITCHYARD_CLI } from '../../tools/router-process.js';
import { formatTable, num } from '../../tools/table.js';
import { stopAutocannon } from './autocannon-load.js';
import { phaseCarry } from './carry-over-phase.js';
import { renderChart } from './chart.js';
import type { DropResult } from './drop-phase.js';
import { startBackends } from './fleets.js';
import type { RunRecord } from './measure.js';
import { type Options, parseOptions } from './options.js';
import { stopPaced } from './paced-load.js';
import { OTHER_CPU_WARN_PCT, type PeakRecord, type PhaseContext, phaseA, phaseB, phaseDrop } from './phases.js';
import { CLK_TCK, PeakTracker } from './proc-stats.js';
import { consoleTables, keepProfileSection, renderResults } from './report.js';
import { median } from './stats.js';
import { latencyAdded, leanRatios, type Results, summarise } from './summary.js';
import { type Verdict, verdicts } from './verdicts.js';

class Abort extends Error {}

const reg = new ChildRegistry();
let abortReason: string | null = null;

function log(msg: string): void {
  process.stdout.write(`${msg}\n`);
}

function abort(reason: string): void {
  if (abortReason !== null) return;
  abortReason = reason;
  stopAutocannon();
  stopPaced();
}

/** RESULTS.md (keeping its hand-written sections), results.svg and, from a run, results.json. */
function writeResults(outDir: string, results: Results, v: readonly Verdict[], json: boolean): void {
  mkdirSync(outDir, { recursive: true });
  const mdPath = join(outDir, 'RESULTS.md');
  const previous = existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : null;
  if (json) writeFileSync(join(outDir, 'results.json'), `${JSON.stringify({ ...results, verdicts: v }, null, 2)}\n`);
  writeFileSync(join(outDir, 'results.svg'), renderChart(results));
  writeFileSync(mdPath, keepProfileSection(renderResults(results, v), previous));
}

async function main(): Promise<number> {
  const opts: Options = parseOptions();
  const outDir = opts.outDir ?? join(REPO_ROOT, 'bench');
  if (opts.reportOnly) {
    // The verdicts as judged when the run was made (the selector's come from its file then).
    // JSON keeps a latency autocannon cannot time (NaN) as null: it is NaN again here.
    const latency = new Set(['p50', 'p90', 'p99', 'p999', 'max', 'mean']);
    const saved = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8'), (k, v) =>
      v === null && latency.has(k) ? NaN : v,
    ) as Results & { verdicts: Verdict[] };
    writeResults(outDir, saved, saved.verdicts, false);
    log(`rewrote ${outDir}/RESULTS.md and results.svg from results.json`);
    return 0;
  }
  if (!existsSync(SWITCHYARD_CLI)) {
    process.stderr.write(`not built: run npx tsc -p tsconfig.json first (npm run bench does)\n`);
    return 2;
  }
  reg.killAllOnExit((sig) => {
    log(`\n${sig}: stopping the load and every child process (again to kill at once)`);
    abort(`interrupted by ${sig}`);
  });
  const quiet = await waitForQuiet(120_000, log);
  let testSuiteSeen = !quiet;
  const started = Date.now();
  const machine = machineInfo();
  const argv = process.argv.slice(2);
  const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  log(
    `switchyard load benchmark: ${machine.cpuModel} x${machine.cores}, Node ${machine.node}; ${opts.durationS} s runs, ${opts.rounds} round(s) with every target, ${opts.pairRounds} for switchyard and the lean peer, phases ${[...opts.phases].join(', ')}`,
  );

  const hardLimit = setTimeout(() => abort(`hard time limit of ${opts.hardLimitS} s reached`), opts.hardLimitS * 1000);
  hardLimit.unref();

  const records: RunRecord[] = [];
  const redone: RunRecord[] = [];
  const peaks: PeakRecord[] = [];
  const drops: DropResult[] = [];
  const notes: string[] = [];
  let failure: unknown = null;
  try {
    const backends = await startBackends(reg);
    const ctx: PhaseContext = {
      reg,
      fleets: backends.fleets,
      carryFleets: backends.carry,
      backendPid: backends.pid,
      opts,
      records,
      redone,
      peaks,
      rss: new PeakTracker(),
      drops,
      notes,
      log,
      check: () => {
        if (abortReason !== null) throw new Abort(abortReason);
        try {
          reg.checkNoCrash();
        } catch (err) {
          throw new Abort((err as Error).message);
        }
        if (testSuitePids().length > 0 && !testSuiteSeen) {
          testSuiteSeen = true;
          log('  note: a test suite started during the run; figures from here on are disturbed');
        }
      },
    };
    if (opts.phases.has('A')) await phaseA(ctx);
    if (opts.phases.has('B')) await phaseB(ctx);
    if (opts.phases.has('carry')) await phaseCarry(ctx);
    if (opts.phases.has('drop')) await phaseDrop(ctx);
    ctx.check();
  } catch (err) {
    failure = err;
    const msg = err instanceof Error ? err.message : String(err);
    notes.push(`run stopped early: ${msg.split('\n')[0]}`);
    process.stderr.write(`\nbench: ${err instanceof Abort ? msg : err instanceof Error ? (err.stack ?? msg) : msg}\n`);
  } finally {
    clearTimeout(hardLimit);
    log('stopping child processes');
    await reg.stopAll();
  }

  for (const r of records) {
    if (r.errors + r.timeouts + r.non2xx > 0) {
      notes.push(
        `${r.workload} round ${r.round}, ${r.target}: ${r.errors} errors (${r.timeouts} timeouts), ${r.non2xx} non-2xx of ${r.completed} responses`,
      );
    }
  }
  if (records.length === 0 && drops.length === 0) return 1;

  const results: Results = {
    date: new Date(started).toISOString(),
    command,
    quick: opts.quick,
    settings: {
      durationS: opts.durationS,
      rounds: opts.rounds,
      pairRounds: opts.pairRounds,
      sessions: opts.sessions,
      carryRounds: opts.carryRounds,
      warmupS: opts.warmupS,
      phases: [...opts.phases],
      workloads: [...opts.workloads],
      targets: [...opts.targets],
      dropStreams: opts.dropStreams,
    },
    machine,
    clkTck: CLK_TCK,
    elapsedS: (Date.now() - started) / 1000,
    testSuiteSeen,
    otherCpu: {
      medianPct: median(records.map((r) => r.otherCpuPct)),
      maxPct: Math.max(0, ...records.map((r) => r.otherCpuPct)),
      disturbedRuns: records.filter((r) => r.otherCpuPct >= OTHER_CPU_WARN_PCT).length,
    },
    notes,
    summaries: summarise(records, peaks),
    latencyAdded: latencyAdded(records),
    leanRatios: leanRatios(records),
    drops,
    runs: records,
    redone,
  };
  const v = verdicts(results);
  log(consoleTables(results));
  if (failure !== null) {
    log('\nthe run did not complete: result files left as they were');
    return 1;
  }
  writeResults(outDir, results, v, true);
  log(`\ngoals`);
  log(
    formatTable(
      ['workload', 'target', 'measured', 'result'],
      v.map((x) => [
        x.area,
        x.target,
        x.measured,
        `${x.pass === null ? 'not measured' : x.pass ? 'PASS' : 'FAIL'}${x.resolved === false ? ' (not resolved)' : ''}`,
      ]),
    ),
  );
  log(
    `\nother processes during the runs: median ${num(results.otherCpu.medianPct, 2)}%, max ${num(results.otherCpu.maxPct, 2)}% of a core`,
  );
  log(`wrote ${outDir}/RESULTS.md, results.json and results.svg (${Math.round(results.elapsedS)} s)`);
  return 0;
}

// Exit explicitly: a pool or timer left behind by an interrupted load must not keep the run alive.
const code = await main();
await reg.stopAll();
process.exit(code);
