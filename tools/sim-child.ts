// A child process holding simulated fleets (src/sim) on 127.0.0.1, so that a proxy's CPU
// and memory can be read apart from theirs. argv[2] is JSON: each fleet's options by
// name (without a clock). It prints one line {"msg":"ready","fleets":{NAME:{backends,
// telemetryUrl,controlUrl}}} and serves until SIGTERM/SIGINT or until the parent goes
// away (its stdin ends). Started by startSims (sim-process.ts).
import { type SimFleet, startSimFleet } from '../src/sim/index.js';
import type { SimFleetOptions } from '../src/sim/types.js';

const specs = JSON.parse(process.argv[2] ?? '{}') as Record<string, Omit<SimFleetOptions, 'now'>>;
const fleets: SimFleet[] = [];
let closing = false;

async function closeAndExit(code: number): Promise<void> {
  if (closing) return;
  closing = true;
  setTimeout(() => process.exit(code), 2000).unref();
  await Promise.allSettled(fleets.map((f) => f.close()));
  process.exit(code);
}

process.on('SIGTERM', () => void closeAndExit(0));
process.on('SIGINT', () => void closeAndExit(0));
process.stdin.on('end', () => void closeAndExit(0));
process.stdin.on('error', () => void closeAndExit(0));
process.stdin.resume();

try {
  const info: Record<string, { backends: SimFleet['backends']; telemetryUrl: string; controlUrl: string }> = {};
  for (const [name, options] of Object.entries(specs)) {
    const fleet = await startSimFleet(options);
    fleets.push(fleet);
    info[name] = { backends: fleet.backends, telemetryUrl: fleet.telemetryUrl, controlUrl: fleet.controlUrl };
  }
  process.stdout.write(`${JSON.stringify({ msg: 'ready', fleets: info })}\n`);
} catch (err) {
  process.stderr.write(`sim: ${(err as Error).stack ?? String(err)}\n`);
  await closeAndExit(1);
}
