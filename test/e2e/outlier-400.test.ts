import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chat, spread, startFleetAndRouter } from '../helpers/fleet-harness.js';
import { deploymentOf } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

const REGIONS = [
  { region: 'r1', capacity: 1000 },
  { region: 'r2', capacity: 1000 },
  { region: 'r3', capacity: 1000 },
];

async function setup(
  t: { after: (fn: () => Promise<void>) => void },
  outlier: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) {
  const s = await startFleetAndRouter({
    regions: REGIONS,
    zones: { z: ['r1', 'r2', 'r3'] },
    models: ['m', 'm2'],
    deployments: [
      { name: 'chat', model: 'm', type: 'datazone', zone: 'z' },
      { name: 'other', model: 'm2', type: 'datazone', zone: 'z' },
    ],
    extra: { outlier: { minRequests: 10, windowMs: 10_000, ...outlier }, ...extra },
  });
  t.after(() => s.close());
  await waitFor('normal mode', async () => deploymentOf(await s.router.capacity(), 'chat').mode === 'normal');
  return s;
}

test('one region answering 400 for one model while its peers answer 200 is ejected; traffic stays in the boundary', async (t) => {
  const s = await setup(t);
  s.fleet.region('r1').setBehaviour({ failStatus: 400, failModel: 'chat' });
  const before = await spread(300, 4, () => chat(s.router.url, 'chat'));
  assert.ok((before.byStatus[400] ?? 0) > 0, 'some requests met the broken region first');

  const d = await waitFor('r1 ejected for chat', async () => {
    const dep = deploymentOf(await s.router.capacity(), 'chat');
    return dep.regions.find((r) => r.region === 'r1')?.state === 'ejected' ? dep : null;
  });
  const r1 = d.regions.find((r) => r.region === 'r1')!;
  assert.equal(r1.share, 0);
  assert.match(r1.stateReason ?? '', /400 rate 1\.00 vs 0\.00 in peer regions for model m/);
  assert.ok(r1.stateUntil !== null);
  assert.match(
    await s.router.metrics(),
    /switchyard_outlier_ejections_total\{model="m",region="r1",kind="status400"\} 1/,
  );
  assert.match(await s.router.metrics(), /switchyard_region_state\{deployment="chat",region="r1",state="ejected"\} 1/);

  const received = s.fleet.region('r1').stats.received;
  const after = await spread(200, 4, () => chat(s.router.url, 'chat'));
  assert.equal(after.byStatus[200], 200, 'every request now succeeds');
  assert.equal(after.byRegion.r1 ?? 0, 0, 'nothing goes to the ejected region');
  assert.equal(s.fleet.region('r1').stats.received, received);

  // The other model is served fine by r1 and is judged on its own.
  const otherDep = deploymentOf(await s.router.capacity(), 'other');
  assert.equal(otherDep.regions.find((r) => r.region === 'r1')!.state, 'active');
});

test('control: with 400 detection switched off the broken region keeps its traffic', async (t) => {
  const s = await setup(t, { status400: false });
  s.fleet.region('r1').setBehaviour({ failStatus: 400, failModel: 'chat' });
  const out = await spread(300, 4, () => chat(s.router.url, 'chat'));
  assert.ok((out.byRegion.r1 ?? 0) > 50, `r1 still got ${out.byRegion.r1} requests`);
  assert.equal(deploymentOf(await s.router.capacity(), 'chat').regions.find((r) => r.region === 'r1')!.state, 'active');
});

