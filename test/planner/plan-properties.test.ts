// Property tests: the planner's invariants over random topologies, telemetry, source
// states and health states.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { planDeployment } from '../../src/planner/plan-deployment.js';
import { estimateLoad, type RegionLoad } from '../../src/planner/load-estimate.js';
import type { RegionAvailability } from '../../src/planner/types.js';
import { DeploymentRoute } from '../../src/selector/deployment-route.js';
import { LoadCell } from '../../src/telemetry/own-load.js';
import { buildTopology } from '../../src/topology/topology.js';
import type { DeploymentConfig, RoutingPolicy } from '../../src/config/types.js';
import type { SourceStatus } from '../../src/telemetry/store.js';
import { NOW, input, report, view } from '../helpers/planner-fixtures.js';

const EPS = 1e-9;

const scenario = fc
  .record({
    zoneSizes: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }),
    backendMask: fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }),
    depType: fc.constantFrom('global', 'datazone', 'regional'),
    depPick: fc.nat(),
    telemetry: fc.array(
      fc.option(
        fc.record({
          capacity: fc.integer({ min: 0, max: 500 }),
          inUse: fc.integer({ min: 0, max: 600 }),
          ageMs: fc.integer({ min: -5000, max: 120_000 }),
        }),
      ),
      { minLength: 20, maxLength: 20 },
    ),
    health: fc.array(
      fc.option(
        fc.record({
          state: fc.constantFrom('ejected', 'cooldown', 'slow-start'),
          for400: fc.boolean(),
          weightFactor: fc.double({ min: 0.01, max: 1, noNaN: true }),
          untilIn: fc.integer({ min: 1, max: 300_000 }),
        }),
      ),
      { minLength: 20, maxLength: 20 },
    ),
    passive: fc.array(fc.double({ min: 0.05, max: 1, noNaN: true }), { minLength: 20, maxLength: 20 }),
    status: fc.constantFrom<SourceStatus>('ok', 'error', 'stale'),
    minCoverage: fc.double({ min: 0, max: 1, noNaN: true }),
    maxShareFactor: fc.double({ min: 1, max: 3, noNaN: true }),
    maxEjectionPercent: fc.integer({ min: 0, max: 100 }),
    // The router's own load: in flight when each report was measured and now, a 429's
    // cap on the room, and a smoothed estimate carried from the previous plan.
    own: fc.array(
      fc.record({
        atReport: fc.integer({ min: 0, max: 600 }),
        now: fc.integer({ min: 0, max: 600 }),
        cap: fc.option(fc.integer({ min: 0, max: 600 })),
        previous: fc.option(fc.double({ min: 0, max: 600, noNaN: true })),
      }),
      { minLength: 20, maxLength: 20 },
    ),
    loadPerRequest: fc.constantFrom(0, 0.5, 1, 3),
    smoothingMs: fc.constantFrom(0, 1000),
    policy: fc.constantFrom<RoutingPolicy>('adaptive', 'adaptive', 'static', 'round-robin'),
    pickByLoad: fc.boolean(),
  })
  .map((s) => {
    const zones: Record<string, string[]> = {};
    const all: string[] = [];
    s.zoneSizes.forEach((size, z) => {
      zones[`z${z}`] = Array.from({ length: size }, (_, i) => `z${z}r${i}`);
      all.push(...zones[`z${z}`]!);
    });
    let withBackend = all.filter((_, i) => s.backendMask[i]);
    if (withBackend.length === 0) withBackend = [all[0]!];
    const backends = withBackend.map((region, i) => ({ region, url: `http://127.0.0.1:${9000 + i}` }));
    const zoneNames = Object.keys(zones).filter((z) => zones[z]!.some((r) => withBackend.includes(r)));
    const deployment: DeploymentConfig =
      s.depType === 'global'
        ? { name: 'd', model: 'm', type: 'global', zone: null, region: null, admission: null, capacityUnit: null }
        : s.depType === 'datazone'
          ? {
              name: 'd',
              model: 'm',
              type: 'datazone',
              zone: zoneNames[s.depPick % zoneNames.length]!,
              region: null,
              admission: null,
              capacityUnit: null,
            }
          : {
              name: 'd',
              model: 'm',
              type: 'regional',
              zone: null,
              region: withBackend[s.depPick % withBackend.length]!,
              admission: null,
              capacityUnit: null,
            };
    const topology = buildTopology({ zones, backends, deployments: [deployment] });
    const reports = all.flatMap((region, i) => {
      const t = s.telemetry[i];
      return t ? [report(region, t.capacity, t.inUse, t.ageMs)] : [];
    });
    const availability: Record<string, RegionAvailability> = {};
    const passive: Record<string, number> = {};
    all.forEach((region, i) => {
      const h = s.health[i];
      if (h) {
        availability[region] = {
          state: h.state as RegionAvailability['state'],
          reason: 'test',
          kind: h.state === 'ejected' ? (h.for400 ? 'status400' : 'failure') : null,
          sinceMs: NOW - h.untilIn,
          untilMs: h.state === 'slow-start' ? null : NOW + h.untilIn,
          weightFactor: h.state === 'slow-start' ? h.weightFactor : 1,
        };
      }
      passive[region] = s.passive[i]!;
    });
    const loadSettings = { smoothingMs: s.smoothingMs };
    const loads = new Map<string, RegionLoad>();
    all.forEach((region, i) => {
      const o = s.own[i]!;
      const r = reports.find((x) => x.region === region);
      const cell = new LoadCell(10);
      cell.configure('requests', s.loadPerRequest);
      cell.inFlight = o.atReport;
      cell.record(r?.atMs ?? NOW);
      cell.inFlight = o.now;
      if (o.cap !== null) cell.capRoom(o.cap, NOW - 10, NOW + 1000);
      const previous = o.previous === null ? undefined : { othersLoad: o.previous, atMs: NOW - 250 };
      loads.set(region, estimateLoad(r, cell, previous, loadSettings, NOW));
    });
    return { s, zones, withBackend, deployment, topology, reports, availability, passive, loads };
  });

