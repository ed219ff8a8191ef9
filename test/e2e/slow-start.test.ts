// Slow start on real sockets, with the router and the fleet's telemetry on a manual
// clock: the ramp is read at known times after the region came back, so its shape is
// checked against the curve itself instead of however many samples a busy machine
// manages to take within the window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SLOW_START } from '../../src/config/defaults.js';
import { slowStartFactor } from '../../src/resilience/slow-start.js';
import { startFleetAndRouter } from '../helpers/fleet-harness.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { advanceWithPolls, deploymentOf } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

const STALE_AFTER_MS = 1000;
const SLOW_START = { ...DEFAULT_SLOW_START, windowMs: 4000, minWeightPercent: 10 };
const STEP_MS = 400;

test('a region whose telemetry comes back ramps its share back over the slow-start window', async (t) => {
  const clock = new ManualClock();
  const s = await startFleetAndRouter({
    regions: [
      { region: 'r1', capacity: 100 },
      { region: 'r2', capacity: 100 },
    ],
    zones: { z: ['r1', 'r2'] },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
    telemetry: { intervalMs: 100, staleAfterMs: STALE_AFTER_MS, timeoutMs: 300 },
    extra: { slowStart: { windowMs: SLOW_START.windowMs, minWeightPercent: SLOW_START.minWeightPercent } },
    clock,
  });
  t.after(() => s.close());
  await waitFor('normal mode', async () => deploymentOf(await s.router.capacity(), 'chat').coverage === 1);

  // r1's reports stop; r2's keep coming while time passes.
  s.fleet.telemetry.drop('r1');
  const dark = deploymentOf(await advanceWithPolls(s.router, clock, STALE_AFTER_MS + 1, 250), 'chat');
  assert.equal(dark.coverage, 0.5, 'r1 stale, r2 fresh');
  assert.equal(dark.regions.find((r) => r.region === 'r2')?.state, 'active', 'r2 never left');

  s.fleet.telemetry.restore('r1');
  await waitFor('r1 fresh again', async () => deploymentOf(await s.router.capacity(), 'chat').coverage === 1);

  const samples: Array<{ elapsedMs: number; factor: number; share: number; peer: number; state: string }> = [];
  for (let elapsedMs = 0; elapsedMs <= SLOW_START.windowMs; elapsedMs += STEP_MS) {
    const doc = elapsedMs === 0 ? await s.router.capacity() : await advanceWithPolls(s.router, clock, STEP_MS, STEP_MS);
    const d = deploymentOf(doc, 'chat');
    assert.equal(d.mode, 'normal', d.reason);
    const r1 = d.regions.find((r) => r.region === 'r1')!;
    const r2 = d.regions.find((r) => r.region === 'r2')!;
    assert.equal(r1.fresh, true);
    samples.push({ elapsedMs, factor: r1.weightFactor, share: r1.share, peer: r2.share, state: r1.state });
  }
  t.diagnostic(samples.map((x) => `${x.elapsedMs} ms: ${x.factor.toFixed(2)} ${x.share.toFixed(3)}`).join('; '));

  for (const x of samples) {
    assert.ok(
      Math.abs(x.factor - slowStartFactor(x.elapsedMs, SLOW_START)) < 1e-9,
      `${x.elapsedMs} ms after it came back: weight ${x.factor}, the curve says ${slowStartFactor(x.elapsedMs, SLOW_START)}`,
    );
  }
  const ramp = samples.filter((x) => x.factor < 1);
  assert.ok(ramp.length >= 5, `observed ${ramp.length} samples during the ramp`);
  assert.ok(ramp[0]!.factor < 0.5, `the ramp starts low (${ramp[0]!.factor})`);
  for (const x of ramp) {
    assert.equal(x.state, 'slow-start');
    assert.ok(x.share < x.peer, `a recovering region gets less than its healthy peer (${x.elapsedMs} ms)`);
  }
  for (let i = 1; i < samples.length; i++) {
    assert.ok(samples[i]!.factor >= samples[i - 1]!.factor, 'the weight only grows');
    assert.ok(samples[i]!.share >= samples[i - 1]!.share, 'and so does the share');
  }
  const last = samples.at(-1)!;
  assert.equal(last.state, 'active');
  assert.ok(last.factor === 1 && Math.abs(last.share - 0.5) < 0.1, 'and ends at full weight');
});
