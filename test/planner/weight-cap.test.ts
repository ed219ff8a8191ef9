// One absurd report cannot take a deployment's traffic: a region reporting capacity 1e300
// (a unit mix-up, a bug in an exporter, or a hostile source) is weighed at most 10x
// its peers' mean, as gRPC's weighted round robin caps its weights, and /capacity says
// the cap bit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planDeployment } from '../../src/planner/plan-deployment.js';
import { NOW, input, report, view } from '../helpers/planner-fixtures.js';

const regions = ['a', 'b', 'c'];
const dep = { name: 'd', model: 'm', type: 'global' as const, boundary: regions, servable: regions };

test('a report of capacity 1e300 gets at most 10x its peers, not every request', () => {
  const plan = planDeployment(
    dep,
    input(view([report('a', 1e300, 0), report('b', 100, 50), report('c', 100, 50)])),
    NOW,
  );
  assert.equal(plan.mode, 'normal');
  const [a, b, c] = plan.regions;
  // Peers' mean room 50, so a weighs 500 against 50 and 50: 500 / 600.
  assert.ok(Math.abs(a!.share - 500 / 600) < 1e-9, `share of a: ${a!.share}`);
  assert.ok(Math.abs(b!.share - 50 / 600) < 1e-9);
  assert.ok(Math.abs(c!.share - 50 / 600) < 1e-9);
  assert.equal(a!.weightCapped, true);
  assert.equal(b!.weightCapped, false);
  assert.ok(plan.regions.every((r) => Number.isFinite(r.share)));
});

test('the cap holds whatever the magnitudes: peers are summed without the absurd one', () => {
  for (const capacity of [1e300, Number.MAX_VALUE, 1e17, 1e9]) {
    const plan = planDeployment(
      dep,
      input(view([report('a', capacity, 0), report('b', 100, 50), report('c', 100, 50)])),
      NOW,
    );
    const a = plan.regions[0]!;
    assert.ok(Math.abs(a.share - 500 / 600) < 1e-9, `capacity ${capacity}: share of a ${a.share}`);
    assert.equal(a.weightCapped, true);
  }
});
