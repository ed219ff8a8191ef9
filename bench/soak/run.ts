// npm run bench:soak: the router in a child process (with --expose-gc) in front of a
// simulated fleet, a steady load with faults on a schedule for --minutes (default 10),
// and once a minute the router's RSS and heap after a full GC, its requests and
// backend attempts in flight, its pool counts and open handles, and the answers by
// status and error code. At the end the load stops and the router must come back to
// zero in flight. Writes bench/soak/RESULTS.md and results.json.
//
// Target: from the end of minute 1 to the end of the run, heap after GC grows by less
// than 5%, and nothing leaks (in flight, pool, handles back to their idle level).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type SimFleet, startSimFleet } from '../../src/sim/index.js';
import { ChildRegistry } from '../../tools/children.js';
import { type MachineInfo, machineInfo } from '../../tools/machine.js';
import { tidyMarkdown } from '../../tools/table.js';
import { REPO_ROOT } from '../../tools/paths.js';
import { pollUntil, sleep } from '../../tools/wait.js';
import { FaultSchedule } from './faults.js';
import { SteadyLoad } from './load.js';
import { parseSoakOptions } from './options.js';
import { runQueuedPhase } from './queued-phase.js';
import { renderQueued } from './queued-report.js';
import { type MinuteRow, renderSoakResults, type SoakResults } from './report.js';
import type { RouterSample } from './router-child.js';
import { startRouterChild } from './router-handle.js';

const BOUNDARIES = { g: ['eu1', 'eu2', 'us1', 'us2'], eu: ['eu1', 'eu2'], us1: ['us1'] };

function log(msg: string): void {
  process.stdout.write(`${msg}\n`);
}

function steadyConfig(fleet: SimFleet): Record<string, unknown> {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    zones: { eu: ['eu1', 'eu2'], us: ['us1', 'us2'] },
    backends: fleet.backends.map((b) => ({ region: b.region, url: b.url })),
    deployments: [
      { name: 'g', model: 'm', type: 'global' },
      { name: 'eu', model: 'm', type: 'datazone', zone: 'eu' },
      { name: 'us1', model: 'm', type: 'regional', region: 'us1' },
    ],
    telemetry: {
      url: `${fleet.telemetryUrl}?access_token=soak-secret`,
      intervalMs: 250,
      staleAfterMs: 1500,
      timeoutMs: 400,
    },
    limits: { requestBodyTimeoutMs: 2000, clientReadTimeoutMs: 5000 },
    log: { level: 'warn' },
  };
}

function outDirOf(given: string | null): string {
  const dir = given ?? join(REPO_ROOT, 'bench', 'soak');
  mkdirSync(dir, { recursive: true });
  return dir;
}

type SoakOptions = ReturnType<typeof parseSoakOptions>;

