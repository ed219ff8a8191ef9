// Child process: the simulated fleets (src/sim) on 127.0.0.1, in a process of their
// own so the proxies' CPU and memory can be read apart from theirs. Prints one line
// {"msg":"ready","pid":N,"fleets":{...},"carry":[...]} and stays until SIGTERM/SIGINT or until the
// parent goes away (stdin closes).
import { startSimFleet, type SimFleet } from '../../src/sim/index.js';
import { CARRY_FLEETS, FLEETS, MODEL, SSE_TOKENS, type FleetInfo, type FleetKey } from './fleets.js';

const fleets: SimFleet[] = [];
let closing = false;

async function closeAndExit(code: number): Promise<void> {
  if (closing) return;
  closing = true;
  const timer = setTimeout(() => process.exit(code), 2000);
  timer.unref();
  await Promise.allSettled(fleets.map((f) => f.close()));
  process.exit(code);
}

async function main(): Promise<void> {
  process.on('SIGTERM', () => void closeAndExit(0));
  process.on('SIGINT', () => void closeAndExit(0));
  process.stdin.on('end', () => void closeAndExit(0));
  process.stdin.on('error', () => void closeAndExit(0));
  process.stdin.resume();

  const info: Partial<Record<FleetKey, FleetInfo>> = {};
  for (const spec of Object.values(FLEETS)) {
    const fleet = await startSimFleet({
      regions: [...spec.regions],
      models: [MODEL],
      defaultTokens: SSE_TOKENS,
      ...(spec.responseBytes === undefined ? {} : { responseBytes: spec.responseBytes }),
    });
    fleets.push(fleet);
    info[spec.key] = {
      key: spec.key,
      backends: fleet.backends,
      telemetryUrl: fleet.telemetryUrl,
      controlUrl: fleet.controlUrl,
    };
  }
  // The carry-over phase's regions in one fleet; JSON answers padded as the fast fleet's
  // (responseBytes pads non-streaming answers only, the sse regions' streams are as in their fleet).
  const carry = await startSimFleet({
    regions: CARRY_FLEETS.flatMap((key) => FLEETS[key].regions),
    models: [MODEL],
    defaultTokens: SSE_TOKENS,
    responseBytes: 1024,
  });
  fleets.push(carry);
  const carryInfo: FleetInfo[] = CARRY_FLEETS.map((key) => ({
    key,
    backends: carry.backends.filter((b) => FLEETS[key].regions.some((r) => r.region === b.region)),
    telemetryUrl: carry.telemetryUrl,
    controlUrl: carry.controlUrl,
  }));
  process.stdout.write(`${JSON.stringify({ msg: 'ready', pid: process.pid, fleets: info, carry: carryInfo })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`backends: ${(err as Error).stack ?? String(err)}\n`);
  void closeAndExit(1);
});
