import type { TestContext } from 'node:test';
import { startSimFleet, type SimFleet, type SimFleetOptions } from '../../src/sim/index.js';

/** A fleet that is closed when the test ends, whatever its outcome. */
export async function fleetFor(t: TestContext, opts: SimFleetOptions): Promise<SimFleet> {
  const fleet = await startSimFleet(opts);
  t.after(() => fleet.close());
  return fleet;
}
