// The planned shares and the traffic that follows them, on real sockets. The router and
// the fleet's telemetry share a manual clock that stands still: the reports stay fresh
// however long the 1,500 requests take on a busy machine (a stall past staleAfterMs
// would otherwise turn the plan conservative and even the shares out mid-run), and the
// smoothed load stays what the first reports said. The router's picks are seeded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../src/sim/loop-model/random.js';
import { chat, spread, startFleetAndRouter } from '../helpers/fleet-harness.js';
import { ManualClock } from '../helpers/manual-clock.js';
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
    clock: new ManualClock(),
    random: seededRandom(7),
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
  assert.deepEqual(
    setup.router.logs.filter((l) => l.msg === 'routing mode').map((l) => l.mode),
    ['conservative', 'normal'],
    'normal from the first reports on, throughout the run',
  );
  assert.ok(Math.abs(byRegion.a1! / n - 0.6) < 0.05, `a1 got ${byRegion.a1}`);
  assert.ok(Math.abs(byRegion.a2! / n - 0.3) < 0.05, `a2 got ${byRegion.a2}`);
  assert.ok(Math.abs((byRegion.a3 ?? 0) / n - 0.1) < 0.05, `a3 got ${byRegion.a3}`);
});
