// Token-aware load through the real router and the simulated fleet, whose capacity is
// in tokens. A request's estimate is charged to the region it goes to; a region whose
// free room is below a request's estimate is passed over while another has room for
// it; with none, the request waits for room; a per-minute charge is corrected by the
// usage the answer reports and refunded when the region refuses it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SimRegionOptions } from '../../src/sim/index.js';
import { chat, spread, startFleetAndRouter } from '../helpers/fleet-harness.js';
import { type CapacityDoc, deploymentOf } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

// About 6,300 tokens of prompt (24,000 bytes of ASCII), 100 of output.
const LARGE = { messages: [{ role: 'user', content: 'word '.repeat(4800) }], max_tokens: 100 };
// About 25,000 tokens: more than any region's room.
const HUGE = { messages: [{ role: 'user', content: 'word '.repeat(20_000) }], max_tokens: 100 };

// Rooms of 5,000 / 20,000 / 5,000 tokens in flight: shares 1/6, 2/3, 1/6. A large
// request fits only in t2.
const KV_REGIONS: SimRegionOptions[] = [
  { region: 't1', capacity: 5000, capacityUnit: 'concurrent-tokens', ttftMs: 5 },
  { region: 't2', capacity: 20_000, capacityUnit: 'concurrent-tokens', ttftMs: 5 },
  { region: 't3', capacity: 5000, capacityUnit: 'concurrent-tokens', ttftMs: 5 },
];

async function kvFleet(capacityUnit: string) {
  return startFleetAndRouter({
    regions: KV_REGIONS,
    zones: { t: ['t1', 't2', 't3'] },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 't', capacityUnit }],
    // A stalled poll on a busy machine must not turn the plan conservative mid-run.
    telemetry: { staleAfterMs: 10_000, timeoutMs: 2000 },
    extra: { tokens: { defaultMaxOutputTokens: 16 } },
  });
}

async function normal(doc: () => Promise<CapacityDoc>) {
  return waitFor('normal mode with full coverage', async () => {
    const d = deploymentOf(await doc(), 'chat');
    return d.mode === 'normal' && d.coverage === 1 ? d : null;
  });
}

test('concurrent tokens: large requests go only where they fit, small ones follow the shares, too large ones wait', async (t) => {
  const setup = await kvFleet('concurrent-tokens');
  t.after(() => setup.close());
  const dep = await normal(() => setup.router.capacity());
  assert.equal(dep.capacityUnit, 'concurrent-tokens');

  const small = await spread(300, 4, () => chat(setup.router.url, 'chat'));
  assert.equal(small.byStatus[200], 300, JSON.stringify(small));
  for (const r of ['t1', 't2', 't3']) assert.ok((small.byRegion[r] ?? 0) > 10, `small requests reach ${r}`);

  const large = await spread(40, 2, () => chat(setup.router.url, 'chat', 'azure', LARGE));
  assert.deepEqual(large.byRegion, { t2: 40 }, 'every large request went to the one region with room for it');
  for (const r of ['t1', 't3']) assert.equal(setup.fleet.region(r).stats.rejectedFull, 0, `${r} refused nothing`);

  const res = await fetch(`${setup.router.url}/openai/deployments/chat/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-switchyard-max-wait-ms': '300' },
    body: JSON.stringify(HUGE),
  });
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(res.status, 429);
  assert.equal(body.error.code, 'QueueTimeout', body.error.message);
  for (const r of ['t1', 't2', 't3']) assert.equal(setup.fleet.region(r).stats.rejectedFull, 0, `${r}: never sent`);
});

test('control: counting requests, large requests are spread by the shares and the small regions refuse them', async (t) => {
  const setup = await kvFleet('requests');
  t.after(() => setup.close());
  await normal(() => setup.router.capacity());
  await spread(40, 2, () => chat(setup.router.url, 'chat', 'azure', LARGE));
  const refused = setup.fleet.region('t1').stats.rejectedFull + setup.fleet.region('t3').stats.rejectedFull;
  // Each of 40 requests draws t1 or t3 with probability 1/3: none at all has odds 1e-7.
  assert.ok(refused > 0, 'the small regions were sent requests they had no room for');
});

test('tokens per minute: a charge is corrected by the reported usage, and refunded when the region refuses', async (t) => {
  const setup = await startFleetAndRouter({
    regions: [{ region: 'm1', capacity: 600_000, capacityUnit: 'tokens-per-minute' }],
    zones: { z: ['m1'] },
    deployments: [{ name: 'chat', model: 'm', type: 'regional', region: 'm1', capacityUnit: 'tokens-per-minute' }],
    telemetry: { staleAfterMs: 10_000, timeoutMs: 2000 },
    // No waiting: a refused request is answered, not sent again.
    extra: { admission: { maxWaitMs: 0 }, retry: { enabled: false } },
  });
  t.after(() => setup.close());
  await normal(() => setup.router.capacity());
  /** This router's load in m1 as the newest plan weighs it: room - headroom. */
  const ownLoad = async () => {
    const r = deploymentOf(await setup.router.capacity(), 'chat').regions.find((x) => x.region === 'm1');
    return r?.room == null || r.headroom == null ? null : r.room - r.headroom;
  };

  const served = await chat(setup.router.url, 'chat', 'azure', LARGE);
  assert.equal(served.status, 200);
  const usage = (JSON.parse(served.body) as { usage: { prompt_tokens: number; completion_tokens: number } }).usage;
  const used = usage.prompt_tokens + usage.completion_tokens;
  // The estimate differs from what the service counted; the books end with the latter.
  await waitFor(`own load ${used} (the usage reported)`, async () => (await ownLoad()) === used);

  setup.fleet.region('m1').setBehaviour({ failStatus: 429 });
  const refused = await chat(setup.router.url, 'chat', 'azure', LARGE);
  assert.equal(refused.status, 429);
  await waitFor('the refused request refunded', async () => (await ownLoad()) === used, 5000);
  setup.fleet.region('m1').setBehaviour({ failStatus: null });
});

test('quota windows: a request goes where its configured window still has room for its estimate', async (t) => {
  // 60,000 tokens per minute each: a 10 s window admits 10,000, one large request's worth.
  const regions: SimRegionOptions[] = ['q1', 'q2'].map((region) => ({
    region,
    capacity: 60_000,
    capacityUnit: 'tokens-per-minute',
  }));
  const setup = await startFleetAndRouter({
    regions,
    zones: { q: ['q1', 'q2'] },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'q' }],
    telemetry: { staleAfterMs: 10_000, timeoutMs: 2000 },
    extra: {
      quota: {
        limits: ['q1', 'q2'].map((region) => ({ model: 'm', region, requestsPerMinute: 0, tokensPerMinute: 60_000 })),
      },
    },
  });
  t.after(() => setup.close());
  await normal(() => setup.router.capacity());
  const first = await chat(setup.router.url, 'chat', 'azure', LARGE);
  const second = await chat(setup.router.url, 'chat', 'azure', LARGE);
  assert.deepEqual([first.status, second.status], [200, 200]);
  // Within one window the second goes to the other region; across a window's turn
  // either region has room. Neither is refused.
  for (const r of ['q1', 'q2']) assert.equal(setup.fleet.region(r).stats.rejectedQuota, 0, `${r} refused nothing`);
});
