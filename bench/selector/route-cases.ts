// Routes as the data plane picks from them: an alias table over the shares plus this
// router's load cells. "with room" keeps the first draw (the common case); "a third
// full" sends a third of the draws (the busiest regions) to the bounded most-room scan.
import type { DeploymentPlan } from '../../src/planner/types.js';
import { DeploymentRoute, type RouteTarget } from '../../src/selector/deployment-route.js';
import { LoadCell } from '../../src/telemetry/own-load.js';

export type RouteLoad = 'with room' | 'a third full';

export function routeCase(
  weights: Float64Array,
  load: RouteLoad,
  pick: DeploymentPlan['pick'],
): DeploymentRoute<RouteTarget> {
  const n = weights.length;
  let total = 0;
  for (const w of weights) total += w;
  const regions = Array.from({ length: n }, (_, i) => `r${i}`);
  const rooms = Array.from(weights, (w) => w * 100);
  const plan: DeploymentPlan = {
    name: 'bench',
    model: 'm',
    type: 'global',
    boundary: regions,
    unit: 'requests',
    mode: pick === 'weighted' ? 'conservative' : 'normal',
    reason: 'benchmark',
    awaitingFirstTelemetry: false,
    coverage: 1,
    pick,
    roomKnown: pick !== 'weighted',
    regions: [],
    routable: regions,
    shares: Array.from(weights, (w) => w / total),
    rooms,
    rejection: null,
  };
  // The largest weights first: with Zipf weights they hold most of the draws.
  const order = regions.map((_, i) => i).sort((a, b) => (weights[b] as number) - (weights[a] as number));
  const full = new Set(load === 'a third full' ? order.slice(0, Math.ceil(n / 3)) : []);
  const targets = regions.map((region, i) => {
    const cell = new LoadCell(1);
    cell.inFlight = full.has(i) ? Math.ceil(rooms[i] as number) + 1 : 0;
    return { region, load: cell };
  });
  return new DeploymentRoute(plan, (region) => targets[Number(region.slice(1))] as RouteTarget);
}
