// Quota windows on real sockets: the simulated region enforces a tokens-per-minute
// window as Azure does, and the router, on a manual clock shared with the fleet, rests
// the region for exactly as long as the window has left, not a request more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chat, startFleetAndRouter } from '../helpers/fleet-harness.js';
import { CLOCK_START_MS, ManualClock } from '../helpers/manual-clock.js';
import { capacityPlannedAt, deploymentOf } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

const MAX_TOKENS = 96;
// What the simulated region charges one of these requests on arrival: its body's bytes
// / 4 plus max_tokens (chat() sends this body on the Azure path).
const BODY = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: MAX_TOKENS });
const CHARGE = Math.ceil(Buffer.byteLength(BODY) / 4) + MAX_TOKENS;

const setup = async (r1Quota: { tokensPerMinute: number; requestsPerMinute?: number }) => {
  const clock = new ManualClock();
  // 4 s into a 10 s window: a window spent now has 6 s left.
  clock.advance(4000);
  const s = await startFleetAndRouter({
    regions: [
      { region: 'r1', capacity: 1000, quota: r1Quota },
      { region: 'r2', capacity: 1000 },
    ],
    zones: { z: ['r1', 'r2'] },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
    telemetry: { staleAfterMs: 20_000 },
    extra: { outlier: { enabled: false } },
    clock,
  });
  await waitFor('normal mode', async () => deploymentOf(await s.router.capacity(), 'chat').mode === 'normal');
  return { s, clock };
};

test('a 429 with Retry-After 6 and x-ratelimit-remaining-tokens 0 rests the region until its window turns', async (t) => {
  // A 10 s window admits one request: the second one is refused with nothing left.
  const { s, clock } = await setup({ tokensPerMinute: 6 * CHARGE });
  t.after(() => s.close());
  const r1 = s.fleet.region('r1');

  await waitFor('r1 refuses a request for its quota', async () => {
    const r = await chat(s.router.url, 'chat', 'azure', { max_tokens: MAX_TOKENS });
    assert.equal(r.status, 200, 'a refused request is retried on r2');
    return r1.stats.rejectedQuota > 0;
  });
  assert.equal(r1.stats.rejectedQuota, 1);
  const doc = await waitFor('r1 rests', async () => {
    const d = await s.router.capacity();
    return deploymentOf(d, 'chat').regions.find((r) => r.region === 'r1')?.state === 'cooldown' ? d : null;
  });
  const rested = deploymentOf(doc, 'chat').regions.find((r) => r.region === 'r1');
  assert.equal(rested?.share, 0);
  assert.equal(rested?.stateUntil, new Date(CLOCK_START_MS + 10_000).toISOString(), 'until the window turns: 6 s');
  assert.match(rested?.stateReason ?? '', /quota spent: .*x-ratelimit-remaining-tokens 0, Retry-After 6000 ms/);
  const quota = doc.resilience.quotas.find((q) => q.region === 'r1' && q.model === 'm');
  assert.equal(quota?.tokensPerMinute, 6 * CHARGE, 'the limit is learned from the answers');
  assert.equal(quota?.limitSource, 'learned');
  assert.equal(quota?.restReason, 'remaining-tokens');

  // However many requests come while time stands still, none is sent to r1.
  const received = r1.stats.received;
  for (let i = 0; i < 20; i++) {
    const r = await chat(s.router.url, 'chat', 'azure', { max_tokens: MAX_TOKENS });
    assert.deepEqual([r.status, r.region], [200, 'r2']);
  }
  assert.equal(r1.stats.received, received, 'no request reached the resting region');

  // The window turns: r1 is back at once (no slow start after a quota rest) and serves.
  const after = deploymentOf(await capacityPlannedAt(s.router, clock.advance(6000)), 'chat');
  assert.equal(after.regions.find((r) => r.region === 'r1')?.state, 'active');
  await waitFor('r1 serves again', async () => {
    await chat(s.router.url, 'chat', 'azure', { max_tokens: MAX_TOKENS });
    return r1.stats.served > 0 && r1.stats.received > received;
  });
});

test('a 429 at a concurrency edge (Retry-After 1, quota left) does not rest the region', async (t) => {
  const { s, clock } = await setup({ tokensPerMinute: 1_000_000_000, requestsPerMinute: 1_000_000 });
  t.after(() => s.close());
  const r1 = s.fleet.region('r1');
  r1.setBehaviour({ failStatus: 429, retryAfterSeconds: 1 });
  await waitFor('a request meets r1', async () => {
    const r = await chat(s.router.url, 'chat', 'azure', { max_tokens: MAX_TOKENS });
    return r.status === 200 && r1.stats.failed > 0;
  });
  const doc = await s.router.capacity();
  const region = deploymentOf(doc, 'chat').regions.find((r) => r.region === 'r1');
  assert.notEqual(region?.state, 'cooldown', 'a capacity signal, not a rest');
  const quota = doc.resilience.quotas.find((q) => q.region === 'r1');
  assert.equal(quota?.restingUntil, null);
  assert.ok((quota?.remainingTokens ?? 0) > 0, 'the answer said quota is left');
  assert.match(
    await s.router.metrics(),
    /switchyard_upstream_429_total\{model="m",region="r1",kind="capacity"\} [1-9]/,
  );

  // Once its Retry-After has passed, r1 takes requests again.
  r1.setBehaviour({ failStatus: null });
  await capacityPlannedAt(s.router, clock.advance(1000));
  await waitFor('r1 serves', async () => {
    await chat(s.router.url, 'chat', 'azure', { max_tokens: MAX_TOKENS });
    return r1.stats.served > 0;
  });
});
