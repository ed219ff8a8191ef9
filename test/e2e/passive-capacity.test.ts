// Passive capacity on real sockets, with the router and the fleet on a manual clock:
// the telemetry goes stale when the test moves time past staleAfterMs, and the 429s
// the router sees all fall in one window of its outlier counts, however long the
// requests take.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chat, spread, startFleetAndRouter } from '../helpers/fleet-harness.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { capacityPlannedAt, deploymentOf } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

const STALE_AFTER_MS = 500;

async function darkFleetWithBusyRegion(t: { after: (fn: () => Promise<void>) => void }, passiveCapacity: boolean) {
  const clock = new ManualClock();
  const s = await startFleetAndRouter({
    regions: [
      { region: 'busy', capacity: 1000 },
      { region: 'r2', capacity: 1000 },
      { region: 'r3', capacity: 1000 },
      { region: 'r4', capacity: 1000 },
    ],
    zones: { z: ['busy', 'r2', 'r3', 'r4'] },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
    // The JSON report is the only source: the incident is a fleet whose telemetry goes
    // dark entirely (the simulator's ORCA headers would keep regions with traffic fresh).
    telemetry: { intervalMs: 100, staleAfterMs: STALE_AFTER_MS, timeoutMs: 300, inBand: false },
    // Passive capacity alone: no cooldowns or ejections to hide the busy region.
    extra: {
      cooldown: { enabled: false },
      outlier: { enabled: false, minRequests: 10 },
      conservative: { passiveCapacity },
    },
    clock,
  });
  t.after(() => s.close());
  await waitFor('normal mode', async () => deploymentOf(await s.router.capacity(), 'chat').coverage === 1);
  // The second incident: telemetry goes dark while one region is in fact saturated.
  s.fleet.telemetry.fail('status500');
  await waitFor('a failed poll', async () => (await s.router.capacity()).telemetry.lastError !== null);
  const dark = deploymentOf(await capacityPlannedAt(s.router, clock.advance(STALE_AFTER_MS + 1)), 'chat');
  assert.equal(dark.mode, 'conservative', 'no source has delivered for longer than staleAfterMs');
  s.fleet.region('busy').setBehaviour({ failStatus: 429 });
  await spread(200, 4, () => chat(s.router.url, 'chat'));
  assert.ok(s.fleet.region('busy').stats.rejected429 > 0, 'the router met the busy region');
  return { s, clock };
}

test('in conservative mode, a region the router sees answering 429 gets less traffic, inside the caps', async (t) => {
  const { s, clock } = await darkFleetWithBusyRegion(t, true);
  // A plan made after every answer of the burst is in.
  const d = deploymentOf(await capacityPlannedAt(s.router, clock.advance(1)), 'chat');
  assert.equal(d.mode, 'conservative');
  const busy = d.regions.find((r) => r.region === 'busy')!;
  assert.ok(busy.share < 0.15, `busy region weighed down (${busy.share})`);
  assert.ok(busy.share >= 0.25 / 4 - 1e-9, `still above the conservative floor (${busy.share})`);
  for (const r of d.regions) assert.ok(r.share <= 1.5 / 4 + 1e-9, `${r.region} within the cap`);
  const others = d.regions.filter((r) => r.region !== 'busy');
  for (const r of others) assert.ok(r.share > busy.share, `${r.region} takes more than the busy region`);
});

test('control: with passive capacity off, the busy region keeps an even conservative share', async (t) => {
  const { s, clock } = await darkFleetWithBusyRegion(t, false);
  // A plan made after every answer of the burst is in.
  const d = deploymentOf(await capacityPlannedAt(s.router, clock.advance(1)), 'chat');
  assert.equal(d.mode, 'conservative');
  const busy = d.regions.find((r) => r.region === 'busy')!;
  assert.ok(Math.abs(busy.share - 0.25) < 1e-9, `busy share ${busy.share}`);
});
