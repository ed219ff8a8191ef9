// `npm run bench:profile`: one proxy under load with --cpu-prof, then the top frames by
// self time. Workload A (1 KB JSON POST, 1 KB answer, 50 connections) or B (SSE, 20
// chunks 25 ms apart, --connections concurrent streams), started as `npm run bench`
// starts them, through switchyard (default) or one of the undici peers, so that the same
// load can be profiled on both sides of a comparison. Bounded: one autocannon run of
// --seconds (default 10), then the proxy is stopped.
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startSimFleet } from '../../src/sim/index.js';
import { choice, commandLine, number, text } from '../../tools/argv.js';
import { ChildRegistry } from '../../tools/children.js';
import { REPO_ROOT } from '../../tools/paths.js';
import { SWITCHYARD_CLI } from '../../tools/router-process.js';
import { FLEETS, MODEL, SSE_TOKENS } from '../load/fleets.js';
import { cpuTicks, ticksToMicros } from '../load/proc-stats.js';
import { startPeer, startSwitchyard } from '../load/targets.js';
import { HEADERS, WORKLOADS } from '../load/workloads.js';
import { summarise } from './cpu-profile.js';

const o = commandLine(
  {
    workload: choice('A (1 KB JSON) or B (SSE)', ['A', 'B'] as const, 'A'),
    target: choice('the proxy profiled', ['switchyard', 'undici-stream', 'undici-proxy'] as const, 'switchyard'),
    seconds: number('seconds of load', 10, { min: 1, max: 600, arg: 'S' }),
    connections: number('connections, or streams for B (default 50 for A, 200 for B)', undefined, {
      min: 1,
      integer: true,
    }),
    top: number('frames listed', 25, { min: 1, integer: true }),
    cli: text(
      "another build's CLI (e.g. a worktree of an older commit), for before/after profiles",
      SWITCHYARD_CLI,
      'PATH',
    ),
  },
  {
    usage: 'usage: npm run bench:profile [-- options]',
    rest: 'node flags for the proxy (e.g. --cpu-prof-interval=100)',
  },
);
const streaming = o.workload === 'B';
const workload = streaming ? WORKLOADS.B200 : WORKLOADS.A;
const connections = o.connections ?? workload.connections;
const key = streaming ? 'sse' : 'fast';

// The backends and autocannon run here, in the profiling process.
const fleet = await startSimFleet({
  regions: [...FLEETS[key].regions],
  models: [MODEL],
  defaultTokens: SSE_TOKENS,
  ...(streaming ? {} : { responseBytes: 1024 }),
});
const info = { key, backends: fleet.backends, telemetryUrl: fleet.telemetryUrl, controlUrl: fleet.controlUrl } as const;
const outDir = join(REPO_ROOT, 'bench', 'out');
await mkdir(outDir, { recursive: true });
const before = new Set(await readdir(outDir));
const reg = new ChildRegistry();
reg.killAllOnExit();
const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${outDir}`, ...o.rest];
const proxy =
  o.target === 'switchyard'
    ? await startSwitchyard(reg, [info], 500, { cli: o.cli, nodeArgs })
    : await startPeer(reg, o.target, [info], nodeArgs);
const pid = proxy.child?.pid ?? NaN;
const ticksBefore = cpuTicks(pid);
const result = await autocannon({
  url: proxy.origin + workload.path,
  method: 'POST',
  headers: HEADERS,
  body: workload.body,
  connections,
  duration: o.seconds,
  timeout: 10,
});
const cpuUsPerRequest = ticksToMicros(cpuTicks(pid) - ticksBefore) / result.requests.total;
// The profile is written as the proxy exits: give it time to.
await proxy.child?.stop(30_000);
await reg.stopAll();
await fleet.close();
const profile = (await readdir(outDir)).find((f) => f.endsWith('.cpuprofile') && !before.has(f));
if (profile === undefined) throw new Error('no profile written');
const summary = await summarise(join(outDir, profile));
const what = streaming ? `workload B (${connections} streams)` : `workload A (${connections} connections)`;
const unit = streaming ? 'stream' : 'request';
console.log(
  `\n${what} through ${o.target === 'switchyard' ? `switchyard (${o.cli})` : o.target}: ${Math.round(result.requests.average)} ${unit}s/s, ${cpuUsPerRequest.toFixed(1)} us CPU per ${unit} (with the profiler on), p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}`,
);
console.log(`profile: bench/out/${profile} (${summary.totalMs.toFixed(0)} ms busy)\n`);
console.log('by area:', summary.areas.map((a) => `${a.area} ${(a.share * 100).toFixed(1)}%`).join(', '));
console.log('\nself%  area        frame');
for (const f of summary.frames.slice(0, o.top))
  console.log(`${(f.share * 100).toFixed(1).padStart(5)}  ${f.area.padEnd(11)} ${f.frame}`);
