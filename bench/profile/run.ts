// `npm run bench:profile`: switchyard under workload A (1 KB JSON POST, 1 KB answer,
// 50 connections) with --cpu-prof, then the top frames by self time. Bounded: one
// autocannon run of --seconds (default 10), then the router is stopped.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startSimFleet } from '../../src/sim/index.js';
import { summarise } from './cpu-profile.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    top: { type: 'string', default: '25' },
    // Another build's CLI (e.g. a worktree of an older commit), for before/after profiles.
    cli: { type: 'string', default: join(root, 'dist/src/cli.js') },
  },
});
const seconds = Number(values.seconds);

const fleet = await startSimFleet({
  regions: [
    { region: 'r1', capacity: 1_000_000 },
    { region: 'r2', capacity: 1_000_000 },
  ],
  models: ['m'],
  responseBytes: 1024,
});
const dir = await mkdtemp(join(tmpdir(), 'switchyard-profile-'));
const outDir = join(root, 'bench', 'out');
await mkdir(outDir, { recursive: true });
const configPath = join(dir, 'router.json');
await writeFile(
  configPath,
  JSON.stringify({
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    zones: { z: ['r1', 'r2'] },
    backends: fleet.backends,
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
    telemetry: { url: fleet.telemetryUrl, intervalMs: 500 },
    log: { level: 'warn' },
  }),
);
const before = new Set(await readdir(outDir));
const child = spawn(
  process.execPath,
  ['--cpu-prof', `--cpu-prof-dir=${outDir}`, values.cli, 'start', '--config', configPath],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
// Whatever happens here, the router child must not outlive this script.
process.on('exit', () => child.kill('SIGKILL'));
const port = await new Promise<number>((resolve, reject) => {
  let buf = '';
  const timer = setTimeout(() => reject(new Error('router did not start within 10 s')), 10_000);
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    const m = /"listener":"data"[^\n]*"port":(\d+)/.exec(buf);
    if (m) {
      clearTimeout(timer);
      resolve(Number(m[1]));
    }
  });
});
/** utime + stime of the router, in clock ticks (100 per second on Linux). */
const cpuTicks = async (): Promise<number> => {
  const fields = (await readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
};
const body = JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(960) }], max_tokens: 16 });
const ticksBefore = await cpuTicks();
const result = await autocannon({
  url: `http://127.0.0.1:${port}/openai/deployments/chat/chat/completions?api-version=2024-10-21`,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body,
  connections: Number(values.connections),
  duration: seconds,
});
const cpuUsPerRequest = (((await cpuTicks()) - ticksBefore) * 10_000) / result.requests.total;
child.kill('SIGTERM');
await exited;
await fleet.close();
const profile = (await readdir(outDir)).find((f) => f.endsWith('.cpuprofile') && !before.has(f));
if (profile === undefined) throw new Error('no profile written');
const summary = await summarise(join(outDir, profile));
console.log(
  `\nworkload A through switchyard (${values.cli}): ${Math.round(result.requests.average)} req/s, ${cpuUsPerRequest.toFixed(1)} us CPU per request (with the profiler on), p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}`,
);
console.log(`profile: bench/out/${profile} (${summary.totalMs.toFixed(0)} ms busy)\n`);
console.log('by area:', summary.areas.map((a) => `${a.area} ${(a.share * 100).toFixed(1)}%`).join(', '));
console.log('\nself%  area        frame');
for (const f of summary.frames.slice(0, Number(values.top)))
  console.log(`${(f.share * 100).toFixed(1).padStart(5)}  ${f.area.padEnd(11)} ${f.frame}`);
