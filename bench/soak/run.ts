// npm run bench:soak: the router in a child process (with --expose-gc) in front of a
// simulated fleet, a steady load with faults on a schedule for --minutes (default 10),
// and once a minute the router's RSS and heap after a full GC, its requests and
// backend attempts in flight, its pool counts and open handles, and the answers by
// status and error code. At the end the load stops and the router must come back to
// zero in flight. Writes bench/soak/RESULTS.md and results.json.
//
// Target: from the end of minute 1 to the end of the run, heap after GC grows by less
// than 5%, and nothing leaks (in flight, pool, handles back to their idle level).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { machineInfo } from '../machine.js';
import { startSimFleet, type SimFleet } from '../../src/sim/index.js';
import { FaultSchedule } from './faults.js';
import { SteadyLoad } from './load.js';
import { parseSoakOptions } from './options.js';
import { renderSoakResults, type MinuteRow, type SoakResults } from './report.js';
import type { RouterSample } from './router-child.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = join(HERE, '..', '..', '..');
const CHILD = join(HERE, 'router-child.js');

const BOUNDARIES = { g: ['eu1', 'eu2', 'us1', 'us2'], eu: ['eu1', 'eu2'], us1: ['us1'] };

function log(msg: string): void {
  process.stdout.write(`${msg}\n`);
}

class RouterChild {
  private nextId = 0;
  private readonly waiting = new Map<number, (s: RouterSample) => void>();
  readonly warnings: string[] = [];
  warnCount = 0;

  constructor(readonly proc: ChildProcess) {
    proc.on('message', (msg: { type: string; id?: number; sample?: RouterSample }) => {
      if (msg.type === 'sample' && msg.id !== undefined) {
        this.waiting.get(msg.id)?.(msg.sample as RouterSample);
        this.waiting.delete(msg.id);
      }
    });
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      this.warnCount++;
      if (this.warnings.length < 30) this.warnings.push(line.length > 300 ? `${line.slice(0, 300)}...` : line);
    });
    createInterface({ input: proc.stderr! }).on('line', (line) => process.stderr.write(`router: ${line}\n`));
  }

  /** Writes a heap snapshot of the router (for --snapshots); resolves once it is on disk. */
  snapshot(path: string): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const onMessage = (msg: { type: string; id?: number }): void => {
        if (msg.type !== 'snapshot' || msg.id !== id) return;
        this.proc.off('message', onMessage);
        resolve();
      };
      this.proc.on('message', onMessage);
      this.proc.send({ type: 'snapshot', id, path });
    });
  }

  sample(): Promise<RouterSample> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the router did not answer a sample within 30 s')), 30_000);
      this.waiting.set(id, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      this.proc.send({ type: 'sample', id });
    });
  }
}

async function startRouterChild(fleet: SimFleet): Promise<{ child: RouterChild; port: number }> {
  const config = {
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
  const proc = fork(CHILD, [JSON.stringify(config)], {
    execArgv: ['--expose-gc', '--enable-source-maps'],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const child = new RouterChild(proc);
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`the router exited (${code}) before it was ready`)));
    proc.on('message', (msg: { type: string; dataPort?: number }) => {
      if (msg.type === 'ready') resolve(msg.dataPort as number);
    });
  });
  return { child, port };
}

function outDirOf(given: string | null): string {
  const dir = given ?? join(REPO_ROOT, 'bench', 'soak');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function waitMs(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function main(): Promise<void> {
  const opts = parseSoakOptions();
  const machine = machineInfo();
  log(`soak: ${opts.minutes} min at ${opts.rate} req/s, seed ${opts.seed}`);
  const fleet = await startSimFleet({
    regions: ['eu1', 'eu2', 'us1', 'us2'].map((region) => ({ region, capacity: 80, ttftMs: 5, perTokenMs: 3 })),
    models: ['m'],
  });
  const { child, port } = await startRouterChild(fleet);
  let routerExited: string | null = null;
  child.proc.once('exit', (code, signal) => {
    routerExited = `exit ${code ?? signal}`;
  });
  const startedAt = Date.now();
  const idle = await child.sample();
  const faults = new FaultSchedule(fleet, startedAt);
  const load = new SteadyLoad({ port, boundaries: BOUNDARIES }, opts.rate, opts.seed);
  faults.start();
  load.start();
  const rows: MinuteRow[] = [];
  for (let minute = 1; minute <= opts.minutes; minute++) {
    await waitMs(startedAt + minute * 60_000 - Date.now());
    if (routerExited !== null) break;
    const sample = await child.sample();
    if (opts.snapshots && (minute === 1 || minute === opts.minutes)) {
      await child.snapshot(join(outDirOf(opts.outDir), `router-minute-${minute}.heapsnapshot`));
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
  let final = await child.sample();
  const restDeadline = Date.now() + 30_000;
  const busy = (x: RouterSample): boolean =>
    x.requestsInFlight > 0 ||
    x.attemptsInFlight > 0 ||
    x.pool.running > 0 ||
    Object.keys(x.handles).some((kind) => /ShutdownWrap$|WriteWrap$/.test(kind));
  while (busy(final) && Date.now() < restDeadline) {
    await waitMs(250);
    final = await child.sample();
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
    warnings: child.warnings,
    warnCount: child.warnCount,
    faultTransitions: faults.transitions.slice(0, 12),
  };
  const outDir = outDirOf(opts.outDir);
  const { markdown, json, verdict } = renderSoakResults(results);
  writeFileSync(join(outDir, 'RESULTS.md'), markdown);
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(json, null, 2)}\n`);
  log(verdict);
  log(`wrote ${join(outDir, 'RESULTS.md')}`);
  child.proc.send({ type: 'stop' });
  await new Promise<void>((resolve) => {
    const kill = setTimeout(() => {
      child.proc.kill('SIGKILL');
      resolve();
    }, 15_000);
    child.proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    if (child.proc.exitCode !== null) resolve();
  });
  await fleet.close();
}

main().catch((err: Error) => {
  process.stderr.write(`soak: ${err.stack ?? String(err)}\n`);
  process.exit(1);
});