/** The steady load with faults: its RESULTS.md, results.json and one-line verdict. */
async function runSteady(
  opts: SoakOptions,
  reg: ChildRegistry,
  machine: MachineInfo,
): Promise<{ markdown: string; json: unknown; verdict: string }> {
  log(`soak: ${opts.minutes} min at ${opts.rate} req/s, seed ${opts.seed}`);
  const fleet = await startSimFleet({
    regions: ['eu1', 'eu2', 'us1', 'us2'].map((region) => ({ region, capacity: 80, ttftMs: 5, perTokenMs: 3 })),
    models: ['m'],
  });
  const { router, port } = await startRouterChild(reg, steadyConfig(fleet));
  let routerExited: string | null = null;
  void router.child.exited.then(({ code, signal }) => {
    routerExited = `exit ${code ?? signal}`;
  });
  const startedAt = Date.now();
  const idle = await router.sample();
  const faults = new FaultSchedule(fleet, startedAt);
  const load = new SteadyLoad({ port, boundaries: BOUNDARIES }, opts.rate, opts.seed);
  faults.start();
  load.start();
  const rows: MinuteRow[] = [];
  for (let minute = 1; minute <= opts.minutes; minute++) {
    await sleep(startedAt + minute * 60_000 - Date.now());
    if (routerExited !== null) break;
    const sample = await router.sample();
    if (opts.snapshots && (minute === 1 || minute === opts.minutes)) {
      await router.snapshot(join(outDirOf(opts.outDir), `router-minute-${minute}.heapsnapshot`));
    }
    const tally = load.tally;
    load.newMinute();
    rows.push({ minute, sample, tally, startedTotal: load.started });
    log(
      `minute ${minute}: rss ${sample.rssMB} MB, heap after GC ${sample.heapUsedMB} MB, in flight ${sample.requestsInFlight}, ` +
        `pool connected ${sample.pool.connected} running ${sample.pool.running}, answers ${tally.total()}, ` +
        `undocumented ${tally.undocumented}, outside boundary ${tally.outsideBoundary}`,
    );
  }
  await load.stop(60_000);
  await faults.stop();
  // Wait (bounded) for the router to come back to rest: nothing in flight, idle pools.
  let final = await router.sample();
  const atRest = (x: RouterSample): boolean =>
    x.requestsInFlight === 0 &&
    x.attemptsInFlight === 0 &&
    x.pool.running === 0 &&
    !Object.keys(x.handles).some((kind) => /ShutdownWrap$|WriteWrap$/.test(kind));
  if (!atRest(final)) {
    await pollUntil(async () => atRest((final = await router.sample())), { timeoutMs: 30_000, everyMs: 250 });
  }
  const results: SoakResults = {
    command:
      process.argv.length > 2 ? `npm run bench:soak -- ${process.argv.slice(2).join(' ')}` : 'npm run bench:soak',
    seed: opts.seed,
    minutes: opts.minutes,
    rate: opts.rate,
    machine,
    startedAt: new Date(startedAt).toISOString(),
    idle,
    rows,
    final,
    trailing: load.minutes[load.minutes.length - 1],
    routerExited,
    warnings: router.warnings,
    warnCount: router.warnCount,
    faultTransitions: faults.transitions.slice(0, 12),
  };
  const rendered = renderSoakResults(results);
  // The router stops itself (its shutdown path), or is killed after 15 s.
  if (router.child.running) router.child.proc.send({ type: 'stop' });
  await pollUntil(async () => !router.child.running, { timeoutMs: 15_000, everyMs: 100 });
  await reg.stop(router.child);
  await fleet.close();
  return rendered;
}

async function main(): Promise<void> {
  const opts = parseSoakOptions();
  const reg = new ChildRegistry();
  reg.killAllOnExit();
  const machine = machineInfo();
  const command =
    process.argv.length > 2 ? `npm run bench:soak -- ${process.argv.slice(2).join(' ')}` : 'npm run bench:soak';
  const steady = opts.phases.includes('steady') ? await runSteady(opts, reg, machine) : null;
  const queued = opts.phases.includes('queued') ? renderQueued(await runQueuedPhase(reg, log)) : null;
  const head =
    steady === null
      ? `# Soak results\n\nGenerated by \`${command}\` on ${new Date().toISOString()} (the queued phase only).\n\n` +
        `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGB} GB, Node ${machine.node} (V8 ${machine.v8}), ${machine.platform};\n` +
        `load average ${machine.loadAvg1m} at the start (the machine is shared).\n`
      : steady.markdown;
  const markdown = tidyMarkdown(`${head}${queued === null ? '' : `\n${queued.markdown}`}`);
  const json = {
    ...(steady === null ? { command, machine } : (steady.json as Record<string, unknown>)),
    ...(queued === null ? {} : { queued: queued.json }),
  };
  const outDir = outDirOf(opts.outDir);
  writeFileSync(join(outDir, 'RESULTS.md'), markdown);
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(json, null, 2)}\n`);
  if (steady !== null) log(steady.verdict);
  if (queued !== null) {
    const failed = queued.checks.filter((c) => !c.pass);
    log(
      `queued phase ${failed.length === 0 ? 'met its target' : `did NOT meet its target: ${failed.map((c) => `${c.name} (${c.value})`).join('; ')}`}`,
    );
  }
  log(`wrote ${join(outDir, 'RESULTS.md')}`);
  await reg.stopAll();
}

main().catch((err: Error) => {
  process.stderr.write(`soak: ${err.stack ?? String(err)}\n`);
  process.exit(1);
});
