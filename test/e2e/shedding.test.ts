import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chat, spread, startFleetAndRouter } from '../helpers/fleet-harness.js';
import { deploymentOf } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';
import { settledHeap } from '../helpers/gc.js';

test('over shedding.maxInFlight the router answers 429 at once, opens no upstream request, and memory stays flat', async (t) => {
  const s = await startFleetAndRouter({
    regions: [{ region: 'r1', capacity: 1000, ttftMs: 600_000 }],
    zones: { z: ['r1'] },
    deployments: [{ name: 'chat', model: 'm', type: 'global' }],
    extra: { shedding: { maxInFlight: 5, retryAfterS: 2 } },
  });
  t.after(() => s.close());
  await waitFor('normal mode', async () => deploymentOf(await s.router.capacity(), 'chat').mode === 'normal');

  // Five requests that hold their slots until the test lets them go, however slow the machine.
  const release = new AbortController();
  const slow = Array.from({ length: 5 }, () =>
    fetch(`${s.router.url}/openai/deployments/chat/chat/completions`, {
      method: 'POST',
      body: '{}',
      signal: release.signal,
    }).then(
      (r) => r.status,
      () => 'aborted',
    ),
  );
  await waitFor('5 requests at the backend', () => s.fleet.region('r1').inFlight() === 5);

  const shed = await spread(2000, 50, () => chat(s.router.url, 'chat'));
  assert.equal(shed.byStatus[429], 2000, 'every request over the limit is shed');
  // The first burst opened the client's and the router's keep-alive connections and
  // compiled the shed path; the heap then moves by one-off allocations in a process
  // shared with the test client (compiled code, first-use caches, GC timing: up to 4 MiB
  // over one burst on Node 22 and 24, and as much back in the next). A leak shows in
  // every burst; those do not. So: three more bursts of 8,000, each measured, and the
  // smallest growth held to 256 bytes per shed request (8,000 requests' queued state
  // would be tens of MiB, in each).
  const growths: number[] = [];
  for (let burst = 0; burst < 3; burst++) {
    const heapBefore = settledHeap();
    const more = await spread(8000, 50, () => chat(s.router.url, 'chat'));
    assert.equal(more.byStatus[429], 8000);
    growths.push(settledHeap() - heapBefore);
  }
  assert.equal(s.fleet.region('r1').stats.received, 5, 'no upstream request was opened for them');
  assert.equal(
    s.fleet.region('r1').inFlight(),
    5,
    'they were answered while the slow ones still ran, not queued behind them',
  );
  const growth = Math.min(...growths);
  t.diagnostic(
    `heap growth over three bursts of 8,000 shed requests: ${growths.map((g) => (g / 1024).toFixed(0)).join(', ')} KiB`,
  );
  assert.ok(growth < 8000 * 256, `heap grew ${growths.map((g) => (g / 1024 / 1024).toFixed(1)).join(', ')} MiB`);
  const one = await chat(s.router.url, 'chat');
  assert.equal(one.headers.get('retry-after'), '2');
  assert.equal((JSON.parse(one.body) as { error: { code: string } }).error.code, 'Overloaded');

  assert.equal(s.fleet.region('r1').inFlight(), 5, 'the admitted requests were never disturbed');
  release.abort();
  assert.deepEqual(await Promise.all(slow), ['aborted', 'aborted', 'aborted', 'aborted', 'aborted']);
  await waitFor('the backend saw the aborts', () => s.fleet.region('r1').inFlight() === 0);
  assert.match(await s.router.metrics(), /switchyard_shed_requests_total\{scope="router"\} 26001/);
});

test('a backend at shedding.maxInFlightPerBackend sends the request to another region, else sheds', async (t) => {
  const s = await startFleetAndRouter({
    regions: [
      { region: 'r1', capacity: 1000, ttftMs: 600_000 },
      { region: 'r2', capacity: 1000, ttftMs: 600_000 },
    ],
    zones: { z: ['r1', 'r2'] },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
    extra: { shedding: { maxInFlightPerBackend: 2 } },
  });
  t.after(() => s.close());
  await waitFor('normal mode', async () => deploymentOf(await s.router.capacity(), 'chat').mode === 'normal');
  const release = new AbortController();
  const statuses: Array<number | string> = [];
  const all = Array.from({ length: 10 }, () =>
    fetch(`${s.router.url}/openai/deployments/chat/chat/completions`, {
      method: 'POST',
      body: '{}',
      signal: release.signal,
    }).then(
      (r) => statuses.push(r.status),
      () => statuses.push('aborted'),
    ),
  );
  await waitFor('six shed', () => statuses.filter((x) => x === 429).length === 6);
  assert.equal(s.fleet.region('r1').inFlight(), 2, 'two per backend');
  assert.equal(s.fleet.region('r2').inFlight(), 2, 'two per backend, the overflow went to the other region first');
  assert.match(await s.router.metrics(), /switchyard_shed_requests_total\{scope="backend"\} 6/);
  release.abort();
  await Promise.all(all);
  assert.equal(statuses.filter((x) => x === 'aborted').length, 4);
});
