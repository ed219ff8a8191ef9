import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleetAndRouter } from '../helpers/fleet-harness.js';
import { deploymentOf } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

test('a region whose telemetry comes back ramps its share back over the slow-start window', async (t) => {
  const s = await startFleetAndRouter({
    regions: [
      { region: 'r1', capacity: 100 },
      { region: 'r2', capacity: 100 },
    ],
    zones: { z: ['r1', 'r2'] },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
    telemetry: { intervalMs: 100, staleAfterMs: 400, timeoutMs: 300 },
    extra: { slowStart: { windowMs: 4000, minWeightPercent: 10 } },
  });
  t.after(() => s.close());
  await waitFor('normal mode', async () => deploymentOf(await s.router.capacity(), 'chat').coverage === 1);
  s.fleet.telemetry.drop('r1');
  await waitFor('r1 stale', async () => deploymentOf(await s.router.capacity(), 'chat').coverage === 0.5);
  s.fleet.telemetry.restore('r1');

  const samples: Array<{ factor: number; share: number; peer: number }> = [];
  await waitFor(
    'r1 back to full weight',
    async () => {
      const d = deploymentOf(await s.router.capacity(), 'chat');
      const r1 = d.regions.find((r) => r.region === 'r1')!;
      const r2 = d.regions.find((r) => r.region === 'r2')!;
      if (r1.fresh && d.mode === 'normal') samples.push({ factor: r1.weightFactor, share: r1.share, peer: r2.share });
      return r1.fresh && r1.state === 'active' && samples.length > 3;
    },
    10_000,
    100,
  );
  const ramp = samples.filter((x) => x.factor < 1);
  assert.ok(ramp.length >= 5, `observed ${ramp.length} samples during the ramp`);
  assert.ok(ramp[0]!.factor < 0.5, `the ramp starts low (${ramp[0]!.factor})`);
  assert.ok(ramp[0]!.share < ramp[0]!.peer, 'a recovering region gets less than its healthy peer');
  for (let i = 1; i < ramp.length; i++) assert.ok(ramp[i]!.factor >= ramp[i - 1]!.factor, 'the weight only grows');
  assert.ok(samples.at(-1)!.factor === 1 && Math.abs(samples.at(-1)!.share - 0.5) < 0.1, 'and ends at full weight');
});
