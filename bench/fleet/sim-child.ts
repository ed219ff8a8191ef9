// A child process holding one simulated fleet for a benchmark or replay run. argv[2] is
// JSON: the regions (model "m", the fleet benchmark's tokens), or the fleet's options
// without a clock. It prints one JSON line with its addresses, then serves until SIGTERM.
import { startSimFleet } from '../../src/sim/index.js';
import type { SimFleetOptions, SimRegionOptions } from '../../src/sim/types.js';
import { TOKENS } from './fleets.js';

const arg = JSON.parse(process.argv[2] ?? '[]') as SimRegionOptions[] | Omit<SimFleetOptions, 'now'>;
const options: SimFleetOptions = Array.isArray(arg) ? { regions: arg, models: ['m'], defaultTokens: TOKENS } : arg;
const fleet = await startSimFleet(options);
process.stdout.write(
  `${JSON.stringify({
    msg: 'fleet ready',
    backends: fleet.backends,
    telemetryUrl: fleet.telemetryUrl,
    controlUrl: fleet.controlUrl,
  })}\n`,
);
const stop = (): void => {
  void fleet.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
