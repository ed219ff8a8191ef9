import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startSimFleet, type SimFleet } from '../../src/sim/index.js';
import { postJson, request, type HttpResult } from './client.js';

let fleet: SimFleet;

interface RegionSummary {
  url: string;
  listening: boolean;
  capacity: number;
  inFlight: number;
  background: number;
  telemetry: string;
}

before(async () => {
  fleet = await startSimFleet({
    regions: [
      { region: 'eastus2', capacity: 10, backgroundLoad: 1 },
      { region: 'swedencentral', capacity: 5 },
    ],
    models: ['gpt-5.2', 'gpt-4o'],
  });
});
after(() => fleet.close());

function post(path: string): Promise<HttpResult> {
  return request(`${fleet.controlUrl}${path}`, { method: 'POST' });
}

function errorCode(res: HttpResult): string {
  return (JSON.parse(res.body) as { error: { code: string } }).error.code;
}

test('GET /control summarises regions, telemetry and models', async () => {
  assert.match(fleet.controlUrl, /^http:\/\/127\.0\.0\.1:\d+\/control$/);
  const res = await request(fleet.controlUrl);
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const summary = JSON.parse(res.body) as {
    models: string[];
    telemetry: { url: string; fail: string | null; polls: number };
    regions: Array<RegionSummary & { region: string; stats: { received: number } }>;
  };
  assert.deepEqual(summary.models, ['gpt-5.2', 'gpt-4o']);
  assert.equal(summary.telemetry.url, fleet.telemetryUrl);
  assert.equal(summary.telemetry.fail, null);
  const east = summary.regions.find((r) => r.region === 'eastus2');
  assert.ok(east);
  const { url, listening, capacity, inFlight, background, telemetry } = east;
  assert.deepEqual<RegionSummary>(
    { url, listening, capacity, inFlight, background, telemetry },
    { url: fleet.region('eastus2').url, listening: true, capacity: 10, inFlight: 0, background: 1, telemetry: 'live' },
  );
  assert.equal(east?.stats.received, 0);
});

test('telemetry drop, freeze and restore per region', async () => {
  for (const action of ['drop', 'freeze', 'restore'] as const) {
    const res = await post(`/regions/swedencentral/telemetry/${action}`);
    assert.equal(res.status, 200, res.body);
    const expected = { drop: 'dropped', freeze: 'frozen', restore: 'live' }[action];
    assert.equal(fleet.telemetry.regionMode('swedencentral'), expected);
    assert.equal((JSON.parse(res.body) as { region: { telemetry: string } }).region.telemetry, expected);
  }
  assert.equal((await post('/regions/swedencentral/telemetry/explode')).status, 400);
});

test('telemetry endpoint fail modes and off', async () => {
  for (const mode of ['status500', 'malformed', 'hang'] as const) {
    assert.equal((await post(`/telemetry/fail/${mode}`)).status, 200);
    assert.equal(fleet.telemetry.failMode(), mode);
  }
  assert.equal((await post('/telemetry/fail/off')).status, 200);
  assert.equal(fleet.telemetry.failMode(), null);
  const bad = await post('/telemetry/fail/sometimes');
  assert.equal(bad.status, 400);
  assert.match(bad.body, /status500, malformed, hang or off/);
});

test('region capacity, outage and injected failures', async () => {
  assert.equal((await post('/regions/swedencentral/capacity/7')).status, 200);
  assert.equal(fleet.region('swedencentral').capacity(), 7);
  const bad = await post('/regions/swedencentral/capacity/-3');
  assert.equal(bad.status, 400);
  assert.equal(errorCode(bad), 'bad_request');

  assert.equal((await post('/regions/swedencentral/stop')).status, 200);
  assert.equal(fleet.region('swedencentral').isListening(), false);
  assert.equal((await post('/regions/swedencentral/start')).status, 200);
  assert.equal(fleet.region('swedencentral').isListening(), true);

  assert.equal((await post('/regions/eastus2/fail/400?model=gpt-4o')).status, 200);
  const chat = `${fleet.region('eastus2').url}/v1/chat/completions`;
  assert.equal((await postJson(chat, { model: 'gpt-4o' })).status, 400);
  assert.equal((await postJson(chat, { model: 'gpt-5.2' })).status, 200);
  assert.equal((await post('/regions/eastus2/fail/503?retryAfter=9')).status, 200);
  assert.deepEqual(fleet.region('eastus2').behaviour(), {
    failStatus: 503,
    failModel: null,
    retryAfterSeconds: 9,
    failShares: null,
  });
  assert.equal((await post('/regions/eastus2/fail/off')).status, 200);
  assert.equal((await postJson(chat, { model: 'gpt-4o' })).status, 200);
  assert.equal((await post('/regions/eastus2/fail/200')).status, 400);
});

test('a fraction of a model failing, and the background load, over control', async () => {
  assert.equal((await post('/regions/eastus2/fail/400?model=gpt-4o&fraction=0.5')).status, 200);
  assert.equal((await post('/regions/eastus2/fail/429?model=gpt-4o&fraction=0.25')).status, 200);
  assert.deepEqual(fleet.region('eastus2').behaviour().failShares, { 400: 0.5, 429: 0.25 });
  const over = await post('/regions/eastus2/fail/503?model=gpt-4o&fraction=0.5');
  assert.equal(over.status, 400, over.body);
  assert.match(over.body, /sum/);
  assert.equal((await post('/regions/eastus2/fail/400?fraction=1.5')).status, 400);
  assert.equal((await post('/regions/eastus2/fail/off')).status, 200);
  assert.equal(fleet.region('eastus2').behaviour().failShares, null);

  const res = await post('/regions/swedencentral/background/2.5');
  assert.equal(res.status, 200);
  assert.equal((JSON.parse(res.body) as { region: { background: number } }).region.background, 2.5);
  assert.equal((await post('/regions/swedencentral/background/-1')).status, 400);
  assert.equal((await post('/regions/swedencentral/background/0')).status, 200);
});

test('unknown paths and regions are 404, wrong methods 405', async () => {
  const unknownRegion = await post('/regions/mars/stop');
  assert.equal(unknownRegion.status, 404);
  assert.equal(errorCode(unknownRegion), 'unknown_region');
  assert.match(unknownRegion.body, /known: eastus2, swedencentral/);
  assert.equal(errorCode(await post('/regions/eastus2/reboot')), 'not_found');
  assert.equal((await post('/nothing')).status, 404);
  assert.equal((await request(`${fleet.telemetryUrl.replace('/telemetry', '/elsewhere')}`)).status, 404);
  const wrongMethod = await request(`${fleet.controlUrl}/regions/eastus2/stop`);
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.allow, 'POST');
});
