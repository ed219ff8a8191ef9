// `npm run bench:profile`: one proxy under load with --cpu-prof, then the top frames by
// self time. Workload A (1 KB JSON POST, 1 KB answer, 50 connections) or B (SSE, 20
// chunks 25 ms apart, --streams concurrent streams, as in `npm run bench`), through
// switchyard (default) or one of the undici peers, so that the same load can be
// profiled on both sides of a comparison. Bounded: one autocannon run of --seconds
// (default 10), then the proxy is stopped.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { startSimFleet } from '../../src/sim/index.js';
import { choice, commandLine, number, text } from '../../tools/argv.js';
import { SSE_PER_TOKEN_MS, SSE_TOKENS } from '../load/fleets.js';
import { summarise } from './cpu-profile.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
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
      join(root, 'dist/src/cli.js'),
      'PATH',
    ),
  },
  {
    usage: 'usage: npm run bench:profile [-- options]',
    rest: 'node flags for the proxy (e.g. --cpu-prof-interval=100)',
  },
);
const seconds = o.seconds;
const streaming = o.workload === 'B';
const target = o.target;
const connections = o.connections ?? (streaming ? 200 : 50);
const positionals = o.rest;
const values = { cli: o.cli, top: o.top };

const fleet = await startSimFleet({
  regions: [
    { region: 'r1', capacity: 1_000_000, ...(streaming ? { perTokenMs: SSE_PER_TOKEN_MS } : {}) },
    { region: 'r2', capacity: 1_000_000, ...(streaming ? { perTokenMs: SSE_PER_TOKEN_MS } : {}) },
  ],
  models: ['m'],
  defaultTokens: SSE_TOKENS,
  ...(streaming ? {} : { responseBytes: 1024 }),
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
const args =
  target === 'switchyard'
    ? [values.cli, 'start', '--config', configPath]
    : [join(root, 'dist', 'bench', 'peers', `${target}.js`), ...fleet.backends.map((b) => b.url)];
const before = new Set(await readdir(outDir));
const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${outDir}`, ...positionals, ...args], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
// Whatever happens here, the proxy child must not outlive this script.
process.on('exit', () => child.kill('SIGKILL'));
const port = await new Promise<number>((resolve, reject) => {
  let buf = '';
  const timer = setTimeout(() => reject(new Error('proxy did not start within 10 s')), 10_000);
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    const m = /"listener":"data"[^\n]*"port":(\d+)/.exec(buf) ?? /"msg":"listening"[^\n]*"port":(\d+)/.exec(buf);
    if (m) {
      clearTimeout(timer);
      resolve(Number(m[1]));
    }
  });
});
/** utime + stime of the proxy, in clock ticks (100 per second on Linux). */
const cpuTicks = async (): Promise<number> => {
  const fields = (await readFile(`/proc/${child.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
};
const body = streaming
  ? JSON.stringify({ model: 'm', stream: true, max_tokens: SSE_TOKENS, messages: [{ role: 'user', content: 'hi' }] })
  : JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(960) }], max_tokens: 16 });
const ticksBefore = await cpuTicks();
const result = await autocannon({
  url: `http://127.0.0.1:${port}/openai/deployments/chat/chat/completions?api-version=2024-10-21`,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body,
  connections,
  duration: seconds,
  timeout: 10,
});
const cpuUsPerRequest = (((await cpuTicks()) - ticksBefore) * 10_000) / result.requests.total;
child.kill('SIGTERM');
await exited;
await fleet.close();
const profile = (await readdir(outDir)).find((f) => f.endsWith('.cpuprofile') && !before.has(f));
if (profile === undefined) throw new Error('no profile written');
const summary = await summarise(join(outDir, profile));
const what = streaming ? `workload B (${connections} streams)` : `workload A (${connections} connections)`;
const unit = streaming ? 'stream' : 'request';
console.log(
  `\n${what} through ${target === 'switchyard' ? `switchyard (${values.cli})` : target}: ${Math.round(result.requests.average)} ${unit}s/s, ${cpuUsPerRequest.toFixed(1)} us CPU per ${unit} (with the profiler on), p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}`,
);
console.log(`profile: bench/out/${profile} (${summary.totalMs.toFixed(0)} ms busy)\n`);
console.log('by area:', summary.areas.map((a) => `${a.area} ${(a.share * 100).toFixed(1)}%`).join(', '));
console.log('\nself%  area        frame');
for (const f of summary.frames.slice(0, Number(values.top)))
  console.log(`${(f.share * 100).toFixed(1).padStart(5)}  ${f.area.padEnd(11)} ${f.frame}`);