test('planner invariants hold over random topologies, telemetry and health', () => {
  fc.assert(
    fc.property(scenario, ({ s, zones, withBackend, deployment, topology, reports, availability, passive, loads }) => {
      const dep = topology.deployments[0]!;
      const expectedBoundary =
        deployment.type === 'global'
          ? [...withBackend].sort()
          : deployment.type === 'datazone'
            ? [...zones[deployment.zone!]!].sort()
            : [deployment.region!];
      assert.deepEqual(dep.boundary, expectedBoundary, 'boundary follows the deployment type');

      const plan = planDeployment(
        dep,
        input(view(reports, s.status === 'stale' ? { lastSuccessAtMs: NOW - 10_000 } : {}), {
          status: s.status,
          availability,
          passive,
          load: (_model, region) => loads.get(region) as RegionLoad,
          settings: {
            minCoverage: s.minCoverage,
            maxShareFactor: s.maxShareFactor,
            maxEjectionPercent: s.maxEjectionPercent,
            policy: s.policy,
            pickByLoad: s.pickByLoad,
          },
        }),
        NOW,
      );
      for (const r of plan.regions) {
        for (const [name, v] of Object.entries({ room: r.room, headroom: r.headroom, othersLoad: r.othersLoad })) {
          assert.ok(v === null || (Number.isFinite(v) && v >= 0), `${r.region} ${name} ${v} is a figure >= 0`);
        }
      }
      assert.equal(plan.rooms.length, plan.routable.length);
      assert.ok(
        plan.rooms.every((x) => Number.isFinite(x) && x >= 0),
        'the rooms the pick compares are figures',
      );
      if (s.policy !== 'adaptive') assert.equal(plan.mode, 'normal', 'baselines ignore telemetry');
      if (plan.mode === 'conservative') assert.equal(plan.pick, 'weighted', 'conservative picks keep the caps');
      if (s.policy === 'round-robin' && plan.routable.length > 0) assert.equal(plan.pick, 'rotate');
      const weighed = plan.regions.filter((r) => r.state === 'active' || r.state === 'slow-start');
      if (
        s.policy === 'adaptive' &&
        plan.mode === 'normal' &&
        weighed.length >= 2 &&
        !/spread evenly/.test(plan.reason)
      ) {
        for (const r of weighed) {
          // share_i = w_i / W, and w_i <= 10 (W - w_i) / (n - 1) unless its peers have no room.
          if (r.share < 1 - EPS) {
            assert.ok(
              r.share <= (10 * (1 - r.share)) / (weighed.length - 1) + EPS,
              `${r.region}: share ${r.share} within 10x its peers' mean`,
            );
          }
        }
      }
      const total = plan.regions.reduce((a, r) => a + r.share, 0);
      assert.deepEqual(
        plan.regions.map((r) => r.region),
        dep.boundary,
        'every boundary region is listed',
      );
      if (plan.routable.length === 0) {
        assert.equal(total, 0, 'no routable region: all shares are 0');
        assert.ok(plan.rejection !== null, 'and the plan says how to reject');
      } else {
        assert.ok(Math.abs(total - 1) < EPS, `shares sum to 1, got ${total}`);
        assert.equal(plan.rejection, null);
      }
      for (const region of plan.routable) {
        assert.ok(dep.boundary.includes(region), `${region} is inside the boundary`);
        assert.ok(withBackend.includes(region), `${region} has a backend`);
      }
      const active = plan.regions.filter((r) => r.state === 'active' || r.state === 'slow-start');
      for (const r of plan.regions) {
        if (r.state !== 'active' && r.state !== 'slow-start')
          assert.equal(r.share, 0, `${r.region} (${r.state}) gets nothing`);
      }
      const servableCount = plan.regions.filter((r) => r.state !== 'no-backend').length;
      const ejectedNow = plan.regions.filter((r) => r.state === 'ejected');
      assert.ok(
        ejectedNow.length <= Math.floor((s.maxEjectionPercent / 100) * servableCount + 1e-9),
        'the ejection cap holds',
      );
      if (ejectedNow.length > 0 && active.length === 0 && !plan.regions.some((r) => r.state === 'cooldown')) {
        assert.ok(
          ejectedNow.every((r) => availability[r.region]!.kind === 'failure'),
          'the last region is never ejected for 400s alone',
        );
      }
      if (plan.mode === 'conservative' && active.length > 0) {
        const n = active.length;
        for (const r of active) {
          assert.ok(
            r.share <= s.maxShareFactor / n + EPS,
            `${r.region} share ${r.share} <= cap ${s.maxShareFactor / n}`,
          );
          assert.ok(r.share > 0, `${r.region} receives traffic in conservative mode`);
        }
      }
      if (s.policy === 'adaptive') {
        if (plan.mode === 'normal') assert.ok(plan.coverage >= s.minCoverage && s.status !== 'stale');
        else assert.ok(plan.coverage < s.minCoverage || s.status === 'stale');
      }

      // What the data plane would pick stays inside the boundary too.
      const cells = new Map(plan.routable.map((region) => [region, new LoadCell(1)] as const));
      // Some regions busy, some idle: picks by load must stay inside the routable set too.
      plan.routable.forEach((region, i) => {
        (cells.get(region) as LoadCell).inFlight = i % 2 === 0 ? 0 : 1000;
      });
      const route = new DeploymentRoute(plan, (region) => ({ region, load: cells.get(region) as LoadCell }));
      for (let k = 0; k < 200; k++) {
        const u = (k + 0.5) / 200;
        const picked = route.pick(() => u);
        if (plan.routable.length === 0) assert.equal(picked, null);
        else assert.ok(picked !== null && plan.routable.includes(picked.region));
        const other = route.pickOther(new Set([plan.routable[0] ?? '']), () => u);
        if (other !== null) assert.ok(plan.routable.includes(other.region) && other.region !== plan.routable[0]);
      }
    }),
    { numRuns: 400 },
  );
});
