// A fleet whose only load signal is the answers' rate-limit headers (Azure OpenAI
// resources with no telemetry service): telemetry.inBand alone. Traffic keeps the
// regions fresh; a region that sees no traffic goes stale staleAfterMs after its last
// answer, and the estimate rules take over (last known room, then conservative mode
// when coverage falls); traffic brings it back. The router runs on a manual clock:
// time moves only when the test says, so "staleAfterMs after the last answer" is checked
// to the millisecond, and a busy machine cannot age the readings while answers flow.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import { startFakeBackend } from '../helpers/fake-backend.js';
import { chat, spread } from '../helpers/fleet-harness.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { baseConfig, capacityPlannedAt, deploymentOf, startRouter } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

const STALE_AFTER_MS = 1000;

/** An Azure-like backend with a requests-per-minute limit of 100 and this much of it left. */
function rateLimited(region: string, remaining: number) {
  return (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'x-ratelimit-limit-requests': '100',
      'x-ratelimit-remaining-requests': String(remaining),
      'x-ratelimit-limit-tokens': '-1',
      'x-ratelimit-remaining-tokens': '-1',
    });
    res.end(JSON.stringify({ region }));
  };
}

test('in-band alone: fresh while answers flow, stale staleAfterMs after the last one, back with traffic', async (t) => {
  const a = await startFakeBackend(rateLimited('a', 80));
  const b = await startFakeBackend(rateLimited('b', 20));
  const clock = new ManualClock();
  const router = await startRouter(
    baseConfig({
      zones: { z: ['a', 'b'] },
      backends: [
        { region: 'a', url: a.url },
        { region: 'b', url: b.url },
      ],
      deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
      telemetry: { inBand: true, intervalMs: 100, staleAfterMs: STALE_AFTER_MS },
    }),
    { now: clock.now },
  );
  t.after(async () => {
    clock.release();
    await router.stop();
    await Promise.all([a.close(), b.close()]);
  });

  // Nothing has answered yet: no telemetry at all.
  const start = await router.capacity();
  assert.equal(start.telemetry.url, null);
  assert.equal(start.telemetry.status, 'stale');
  assert.deepEqual(
    start.telemetry.sources.map((s) => [s.source, s.status]),
    [['in-band', 'stale']],
  );
  assert.match(deploymentOf(start, 'chat').reason, /^no telemetry received yet/);

  // Conservative mode still sends traffic everywhere, and the answers bring the figures.
  await spread(40, 4, () => chat(router.url, 'chat'));
  const normal = await waitFor('normal mode', async () => {
    const d = deploymentOf(await router.capacity(), 'chat');
    return d.mode === 'normal' ? d : null;
  });
  const ra = normal.regions.find((r) => r.region === 'a');
  assert.equal(ra?.capacity, 100, "the rate limit's limit is the capacity");
  assert.equal(ra?.capacitySource, 'in-band');
  assert.ok(Math.abs((ra?.inUse ?? 0) - 20) < 1e-9, `the used part of it (${ra?.inUse})`);
  assert.ok((ra?.share ?? 0) > 0.6, `shares follow the rate limits' room (a: ${ra?.share})`);

  // Traffic stops. Each region stays fresh for staleAfterMs after its last answer...
  const edge = deploymentOf(await capacityPlannedAt(router, clock.advance(STALE_AFTER_MS)), 'chat');
  assert.equal(edge.mode, 'normal', edge.reason);
  assert.ok(
    edge.regions.every((r) => r.fresh && r.ageMs === STALE_AFTER_MS),
    `fresh at ${STALE_AFTER_MS} ms: ${JSON.stringify(edge.regions.map((r) => [r.region, r.fresh, r.ageMs]))}`,
  );
  // ... and goes stale one millisecond later.
  const stale = deploymentOf(await capacityPlannedAt(router, clock.advance(1)), 'chat');
  for (const r of stale.regions) {
    assert.equal(r.fresh, false, r.region);
    assert.equal(r.ageMs, STALE_AFTER_MS + 1, `${r.region} age`);
    assert.equal(r.estimate, 'last-known', 'weighed at its last known room');
  }
  assert.equal(stale.mode, 'conservative');
  assert.match(stale.reason, /^telemetry stale: no source has delivered for/);
  const shares = Object.fromEntries(stale.regions.map((r) => [r.region, r.share]));
  assert.ok((shares.a ?? 0) > (shares.b ?? 0), 'the last known room still leans the conservative shares');

  // Traffic again: the answers make them fresh, and the plan normal.
  await spread(20, 4, () => chat(router.url, 'chat'));
  await waitFor('normal again', async () => deploymentOf(await router.capacity(), 'chat').mode === 'normal');
});
