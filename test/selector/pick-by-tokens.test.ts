// Token units: a request needs room for its whole estimate. A region whose free room
// is below it is passed over while another region has room for it; with none, the
// request waits (pickWithRoom answers null).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { planDeployment } from '../../src/planner/plan-deployment.js';
import type { DeploymentPlan } from '../../src/planner/types.js';
import { seededRandom } from '../../src/sim/loop-model/random.js';
import { DeploymentRoute, type RouteTarget } from '../../src/selector/deployment-route.js';
import { LoadCell } from '../../src/telemetry/own-load.js';
import { NOW, input, report, view } from '../helpers/planner-fixtures.js';

const REGIONS = ['r1', 'r2', 'r3'];

function planOf(unit: 'requests' | 'concurrent-tokens', capacities: readonly number[]): DeploymentPlan {
  const dep = {
    name: 'd',
    model: 'm',
    type: 'global' as const,
    boundary: REGIONS,
    servable: REGIONS,
    capacityUnit: unit,
  };
  const t = view(REGIONS.map((r, i) => report(r, capacities[i] as number, 0)));
  return planDeployment(dep, input(t), NOW);
}

function routeOf(plan: DeploymentPlan, held: readonly number[] = [0, 0, 0]) {
  const cells = new Map(
    REGIONS.map((r, i) => {
      const cell = new LoadCell(1);
      cell.configure(plan.unit, 1);
      if ((held[i] as number) > 0) cell.add(held[i] as number, NOW);
      return [r, cell] as const;
    }),
  );
  return new DeploymentRoute<RouteTarget>(plan, (region) => ({ region, load: cells.get(region) as LoadCell }));
}

test('a request larger than the drawn region has room for goes where it fits', () => {
  // Rooms 5,000 / 20,000 / 5,000 tokens: shares 1/6, 2/3, 1/6.
  const route = routeOf(planOf('concurrent-tokens', [5000, 20_000, 5000]));
  const random = seededRandom(3);
  const small: Record<string, number> = {};
  for (let k = 0; k < 3000; k++) {
    const r = route.pick(random, 100)?.region as string;
    small[r] = (small[r] ?? 0) + 1;
  }
  assert.ok(
    Math.abs((small.r2 ?? 0) / 3000 - 2 / 3) < 0.05,
    `small requests follow the shares: ${JSON.stringify(small)}`,
  );
  for (let k = 0; k < 500; k++) assert.equal(route.pick(random, 6400)?.region, 'r2', 'only r2 has room for 6,400');
  assert.equal(route.pickWithRoom(random, 25_000), null, 'room nowhere: admission keeps it waiting');
  assert.equal(route.pick(random, 25_000)?.region, 'r2', 'without admission: the most room');
});

test('in unit requests the estimate does not matter: any room will do', () => {
  const route = routeOf(planOf('requests', [50, 200, 50]));
  const random = seededRandom(5);
  const seen = new Set<string>();
  for (let k = 0; k < 500; k++) seen.add(route.pick(random, 100_000)?.region as string);
  assert.deepEqual([...seen].sort(), REGIONS);
});

test('property: a pick never names a region short of the estimate while another has room for it', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 3, maxLength: 3 }),
      fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 3, maxLength: 3 }),
      fc.integer({ min: 1, max: 120_000 }),
      fc.integer({ min: 1, max: 2 ** 31 }),
      (capacities, held, tokens, seed) => {
        const plan = planOf('concurrent-tokens', capacities);
        if (plan.routable.length === 0) return;
        const route = routeOf(plan, held);
        const free = new Map(
          plan.routable.map((r, i) => [r, (plan.rooms[i] as number) - (held[REGIONS.indexOf(r)] as number)]),
        );
        const fits = (r: string) => (free.get(r) as number) >= tokens && (free.get(r) as number) > 0;
        const anyFits = plan.routable.some(fits);
        const random = seededRandom(seed);
        for (let k = 0; k < 20; k++) {
          const withRoom = route.pickWithRoom(random, tokens);
          if (anyFits) assert.ok(withRoom !== null && fits(withRoom.region), `pickWithRoom ${withRoom?.region}`);
          else assert.equal(withRoom, null);
          const picked = route.pick(random, tokens) as RouteTarget;
          if (anyFits && plan.pick === 'by-load') assert.ok(fits(picked.region), `pick ${picked.region}`);
        }
      },
    ),
    { numRuns: 300 },
  );
});
