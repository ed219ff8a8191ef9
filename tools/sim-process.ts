// Simulated fleets in a child process of their own (sim-child.ts): what a run points its
// routers and clients at.
import type { SimFleetOptions } from '../src/sim/types.js';
import type { Child, ChildRegistry } from './children.js';
import { script } from './paths.js';

const START_TIMEOUT_MS = 15_000;

/** Where a fleet in the child answers. */
export interface SimInfo {
  readonly backends: ReadonlyArray<{ region: string; url: string }>;
  readonly telemetryUrl: string;
  readonly controlUrl: string;
}

/** Starts one child holding a fleet per entry of `fleets`, and resolves once all listen. */
export async function startSims<K extends string>(
  reg: ChildRegistry,
  fleets: Readonly<Record<K, Omit<SimFleetOptions, 'now'>>>,
  name = 'sim',
): Promise<{ child: Child; fleets: Record<K, SimInfo> }> {
  const child = reg.spawn(name, [script('tools/sim-child'), JSON.stringify(fleets)]);
  const ready = await child.waitForJson((o) => o.msg === 'ready', START_TIMEOUT_MS);
  return { child, fleets: ready.fleets as Record<K, SimInfo> };
}

/** One fleet in its own child. */
export async function startSim(
  reg: ChildRegistry,
  options: Omit<SimFleetOptions, 'now'>,
): Promise<SimInfo & { child: Child }> {
  const { child, fleets } = await startSims(reg, { fleet: options });
  return { child, ...fleets.fleet };
}
