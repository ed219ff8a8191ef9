import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chat, spread, startFleetAndRouter } from '../helpers/fleet-harness.js';
import { deploymentOf, shareMap } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

test("normal mode: planned shares and real traffic follow each region's headroom", async (t) => {
  // Headroom 600 / 300 / 100 from constant background load; the test's own requests
  // (at most 4 in flight) barely move it.
  const setup = await startFleetAndRouter({
    regions: [
      { region: 'a1', capacity: 1000, backgroundLoad: 400 },
      { region: 'a2', capacity: 1000, backgroundLoad: 700 },
      { region: 'a3', capacity: 1000, backgroundLoad: 900 },
    ],
    zones: { a: ['a1', 'a2', 'a3'] },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'a' }],
  });
  t.after(() => setup.close());

  const dep = await waitFor('normal mode with full coverage', async () => {
    const d = deploymentOf(await setup.router.capacity(), 'chat');
    return d.mode === 'normal' && d.coverage === 1 ? d : null;
  });
  const planned = shareMap(dep);
  assert.ok(Math.abs(planned.a1! - 0.6) < 0.01, `a1 planned ${planned.a1}`);
  assert.ok(Math.abs(planned.a2! - 0.3) < 0.01, `a2 planned ${planned.a2}`);
  assert.ok(Math.abs(planned.a3! - 0.1) < 0.01, `a3 planned ${planned.a3}`);

  // 1,500 requests: the standard error of a 0.6 share is 0.013; 0.05 is almost 4 sigma.
  const n = 1500;
  const { byRegion, byStatus } = await spread(n, 4, () => chat(setup.router.url, 'chat'));
  assert.equal(byStatus[200], n);
  assert.ok(Math.abs(byRegion.a1! / n - 0.6) < 0.05, `a1 got ${byRegion.a1}`);
  assert.ok(Math.abs(byRegion.a2! / n - 0.3) < 0.05, `a2 got ${byRegion.a2}`);
  assert.ok(Math.abs((byRegion.a3 ?? 0) / n - 0.1) < 0.05, `a3 got ${byRegion.a3}`);
});
