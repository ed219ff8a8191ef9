import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chat, spread, startFleetAndRouter } from '../helpers/fleet-harness.js';
import { deploymentOf } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';
import { settledHeap } from '../helpers/gc.js';

test('over shedding.maxInFlight the router answers 429 at once, opens no upstream request, and memory stays flat', async (t) => {
  const s = await startFleetAndRouter({
    regions: [{ region: 'r1', capacity: 1000, ttftMs: 4000 }],
    zones: { z: ['r1'] },
    deployments: [{ name: 'chat', model: 'm', type: 'global' }],
    extra: { shedding: { maxInFlight: 5, retryAfterS: 2 } },
  });
  t.after(() => s.close());
  await waitFor('normal mode', async () => deploymentOf(await s.router.capacity(), 'chat').mode === 'normal');

  const slow = Array.from({ length: 5 }, () => chat(s.router.url, 'chat'));
  await waitFor('5 requests at the backend', () => s.fleet.region('r1').inFlight() === 5);

  const shed = await spread(2000, 50, () => chat(s.router.url, 'chat'));
  assert.equal(shed.byStatus[429], 2000, 'every request over the limit is shed');
  // The first burst opened the client's and the router's keep-alive connections; a
  // second, twice as large burst must leave the heap where it was.
  const heapBefore = settledHeap();
  const more = await spread(4000, 50, () => chat(s.router.url, 'chat'));
  assert.equal(more.byStatus[429], 4000);
  assert.equal(s.fleet.region('r1').stats.received, 5, 'no upstream request was opened for them');
  assert.equal(s.fleet.region('r1').inFlight(), 5, 'they were answered while the slow ones still ran, not queued behind them');
  // Measured while the 5 slow requests are still in flight: anything queued for them
  // would still be held (4,000 requests' state would be tens of MiB).
  const growth = settledHeap() - heapBefore;
  t.diagnostic(`heap growth over 4,000 more shed requests: ${(growth / 1024).toFixed(0)} KiB`);
  assert.ok(growth < 1024 * 1024, `heap grew ${(growth / 1024 / 1024).toFixed(1)} MiB`);
  const one = await chat(s.router.url, 'chat');
  assert.equal(one.headers.get('retry-after'), '2');
  assert.equal((JSON.parse(one.body) as { error: { code: string } }).error.code, 'Overloaded');

  const done = await Promise.all(slow);
  assert.deepEqual(done.map((r) => r.status), [200, 200, 200, 200, 200]);
  assert.match(await s.router.metrics(), /switchyard_shed_requests_total\{scope="router"\} 6001/);
});

test('a backend at shedding.maxInFlightPerBackend sends the request to another region, else sheds', async (t) => {
  const s = await startFleetAndRouter({
    regions: [{ region: 'r1', capacity: 1000, ttftMs: 1500 }, { region: 'r2', capacity: 1000, ttftMs: 1500 }],
    zones: { z: ['r1', 'r2'] },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
    extra: { shedding: { maxInFlightPerBackend: 2 } },
  });
  t.after(() => s.close());
  await waitFor('normal mode', async () => deploymentOf(await s.router.capacity(), 'chat').mode === 'normal');
  const all = Array.from({ length: 10 }, () => chat(s.router.url, 'chat'));
  const results = await Promise.all(all);
  const ok = results.filter((r) => r.status === 200);
  assert.equal(ok.length, 4, 'two per backend');
  assert.equal(results.filter((r) => r.status === 429).length, 6);
  assert.equal(s.fleet.region('r1').stats.received, 2);
  assert.equal(s.fleet.region('r2').stats.received, 2);
  assert.match(await s.router.metrics(), /switchyard_shed_requests_total\{scope="backend"\} 6/);
});