test('a client that sends invalid requests to every region ejects nothing', async (t) => {
  const s = await setup(t);
  // Valid JSON (the router refuses invalid JSON itself) that every backend refuses.
  const bad = async () => {
    const res = await fetch(`${s.router.url}/openai/deployments/chat/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"input": []}',
    });
    await res.text();
    return { status: res.status, region: res.headers.get('x-switchyard-region'), headers: res.headers, body: '' };
  };
  const out = await spread(300, 4, bad);
  assert.equal(out.byStatus[400], 300);
  for (const r of ['r1', 'r2', 'r3']) assert.ok((out.byRegion[r] ?? 0) > 30, `${r} saw the bad requests too`);
  const d = deploymentOf(await s.router.capacity(), 'chat');
  for (const r of d.regions) assert.equal(r.state, 'active', `${r.region} not ejected`);
  assert.doesNotMatch(await s.router.metrics(), /switchyard_outlier_ejections_total\{/);
});

test('the last serving region is never ejected for 400s alone', async (t) => {
  const s = await startFleetAndRouter({
    regions: [
      { region: 'solo', capacity: 1000 },
      { region: 'peer', capacity: 1000 },
    ],
    zones: { a: ['solo'], b: ['peer'] },
    deployments: [
      { name: 'one', model: 'm', type: 'regional', region: 'solo' },
      { name: 'two', model: 'm', type: 'regional', region: 'peer' },
    ],
    extra: { outlier: { minRequests: 10, maxEjectionPercent: 100 } },
  });
  t.after(() => s.close());
  await waitFor('normal mode', async () => deploymentOf(await s.router.capacity(), 'one').mode === 'normal');
  s.fleet.region('solo').setBehaviour({ failStatus: 400 });
  await spread(40, 2, () => chat(s.router.url, 'two'));
  const out = await spread(60, 2, () => chat(s.router.url, 'one'));
  assert.equal(out.byStatus[400], 60, 'the region keeps serving its only boundary');
  const one = deploymentOf(await s.router.capacity(), 'one').regions[0]!;
  assert.equal(one.state, 'active');
  assert.match(one.stateReason ?? '', /never ejected for 400s alone/);
});

test('before the broken region is ejected, its 400s are retried once in a peer region and the client gets the answer', async (t) => {
  // Ejection needs minRequests 400s; suspicion, a few: the first 400s reach the client,
  // then the region's 400s are taken for its own and retried elsewhere. A budget that
  // allows every retry: how many the default 20% allows is the retry budget's test.
  // Down-weighting off (suspectWeight 1): the region keeps its share, to count retries.
  const s = await setup(t, { minRequests: 1000, suspectWeight: 1 }, { retry: { budgetPercent: 100 } });
  s.fleet.region('r1').setBehaviour({ failStatus: 400, failModel: 'chat' });
  const result = await spread(200, 2, () => chat(s.router.url, 'chat'));
  const r1Answered400 = s.fleet.region('r1').stats.failed;
  const clientSaw400 = result.byStatus[400] ?? 0;
  t.diagnostic(`r1 answered 400 to ${r1Answered400}, clients saw ${clientSaw400}`);
  assert.ok(r1Answered400 >= 20, `r1 kept its share of traffic (not ejected): ${r1Answered400}`);
  assert.ok(clientSaw400 <= 10, `clients saw only the first 400s: ${clientSaw400} of ${r1Answered400}`);
  assert.match(await s.router.metrics(), /switchyard_retries_total\{deployment="chat",reason="status-400"\} [1-9]/);
});

test('before the broken region is ejected, it is weighted down as suspect: most of its traffic goes to its peers', async (t) => {
  const s = await setup(t, { minRequests: 1000 });
  s.fleet.region('r1').setBehaviour({ failStatus: 400, failModel: 'chat' });
  const result = await spread(300, 2, () => chat(s.router.url, 'chat'));
  const r1 = s.fleet.region('r1').stats.failed;
  t.diagnostic(`r1 answered 400 to ${r1} of 300 (its share: about 100)`);
  // Suspect after its first few 400s, it keeps a tenth of its weight: about 300 x 1/21
  // (14) once suspect, plus the first few. Its full share would be about 100.
  assert.ok(r1 >= 3 && r1 <= 45, `r1 got ${r1} requests`);
  assert.ok((result.byStatus[400] ?? 0) <= 10, `clients saw ${result.byStatus[400]} 400s`);
  const r = deploymentOf(await s.router.capacity(), 'chat').regions.find((x) => x.region === 'r1');
  assert.equal(r?.state, 'suspect', 'not ejected: too few requests to judge it');
  assert.match(r?.stateReason ?? '', /400 rate 1\.00 vs 0\.00 in peer regions/);
});

test('control: a client whose requests every region refuses with 400 is not retried (the 400 is its own)', async (t) => {
  const s = await setup(t, { minRequests: 1000 });
  for (const r of ['r1', 'r2', 'r3']) s.fleet.region(r).setBehaviour({ failStatus: 400, failModel: 'chat' });
  const result = await spread(100, 2, () => chat(s.router.url, 'chat'));
  assert.equal(result.byStatus[400], 100);
  const sent = ['r1', 'r2', 'r3'].reduce((n, r) => n + s.fleet.region(r).stats.received, 0);
  assert.equal(sent, 100, 'one attempt per request');
  assert.doesNotMatch(await s.router.metrics(), /reason="status-400"/);
});
