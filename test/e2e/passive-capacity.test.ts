import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chat, spread, startFleetAndRouter } from '../helpers/fleet-harness.js';
import { deploymentOf } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

async function darkFleetWithBusyRegion(t: { after: (fn: () => Promise<void>) => void }, passiveCapacity: boolean) {
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
    telemetry: { intervalMs: 100, staleAfterMs: 500, timeoutMs: 300, inBand: false },
    // Passive capacity alone: no cooldowns or ejections to hide the busy region.
    extra: {
      cooldown: { enabled: false },
      outlier: { enabled: false, minRequests: 10 },
      conservative: { passiveCapacity },
    },
  });
  t.after(() => s.close());
  await waitFor('normal mode', async () => deploymentOf(await s.router.capacity(), 'chat').coverage === 1);
  // The second incident: telemetry goes dark while one region is in fact saturated.
  s.fleet.telemetry.fail('status500');
  await waitFor('conservative', async () => deploymentOf(await s.router.capacity(), 'chat').mode === 'conservative');
  s.fleet.region('busy').setBehaviour({ failStatus: 429 });
  await spread(200, 4, () => chat(s.router.url, 'chat'));
  return s;
}

test('in conservative mode, a region the router sees answering 429 gets less traffic, inside the caps', async (t) => {
  const s = await darkFleetWithBusyRegion(t, true);
  const d = await waitFor('busy region weighed down', async () => {
    const dep = deploymentOf(await s.router.capacity(), 'chat');
    return dep.regions.find((r) => r.region === 'busy')!.share < 0.15 ? dep : null;
  });
  const busy = d.regions.find((r) => r.region === 'busy')!;
  assert.ok(busy.share >= 0.25 / 4 - 1e-9, `still above the conservative floor (${busy.share})`);
  for (const r of d.regions) assert.ok(r.share <= 1.5 / 4 + 1e-9, `${r.region} within the cap`);
  const others = d.regions.filter((r) => r.region !== 'busy');
  for (const r of others) assert.ok(r.share > busy.share, `${r.region} takes more than the busy region`);
});

test('control: with passive capacity off, the busy region keeps an even conservative share', async (t) => {
  const s = await darkFleetWithBusyRegion(t, false);
  // Re-plans run every 250 ms; wait for two so the plan has seen the traffic.
  const seen = (await s.router.capacity()).generatedAt;
  await waitFor('two re-plans later', async () => {
    const doc = await s.router.capacity();
    return Date.parse(doc.plannedAt) > Date.parse(seen) + 300;
  });
  const busy = deploymentOf(await s.router.capacity(), 'chat').regions.find((r) => r.region === 'busy')!;
  assert.ok(Math.abs(busy.share - 0.25) < 1e-9, `busy share ${busy.share}`);
});
