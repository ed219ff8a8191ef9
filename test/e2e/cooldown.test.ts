// Cooldowns on real sockets, with the router and the fleet on a manual clock: a rest
// lasts exactly as long as the router says and ends only when the test moves time on,
// however slowly the requests go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chat, startFleetAndRouter } from '../helpers/fleet-harness.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { capacityPlannedAt, deploymentOf } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

test('Retry-After rests a region, its share goes to its peers, and when all rest the client gets 429 with the earliest end', async (t) => {
  const clock = new ManualClock();
  const s = await startFleetAndRouter({
    regions: [
      { region: 'r1', capacity: 1000 },
      { region: 'r2', capacity: 1000 },
    ],
    zones: { z: ['r1', 'r2'] },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
    // staleAfterMs above every step the clock takes here: the telemetry stays fresh.
    telemetry: { staleAfterMs: 10_000 },
    // Admission off: this is the answer without waiting (test/e2e/admission*.test.ts waits).
    extra: { outlier: { enabled: false }, cooldown: { maxMs: 2500 }, admission: { maxWaitMs: 0 } },
    clock,
  });
  t.after(() => s.close());
  await waitFor('normal mode', async () => deploymentOf(await s.router.capacity(), 'chat').mode === 'normal');

  // r1 asks for an hour; the router rests it for cooldown.maxMs at most.
  s.fleet.region('r1').setBehaviour({ failStatus: 429, retryAfterSeconds: 3600 });
  await waitFor(
    'a request meets r1',
    async () => (await chat(s.router.url, 'chat')).status === 200 && s.fleet.region('r1').stats.failed > 0,
  );
  const doc = await s.router.capacity();
  const d = deploymentOf(doc, 'chat');
  const r1 = d.regions.find((r) => r.region === 'r1')!;
  assert.equal(r1.state, 'cooldown');
  assert.equal(r1.share, 0);
  assert.equal(d.regions.find((r) => r.region === 'r2')!.share, 1, 'its share went to its peer');
  const restMs = Date.parse(r1.stateUntil!) - Date.parse(doc.generatedAt);
  assert.equal(restMs, 2500, 'the hour asked for is cut to cooldown.maxMs');
  assert.match(r1.stateReason ?? '', /quota spent: upstream answered 429, Retry-After 3600000 ms/);

  // Now r2 says the same, briefly: every region rests.
  s.fleet.region('r2').setBehaviour({ failStatus: 429, retryAfterSeconds: 1 });
  const first = await chat(s.router.url, 'chat');
  assert.equal(first.status, 429, 'no other region to retry on: the upstream 429 is passed on');
  assert.equal(first.region, 'r2');
  assert.equal(first.headers.get('retry-after'), '1');
  // A 429 with a short Retry-After is a capacity signal; r2 rests once nearly all its
  // answers are 429s (cooldown.min429Rate), and from then on the router answers itself.
  const own = await waitFor('the router answers itself', async () => {
    const r = await chat(s.router.url, 'chat');
    return r.status === 429 && r.region === null ? r : null;
  });
  assert.equal((JSON.parse(own.body) as { error: { code: string } }).error.code, 'NoCapacity');
  assert.equal(own.headers.get('retry-after'), '1', 'Retry-After is the earliest end of a cooldown (r2, 1 s)');
  // However long that took, time has not moved: both still rest, and no backend is asked.
  const received = s.fleet.region('r1').stats.received + s.fleet.region('r2').stats.received;
  const again = await chat(s.router.url, 'chat');
  assert.deepEqual([again.status, again.region, again.headers.get('retry-after')], [429, null, '1']);
  assert.equal(s.fleet.region('r1').stats.received + s.fleet.region('r2').stats.received, received);

  // r2's rest ends 1 s on; r1's (2.5 s) does not, so r2 alone serves again.
  s.fleet.region('r2').setBehaviour({ failStatus: null });
  const after = deploymentOf(await capacityPlannedAt(s.router, clock.advance(1000)), 'chat');
  assert.deepEqual(
    after.regions.map((r) => [r.region, r.state, r.share]),
    [
      ['r1', 'cooldown', 0],
      ['r2', 'slow-start', 1],
    ],
    'r2 ramps back after its rest, and is the only region serving',
  );
  const served = await chat(s.router.url, 'chat');
  assert.equal(served.status, 200);
  assert.equal(served.region, 'r2');
});
