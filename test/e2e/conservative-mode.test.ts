// Conservative mode on real sockets. The router and the fleet's telemetry share a manual
// clock: readings age only when the test moves time on (in steps, with a poll after
// each, so the regions still reported stay fresh), so a busy machine can neither make
// a region stale early nor add mode changes of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chat, spread, startFleetAndRouter, type FleetSetup } from '../helpers/fleet-harness.js';
import { ManualClock } from '../helpers/manual-clock.js';
import {
  advanceWithPolls,
  capacityPlannedAt,
  deploymentOf,
  type CapacityDeployment,
} from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

const REGIONS = ['z1', 'z2', 'z3', 'z4'];
const STALE_AFTER_MS = 600;
/** Clock steps while the telemetry flows: well under staleAfterMs. */
const STEP_MS = 150;

async function setupFleet(t: {
  after: (fn: () => Promise<void>) => void;
}): Promise<FleetSetup & { clock: ManualClock }> {
  const clock = new ManualClock();
  // z1 has far more headroom than the rest: without the conservative cap it would take ~77%.
  const setup = await startFleetAndRouter({
    regions: [
      { region: 'z1', capacity: 1000 },
      { region: 'z2', capacity: 60 },
      { region: 'z3', capacity: 60 },
      { region: 'z4', capacity: 60 },
    ],
    zones: { z: REGIONS },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
    // The JSON report alone: these tests are about what the router does when that table
    // goes missing, stale or wrong. The simulator's ORCA headers would keep regions that
    // receive traffic fresh (test/e2e/in-band-steering.test.ts).
    telemetry: {
      intervalMs: 100,
      staleAfterMs: STALE_AFTER_MS,
      minCoverage: 0.75,
      estimateMaxAgeMs: 60_000,
      inBand: false,
    },
    clock,
  });
  t.after(() => setup.close());
  return { ...setup, clock };
}

async function waitMode(
  setup: FleetSetup,
  mode: 'normal' | 'conservative',
  also: (d: CapacityDeployment) => boolean = () => true,
): Promise<CapacityDeployment> {
  return waitFor(`mode ${mode}`, async () => {
    const d = deploymentOf(await setup.router.capacity(), 'chat');
    return d.mode === mode && also(d) ? d : null;
  });
}

function assertConservativeCaps(d: CapacityDeployment): void {
  for (const r of d.regions) {
    assert.ok(r.share > 0, `${r.region} still receives traffic`);
    assert.ok(r.share <= 1.5 / 4 + 1e-9, `${r.region} share ${r.share} within 1.5/4`);
  }
  assert.ok(Math.abs(d.regions.reduce((a, r) => a + r.share, 0) - 1) < 1e-9);
}

test('missing telemetry: coverage below minCoverage turns conservative, and recovery turns it back', async (t) => {
  const setup = await setupFleet(t);
  const normal = await waitMode(setup, 'normal', (d) => d.coverage === 1);
  // 1000 of 1180 slots, but no weight above 10x its peers' mean: 600 / 780 = 0.77.
  assert.ok(normal.regions.find((r) => r.region === 'z1')!.share > 0.75, 'normal mode follows headroom');

  setup.fleet.telemetry.drop('z3');
  setup.fleet.telemetry.drop('z4');
  const conservative = deploymentOf(
    await advanceWithPolls(setup.router, setup.clock, STALE_AFTER_MS + 1, STEP_MS),
    'chat',
  );
  assert.equal(conservative.mode, 'conservative');
  assert.equal(conservative.coverage, 0.5);
  assert.equal(conservative.reason, 'coverage 0.50 < 0.75: no fresh data for z3, z4');
  assertConservativeCaps(conservative);
  const metrics = await setup.router.metrics();
  assert.match(metrics, /switchyard_routing_mode\{deployment="chat"\} 1/);

  // Real traffic respects the cap: z1 gets at most 1.5/4 = 37.5%, plus sampling noise
  // (standard error 0.017 at 800 requests; 0.07 is four of them, far below the ~85% uncapped).
  const n = 800;
  const { byRegion, byStatus } = await spread(n, 4, () => chat(setup.router.url, 'chat'));
  assert.equal(byStatus[200], n);
  assert.ok(byRegion.z1! / n < 0.375 + 0.07, `z1 got ${byRegion.z1} of ${n}`);
  for (const r of REGIONS) assert.ok((byRegion[r] ?? 0) > 0, `${r} served some`);

  setup.fleet.telemetry.restore('z3');
  setup.fleet.telemetry.restore('z4');
  await waitMode(setup, 'normal', (d) => d.coverage === 1);
  // One line per change, none per request (800 requests went through in between):
  // consecutive lines always differ, and the changes we caused are all there.
  const modes = setup.router.logs.filter((l) => l.msg === 'routing mode' && l.deployment === 'chat').map((l) => l.mode);
  for (let i = 1; i < modes.length; i++) assert.notEqual(modes[i], modes[i - 1], `mode lines ${modes.join(' -> ')}`);
  assert.deepEqual(
    modes.slice(0, 2),
    ['conservative', 'normal'],
    'starts conservative (no telemetry yet), then normal',
  );
  assert.deepEqual(modes, ['conservative', 'normal', 'conservative', 'normal'], 'and exactly the changes we caused');
});

