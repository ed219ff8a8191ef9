// A child process holding one simulated fleet for a fleet benchmark run: its regions
// come as JSON in argv[2]; it prints one JSON line with its addresses, then serves
// until SIGTERM.
import { startSimFleet } from '../../src/sim/index.js';
import type { SimRegionOptions } from '../../src/sim/types.js';
import { TOKENS } from './fleets.js';

const regions = JSON.parse(process.argv[2] ?? '[]') as SimRegionOptions[];
const fleet = await startSimFleet({ regions, models: ['m'], defaultTokens: TOKENS });
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
