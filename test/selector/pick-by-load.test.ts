import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planDeployment } from '../../src/planner/plan-deployment.js';
import type { DeploymentPlan } from '../../src/planner/types.js';
import { seededRandom } from '../../src/sim/loop-model/random.js';
import { DeploymentRoute, type RouteTarget } from '../../src/selector/deployment-route.js';
import { LoadCell } from '../../src/telemetry/own-load.js';
import { NOW, input, report, view } from '../helpers/planner-fixtures.js';

const REGIONS = ['r1', 'r2', 'r3'];
const DEP = {
  name: 'd',
  model: 'm',
  type: 'global' as const,
  boundary: REGIONS,
  servable: REGIONS,
  capacityUnit: 'requests' as const,
};

/** Rooms 60 / 30 / 10 for this router. */
function planOf(opts: Parameters<typeof input>[1] = {}): DeploymentPlan {
  const t = view([report('r1', 100, 40), report('r2', 100, 70), report('r3', 100, 90)]);
  return planDeployment(DEP, input(t, opts), NOW);
}

function routeOf(plan: DeploymentPlan): { route: DeploymentRoute<RouteTarget>; cells: Map<string, LoadCell> } {
  const cells = new Map(REGIONS.map((r) => [r, new LoadCell(1)]));
  const route = new DeploymentRoute(plan, (region) => ({ region, load: cells.get(region) as LoadCell }));
  return { route, cells };
}

function fractions(route: DeploymentRoute<RouteTarget>, n: number): Record<string, number> {
  const random = seededRandom(42);
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = route.pick(random)?.region ?? 'none';
    counts[r] = (counts[r] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / n]));
}

const N = 20_000;
// Four standard errors of a share near 0.5 over N picks.
const TOL = 4 * Math.sqrt(0.25 / N);

test('while every region has room, picks follow the planned shares', () => {
  const plan = planOf();
  assert.equal(plan.pick, 'by-load');
  const f = fractions(routeOf(plan).route, N);
  assert.ok(Math.abs((f.r1 ?? 0) - 0.6) < TOL, `r1 ${f.r1}`);
  assert.ok(Math.abs((f.r2 ?? 0) - 0.3) < TOL, `r2 ${f.r2}`);
  assert.ok(Math.abs((f.r3 ?? 0) - 0.1) < TOL, `r3 ${f.r3}`);
});

test("a region whose room is taken by the router's own requests gives way to the one with the most room", () => {
  const { route, cells } = routeOf(planOf());
  (cells.get('r1') as LoadCell).inFlight = 60;
  const f = fractions(route, N);
  assert.equal(f.r1 ?? 0, 0);
  assert.ok(Math.abs((f.r2 ?? 0) - 0.9) < TOL, `r2 takes r1's draws: ${f.r2}`);
  assert.ok(Math.abs((f.r3 ?? 0) - 0.1) < TOL, `r3 keeps its share: ${f.r3}`);
});

test('a region that answered 429 is passed over until its requests drain', () => {
  const { route, cells } = routeOf(planOf());
  const r3 = cells.get('r3') as LoadCell;
  r3.inFlight = 4;
  r3.capRoom(4, NOW, NOW + 1000);
  assert.equal(fractions(route, N).r3 ?? 0, 0);
  r3.inFlight = 3;
  assert.ok((fractions(route, N).r3 ?? 0) > 0, 'one finished: room for one again');
});

test('with no room anywhere the pick still names a region: the least overcommitted', () => {
  const { route, cells } = routeOf(planOf());
  (cells.get('r1') as LoadCell).inFlight = 70;
  (cells.get('r2') as LoadCell).inFlight = 31;
  (cells.get('r3') as LoadCell).inFlight = 15;
  assert.deepEqual(Object.keys(fractions(route, 1000)), ['r2']);
});

test('with no room anywhere, a region without any room is never the one diverted to, though nothing is in flight there', () => {
  // r3 is full of other tenants' load: room 0, and every request sent there is turned
  // away at once, so the router never has one in flight there. r1 and r2 are full of
  // the router's own requests.
  const t = view([report('r1', 100, 40), report('r2', 100, 70), report('r3', 100, 90)]);
  const plan = planDeployment(DEP, input(t), NOW);
  const { route, cells } = routeOf(plan);
  (cells.get('r1') as LoadCell).inFlight = 70;
  (cells.get('r2') as LoadCell).inFlight = 31;
  const r3 = cells.get('r3') as LoadCell;
  r3.capRoom(0, NOW, NOW + 1000);
  assert.deepEqual(Object.keys(fractions(route, 1000)), ['r2'], 'the least overcommitted region with room');
  (cells.get('r1') as LoadCell).inFlight = 200;
  (cells.get('r2') as LoadCell).inFlight = 200;
  assert.deepEqual(Object.keys(fractions(route, 1000)), ['r1'], 'still not r3, however overcommitted the others');
});

test('conservative mode keeps plain weighted picks, so its caps hold', () => {
  const plan = planOf({ status: 'stale' });
  assert.equal(plan.mode, 'conservative');
  assert.equal(plan.pick, 'weighted');
  const { route, cells } = routeOf(plan);
  (cells.get('r1') as LoadCell).inFlight = 1000;
  const f = fractions(route, N);
  const share = plan.shares[plan.routable.indexOf('r1')] as number;
  assert.ok(Math.abs((f.r1 ?? 0) - share) < TOL, `r1 ${f.r1} vs its capped share ${share}`);
});

test('round robin names every region in turn', () => {
  const plan = planOf({ settings: { policy: 'round-robin' } });
  assert.equal(plan.pick, 'rotate');
  const { route } = routeOf(plan);
  const random = seededRandom(1);
  const seen = Array.from({ length: 6 }, () => route.pick(random)?.region);
  assert.deepEqual(seen, ['r1', 'r2', 'r3', 'r1', 'r2', 'r3']);
});

test('a retry goes elsewhere, to room when there is some', () => {
  const { route, cells } = routeOf(planOf());
  (cells.get('r2') as LoadCell).inFlight = 30;
  const random = seededRandom(7);
  for (let i = 0; i < 1000; i++) assert.equal(route.pickOther(new Set(['r1']), random)?.region, 'r3');
  assert.equal(route.pickOther(new Set(REGIONS), random), null);
});
