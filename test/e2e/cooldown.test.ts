import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chat, startFleetAndRouter } from '../helpers/fleet-harness.js';
import { deploymentOf } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

test('Retry-After rests a region, its share goes to its peers, and when all rest the client gets 429 with the earliest end', async (t) => {
  const s = await startFleetAndRouter({
    regions: [
      { region: 'r1', capacity: 1000 },
      { region: 'r2', capacity: 1000 },
    ],
    zones: { z: ['r1', 'r2'] },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
    extra: { outlier: { enabled: false }, cooldown: { maxMs: 2500 } },
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
  assert.ok(restMs > 0 && restMs <= 2500, `cooldown bounded by cooldown.maxMs, got ${restMs} ms`);
  assert.match(r1.stateReason ?? '', /429 with Retry-After 3600000 ms/);

  // Now r2 says the same, briefly: every region rests.
  s.fleet.region('r2').setBehaviour({ failStatus: 429, retryAfterSeconds: 1 });
  const first = await chat(s.router.url, 'chat');
  assert.equal(first.status, 429, 'no other region to retry on: the upstream 429 is passed on');
  assert.equal(first.headers.get('retry-after'), '1');
  const own = await waitFor('the router answers itself', async () => {
    const r = await chat(s.router.url, 'chat');
    return r.status === 429 && r.region === null ? r : null;
  });
  assert.equal((JSON.parse(own.body) as { error: { code: string } }).error.code, 'NoCapacity');
  assert.equal(own.headers.get('retry-after'), '1', 'Retry-After is the earliest end of a cooldown (r2, 1 s)');

  // After r2's cooldown it serves again.
  s.fleet.region('r2').setBehaviour({ failStatus: null });
  await waitFor('r2 serves again', async () => (await chat(s.router.url, 'chat')).region === 'r2', 5000);
});
