import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleetAndRouter, type FleetSetup } from '../helpers/fleet-harness.js';
import { deploymentOf } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

// A client retry storm: every failed request is re-sent at once, up to 5 times.
async function storm(url: string, clientRequests: number, workers: number): Promise<{ sent: number; ok: number }> {
  let sent = 0;
  let ok = 0;
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < clientRequests) {
      started++;
      for (let attempt = 0; attempt < 5; attempt++) {
        sent++;
        const res = await fetch(`${url}/openai/deployments/chat/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"max_tokens":1}',
        });
        await res.arrayBuffer();
        if (res.ok) {
          ok++;
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return { sent, ok };
}

async function saturatedFleet(
  t: { after: (fn: () => Promise<void>) => void },
  retry: Record<string, unknown>,
): Promise<FleetSetup> {
  const s = await startFleetAndRouter({
    regions: [
      { region: 'r1', capacity: 1000 },
      { region: 'r2', capacity: 1000 },
      { region: 'far', capacity: 100_000 },
    ],
    zones: { z: ['r1', 'r2'], other: ['far'] },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
    // Only the retry budget is under test: no ejections, no cooldowns.
    extra: { retry: { maxAttempts: 3, ...retry }, outlier: { enabled: false }, cooldown: { enabled: false } },
  });
  t.after(() => s.close());
  await waitFor('normal mode', async () => deploymentOf(await s.router.capacity(), 'chat').mode === 'normal');
  for (const r of ['r1', 'r2']) s.fleet.region(r).setBehaviour({ failStatus: 503 });
  return s;
}

const upstreamAttempts = (s: FleetSetup): number =>
  s.fleet.region('r1').stats.received + s.fleet.region('r2').stats.received;

test('under a client retry storm, upstream attempts stay within the retry budget', async (t) => {
  const s = await saturatedFleet(t, {});
  const { sent } = await storm(s.router.url, 300, 40);
  const ratio = upstreamAttempts(s) / sent;
  t.diagnostic(`client requests ${sent}, upstream attempts ${upstreamAttempts(s)}, ratio ${ratio.toFixed(3)}`);
  assert.ok(ratio <= 1.2, `upstream/client ratio ${ratio.toFixed(3)} should stay within 1.2`);
  assert.equal(s.fleet.region('far').stats.received, 0, 'no retry left the boundary');
  assert.match(await s.router.metrics(), /switchyard_retry_budget_exhausted_total\{deployment="chat"\} [1-9]/);
});

test('control: without a budget the same storm multiplies upstream load', async (t) => {
  const s = await saturatedFleet(t, { budgetPercent: 100, minConcurrent: 100_000, backoffBaseMs: 0, backoffMaxMs: 0 });
  const { sent } = await storm(s.router.url, 300, 40);
  const ratio = upstreamAttempts(s) / sent;
  t.diagnostic(`client requests ${sent}, upstream attempts ${upstreamAttempts(s)}, ratio ${ratio.toFixed(3)}`);
  assert.ok(ratio >= 1.9, `an unbudgeted retrier should amplify, got ${ratio.toFixed(3)}`);
});

test('a failed attempt is retried on another region and the client never sees it', async (t) => {
  // Half the first attempts fail here; a budget of 100% of requests lets every one be
  // retried (at the default 20%, the rate check stops retrying once a fifth of the
  // requests of the last 10 s have been retried: see the storm test above).
  const s = await saturatedFleet(t, { budgetPercent: 100 });
  s.fleet.region('r2').setBehaviour({ failStatus: null });
  let ok = 0;
  for (let i = 0; i < 60; i++) {
    const res = await fetch(`${s.router.url}/openai/deployments/chat/chat/completions`, { method: 'POST', body: '{}' });
    await res.arrayBuffer();
    if (res.status === 200) ok++;
    assert.notEqual(res.headers.get('x-switchyard-region'), 'far');
  }
  assert.equal(ok, 60, 'sequential requests have budget for their one retry');
  assert.ok(s.fleet.region('r1').stats.received > 0, 'r1 was tried');
  assert.match(await s.router.metrics(), /switchyard_retries_total\{deployment="chat",reason="status-503"\} [1-9]/);
});
