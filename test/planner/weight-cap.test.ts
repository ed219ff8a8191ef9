// The weight cap, in one place. In normal mode shares follow each region's headroom, but
// no region weighs more than 10x its peers' mean room: one absurd report (a unit
// mix-up, a bug in an exporter, or a hostile source) cannot take a deployment's traffic,
// as gRPC's weighted round robin caps its weights, and /capacity says the cap bit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { planDeployment } from '../../src/planner/plan-deployment.js';
import { NOW, input, report, view } from '../helpers/planner-fixtures.js';

const EPS = 1e-9;
const ABSURD = [1e9, 1e17, 1e300, Number.MAX_VALUE];

function global(regions: string[]) {
  return {
    name: 'd',
    model: 'm',
    type: 'global' as const,
    boundary: regions,
    servable: regions,
    capacityUnit: 'requests' as const,
  };
}

test('a report of capacity 1e300 gets at most 10x its peers, not every request, whatever the magnitude', () => {
  const dep = global(['a', 'b', 'c']);
  for (const capacity of ABSURD) {
    const plan = planDeployment(
      dep,
      input(view([report('a', capacity, 0), report('b', 100, 50), report('c', 100, 50)])),
      NOW,
    );
    assert.equal(plan.mode, 'normal');
    const [a, b, c] = plan.regions;
    // Peers' mean room 50 (peers summed without the absurd one), so a weighs 500 against 50 and 50: 500 / 600.
    assert.ok(Math.abs(a!.share - 500 / 600) < EPS, `capacity ${capacity}: share of a ${a!.share}`);
    assert.ok(Math.abs(b!.share - 50 / 600) < EPS);
    assert.ok(Math.abs(c!.share - 50 / 600) < EPS);
    assert.equal(a!.weightCapped, true);
    assert.equal(b!.weightCapped, false);
    assert.ok(plan.regions.every((r) => Number.isFinite(r.share)));
  }
});

test("with all regions fresh and active, normal-mode shares follow headroom, capped at 10x the peers' mean", () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ capacity: fc.integer({ min: 0, max: 1000 }), inUse: fc.integer({ min: 0, max: 1000 }) }), {
        minLength: 1,
        maxLength: 12,
      }),
      // At most one region's report is absurd.
      fc.option(fc.record({ at: fc.nat(), capacity: fc.constantFrom(...ABSURD) })),
      (base, absurd) => {
        const figures = base.map((f, i) =>
          absurd !== null && i === absurd.at % base.length ? { ...f, capacity: absurd.capacity } : f,
        );
        const regions = figures.map((_, i) => `r${i}`);
        const plan = planDeployment(
          global(regions),
          input(view(figures.map((f, i) => report(`r${i}`, f.capacity, f.inUse)))),
          NOW,
        );
        const headrooms = figures.map((f) => Math.max(f.capacity - f.inUse, 0));
        const n = headrooms.length;
        // Each region's peers summed without it: next to 1e300, total - own would round them away.
        const peers = headrooms.map((_, i) => headrooms.reduce((a, h, j) => (j === i ? a : a + h), 0));
        // No region's weight above 10x the mean of its peers' (one absurd report cannot take all),
        // unless its peers have no room at all.
        const weights = headrooms.map((h, i) =>
          n < 2 || peers[i] === 0 ? h : Math.min(h, (10 * (peers[i] as number)) / (n - 1)),
        );
        const sum = weights.reduce((a, b) => a + b, 0);
        const anyRoom = headrooms.some((h) => h > 0);
        plan.regions.forEach((r, i) => {
          // With no room anywhere the router spreads evenly and lets the backends decide.
          const expected = anyRoom ? (weights[i] as number) / sum : 1 / n;
          assert.ok(Number.isFinite(r.share), `${r.region}: share ${r.share}`);
          assert.ok(Math.abs(r.share - expected) < EPS, `${r.region}: ${r.share} vs ${expected}`);
          assert.equal(r.weightCapped, (weights[i] as number) < (headrooms[i] as number), r.region);
        });
      },
    ),
  );
});
