// Where switchyard's memory goes under many concurrent SSE streams: RSS, V8 heap and
// external memory sampled from its own /metrics while autocannon holds N streams open.
// `node dist/bench/profile/stream-memory.js [--streams 2000] [--seconds 5] [-- <node flags for the router>]`
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startSimFleet } from '../../src/sim/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const { values, positionals } = parseArgs({
  options: {
    streams: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '1' },
  },
  allowPositionals: true,
});
const fleet = await startSimFleet({
  regions: [
    { region: 'r1', capacity: 1_000_000, perTokenMs: 25 },
    { region: 'r2', capacity: 1_000_000, perTokenMs: 25 },
  ],
  models: ['m'],
});
const dir = await mkdtemp(join(tmpdir(), 'switchyard-mem-'));
const configPath = join(dir, 'router.json');
await writeFile(
  configPath,
  JSON.stringify({
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    zones: { z: ['r1', 'r2'] },
    backends: fleet.backends,
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
    telemetry: { url: fleet.telemetryUrl },
    log: { level: 'warn' },
  }),
);
const child = spawn(
  process.execPath,
  [...positionals, join(root, 'dist/src/cli.js'), 'start', '--config', configPath],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
process.on('exit', () => child.kill('SIGKILL'));
// Everything the router prints (its log, or --trace-gc lines) is kept for reading.
const routerLog = join(dir, 'router.log');
child.stdout!.pipe(createWriteStream(routerLog));
const ports = await new Promise<{ data: number; admin: number }>((resolve) => {
  let buf = '';
  child.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    const d = /"listener":"data"[^\n]*"port":(\d+)/.exec(buf);
    const a = /"listener":"admin"[^\n]*"port":(\d+)/.exec(buf);
    if (d && a) resolve({ data: Number(d[1]), admin: Number(a[1]) });
  });
});
const gauge = (text: string, name: string): number =>
  Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 1024 / 1024;
let peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0 };
const sampler = setInterval(async () => {
  const text = await (await fetch(`http://127.0.0.1:${ports.admin}/metrics`)).text();
  const s = {
    rss: gauge(text, 'switchyard_process_process_resident_memory_bytes'),
    heapUsed: gauge(text, 'switchyard_process_nodejs_heap_size_used_bytes'),
    heapTotal: gauge(text, 'switchyard_process_nodejs_heap_size_total_bytes'),
    external: gauge(text, 'switchyard_process_nodejs_external_memory_bytes'),
  };
  if (s.rss > peak.rss) peak = s;
}, 250);
let result!: Awaited<ReturnType<typeof autocannon>>;
for (let round = 0; round < Number(values.rounds); round++)
  result = await autocannon({
    url: `http://127.0.0.1:${ports.data}/openai/deployments/chat/chat/completions`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ stream: true, max_tokens: 20 }),
    connections: Number(values.streams),
    duration: Number(values.seconds),
    timeout: 30,
  });
clearInterval(sampler);
const vmHwm =
  Number(
    /VmHWM:\s+(\d+)/.exec(await (await import('node:fs/promises')).readFile(`/proc/${child.pid}/status`, 'utf8'))?.[1],
  ) / 1024;
const status = await (await fetch(`http://127.0.0.1:${ports.admin}/metrics`)).text();
child.kill('SIGTERM');
await fleet.close();
console.log(
  `${values.streams} streams, router flags [${positionals.join(' ')}]: ${Math.round(result.requests.average)} streams/s, errors ${result.errors}`,
);
console.log(
  `at peak RSS: rss ${peak.rss.toFixed(0)} MB, heap used ${peak.heapUsed.toFixed(0)} / total ${peak.heapTotal.toFixed(0)} MB, external ${peak.external.toFixed(0)} MB`,
);
console.log(`router output: ${routerLog}`);
console.log(
  `VmHWM ${vmHwm.toFixed(0)} MB; RSS now ${gauge(status, 'switchyard_process_process_resident_memory_bytes').toFixed(0)} MB`,
);
process.exit(0);