test('stale telemetry by `at`: frozen reports age out and turn the plan conservative', async (t) => {
  const setup = await setupFleet(t);
  await waitMode(setup, 'normal', (d) => d.coverage === 1);
  setup.fleet.telemetry.freeze('z2');
  setup.fleet.telemetry.freeze('z3');
  const d = deploymentOf(await advanceWithPolls(setup.router, setup.clock, STALE_AFTER_MS + 1, STEP_MS), 'chat');
  assert.equal(d.mode, 'conservative');
  const z2 = d.regions.find((r) => r.region === 'z2')!;
  assert.equal(z2.fresh, false);
  assert.ok(z2.ageMs! > 600, `z2 age ${z2.ageMs}`);
  assert.match(d.reason, /no fresh data for z2, z3/);
  assertConservativeCaps(d);
  setup.fleet.telemetry.restore('z2');
  setup.fleet.telemetry.restore('z3');
  await waitMode(setup, 'normal', (x) => x.coverage === 1);
});

test('a failing source: error, then stale after staleAfterMs and conservative; counted; requests keep flowing', async (t) => {
  const setup = await setupFleet(t);
  await waitMode(setup, 'normal', (d) => d.coverage === 1);
  setup.fleet.telemetry.fail('status500');
  const failing = await waitFor('a failed poll', async () => {
    const c = await setup.router.capacity();
    return c.telemetry.lastError !== null ? c : null;
  });
  assert.equal(failing.telemetry.status, 'error', 'an error, not stale, within staleAfterMs of the last success');
  const doc = await capacityPlannedAt(setup.router, setup.clock.advance(STALE_AFTER_MS + 1));
  assert.equal(doc.telemetry.status, 'stale');
  assert.match(doc.telemetry.lastError ?? '', /HTTP 500/);
  const d = deploymentOf(doc, 'chat');
  assert.equal(d.mode, 'conservative');
  assert.match(d.reason, /telemetry stale: no source has delivered for/);
  assertConservativeCaps(d);
  assert.equal((await chat(setup.router.url, 'chat')).status, 200, 'the router serves on stale data');
  assert.match(
    await setup.router.metrics(),
    /switchyard_telemetry_poll_failures_total\{source="json",reason="http_status"\} [1-9]/,
  );

  setup.fleet.telemetry.fail('malformed');
  await waitFor('malformed counted', async () =>
    /switchyard_telemetry_poll_failures_total\{source="json",reason="malformed"\} [1-9]/.test(
      await setup.router.metrics(),
    ),
  );
  setup.fleet.telemetry.fail(null);
  await waitMode(setup, 'normal', (x) => x.coverage === 1);
  assert.equal((await setup.router.capacity()).telemetry.status, 'ok');
});

test('a source that hangs is timed out, counted, and the last good data is kept until it ages', async (t) => {
  const setup = await setupFleet(t);
  await waitMode(setup, 'normal', (d) => d.coverage === 1);
  setup.fleet.telemetry.fail('hang');
  await waitFor('timeout counted', async () =>
    /switchyard_telemetry_poll_failures_total\{source="json",reason="timeout"\} [1-9]/.test(
      await setup.router.metrics(),
    ),
  );
  const kept = deploymentOf(await setup.router.capacity(), 'chat');
  assert.equal(kept.mode, 'normal', 'the last good data is kept while it is fresh');
  const aged = deploymentOf(await capacityPlannedAt(setup.router, setup.clock.advance(STALE_AFTER_MS + 1)), 'chat');
  assert.equal(aged.mode, 'conservative', 'until it ages');
  setup.fleet.telemetry.fail(null);
  await waitMode(setup, 'normal', (x) => x.coverage === 1);
});
