import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SimFleet } from '../../src/sim/index.js';
import { fleetFor } from './fixture.js';
import { openPost, postJson, request } from './client.js';
import { waitFor } from '../helpers/wait.js';

function urlOf(fleet: SimFleet, region: string): string {
  return fleet.region(region).url;
}

test('OpenAI path answers a chat.completion with the region header', async (t) => {
  const fleet = await fleetFor(t, { regions: [{ region: 'eastus2', capacity: 4 }], models: ['gpt-5.2'] });
  const res = await postJson(`${urlOf(fleet, 'eastus2')}/v1/chat/completions`, { model: 'gpt-5.2', max_tokens: 3 });
  assert.equal(res.status, 200);
  assert.equal(res.headers['x-sim-region'], 'eastus2');
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = JSON.parse(res.body) as {
    object: string;
    model: string;
    choices: Array<{ message: { role: string; content: string }; finish_reason: string }>;
    usage: { completion_tokens: number; total_tokens: number };
  };
  assert.equal(body.object, 'chat.completion');
  assert.equal(body.model, 'gpt-5.2');
  assert.equal(body.choices[0]?.message.role, 'assistant');
  assert.equal(body.choices[0]?.message.content.trim().split(' ').length, 3);
  assert.equal(body.usage.completion_tokens, 3);
  assert.deepEqual(fleet.region('eastus2').stats, {
    received: 1,
    served: 1,
    rejected429: 0,
    aborted: 0,
    status400: 0,
    failed: 0,
    rejectedFull: 0,
    rejectedQuota: 0,
    receivedByDeployment: { 'gpt-5.2': 1 },
  });
  assert.equal(fleet.region('eastus2').inFlight(), 0);
});

test('Azure path takes the model from the deployment name and records the request as received', async (t) => {
  const fleet = await fleetFor(t, {
    regions: [
      { region: 'eastus2', capacity: 4 },
      { region: 'swedencentral', capacity: 4 },
    ],
    models: ['gpt-5.2'],
  });
  const path = '/openai/deployments/chat-eu/chat/completions?api-version=2024-10-21';
  const sent = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] });
  const res = await request(`${urlOf(fleet, 'swedencentral')}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-key': 'k1' },
    body: sent,
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers['x-sim-region'], 'swedencentral');
  assert.equal((JSON.parse(res.body) as { model: string }).model, 'chat-eu');

  const last = fleet.region('swedencentral').lastRequest();
  assert.ok(last);
  assert.equal(last.method, 'POST');
  assert.equal(last.url, path);
  assert.equal(last.headers['api-key'], 'k1');
  assert.equal(last.body, sent);
  assert.equal(fleet.region('eastus2').lastRequest(), null);
});

test('healthz answers 200 and unknown paths 404', async (t) => {
  const fleet = await fleetFor(t, { regions: [{ region: 'a', capacity: 1 }], models: ['m'] });
  assert.equal((await request(`${urlOf(fleet, 'a')}/healthz`)).status, 200);
  const missing = await request(`${urlOf(fleet, 'a')}/v1/audio/speech`, { method: 'POST', body: '{}' });
  assert.equal(missing.status, 404);
  assert.equal((JSON.parse(missing.body) as { error: { code: string } }).error.code, 'not_found');
});

test('a body that is not JSON gets 400 invalid_json, counted in status400', async (t) => {
  const fleet = await fleetFor(t, { regions: [{ region: 'a', capacity: 1 }], models: ['m'] });
  const res = await request(`${urlOf(fleet, 'a')}/v1/chat/completions`, { method: 'POST', body: '{"model":' });
  assert.equal(res.status, 400);
  const err = JSON.parse(res.body) as { error: { code: string; message: string } };
  assert.equal(err.error.code, 'invalid_json');
  assert.ok(err.error.message.length > 0);
  assert.equal(fleet.region('a').stats.status400, 1);
  assert.equal(fleet.region('a').lastRequest()?.body, '{"model":');
});

test('responseBytes pads non-streaming answers to that size', async (t) => {
  const fleet = await fleetFor(t, { regions: [{ region: 'a', capacity: 1 }], models: ['m'], responseBytes: 1024 });
  const res = await postJson(`${urlOf(fleet, 'a')}/v1/chat/completions`, { model: 'm' });
  assert.equal(res.status, 200);
  assert.equal(Buffer.byteLength(res.body), 1024);
  assert.equal((JSON.parse(res.body) as { object: string }).object, 'chat.completion');
});

test('a request over capacity gets 429 with Retry-After, and the slot frees when the first ends', async (t) => {
  const fleet = await fleetFor(t, { regions: [{ region: 'a', capacity: 1, ttftMs: 60_000 }], models: ['m'] });
  const region = fleet.region('a');
  const held = await openPost(`${region.url}/v1/chat/completions`, { model: 'm', stream: true });
  await waitFor('first request admitted', () => region.inFlight() === 1);

  const rejected = await postJson(`${region.url}/v1/chat/completions`, { model: 'm' });
  assert.equal(rejected.status, 429);
  assert.equal(rejected.headers['retry-after'], '1');
  assert.equal((JSON.parse(rejected.body) as { error: { code: string } }).error.code, 'rate_limited');
  assert.equal(region.stats.rejected429, 1);
  assert.equal(region.stats.rejectedFull, 1);

  held.req.destroy();
  await waitFor('slot released', () => region.inFlight() === 0);
  region.setCapacity(0);
  assert.equal((await postJson(`${region.url}/v1/chat/completions`, { model: 'm' })).status, 429);
});

test('background load counts against capacity', async (t) => {
  const fleet = await fleetFor(t, {
    regions: [
      { region: 'busy', capacity: 3, backgroundLoad: 3 },
      { region: 'room', capacity: 3, backgroundLoad: 2 },
    ],
    models: ['m'],
  });
  assert.equal((await postJson(`${urlOf(fleet, 'busy')}/v1/chat/completions`, { model: 'm' })).status, 429);
  assert.equal((await postJson(`${urlOf(fleet, 'room')}/v1/chat/completions`, { model: 'm' })).status, 200);
});

test('failStatus for one model fails only that model, with Retry-After on 503; null restores', async (t) => {
  const fleet = await fleetFor(t, { regions: [{ region: 'a', capacity: 5 }], models: ['bad', 'good'] });
  const region = fleet.region('a');
  const chat = `${region.url}/v1/chat/completions`;

  region.setBehaviour({ failStatus: 400, failModel: 'bad' });
  const failed = await postJson(chat, { model: 'bad' });
  assert.equal(failed.status, 400);
  assert.equal(failed.headers['x-sim-region'], 'a');
  assert.equal((JSON.parse(failed.body) as { error: { code: string } }).error.code, 'sim_injected_failure');
  assert.equal((await postJson(chat, { model: 'good' })).status, 200);
  assert.equal(region.stats.status400, 1);
  assert.equal(region.stats.failed, 1);

  region.setBehaviour({ failStatus: 503, retryAfterSeconds: 7 });
  const unavailable = await postJson(chat, { model: 'bad' });
  assert.equal(unavailable.status, 503);
  assert.equal(unavailable.headers['retry-after'], '7');

  region.setBehaviour({ failStatus: 500, failModel: null });
  assert.equal((await postJson(chat, { model: 'good' })).status, 500);

  region.setBehaviour({ failStatus: null });
  assert.equal((await postJson(chat, { model: 'bad' })).status, 200);
  assert.throws(() => region.setBehaviour({ failStatus: 200 }), /failStatus/);
});

test('failShares fails that fraction of the model, spread evenly, and counts injected 429s apart from full ones', async (t) => {
  const fleet = await fleetFor(t, {
    regions: [{ region: 'a', capacity: 100 }],
    models: ['gpt-5.2', 'mini'],
    deployments: { 'chat-eu': 'gpt-5.2', 'chat-us': 'gpt-5.2', 'mini-eu': 'mini' },
  });
  const region = fleet.region('a');
  region.setBehaviour({ failModel: 'gpt-5.2', failShares: { 400: 0.6, 429: 0.1 }, retryAfterSeconds: 2 });
  assert.deepEqual(region.behaviour().failShares, { 400: 0.6, 429: 0.1 });
  const azure = (name: string): string => `${region.url}/openai/deployments/${name}/chat/completions`;
  const statuses: number[] = [];
  for (let i = 0; i < 50; i++) {
    const res = await postJson(azure(i % 2 === 0 ? 'chat-eu' : 'chat-us'), { max_tokens: 1 });
    if (res.status === 429) assert.equal(res.headers['retry-after'], '2');
    statuses.push(res.status);
  }
  const count = (s: number): number => statuses.filter((x) => x === s).length;
  assert.equal(count(400), 30, 'six of every ten, through both deployments of the model');
  assert.equal(count(429), 5);
  assert.equal(count(200), 15);
  // Evenly spread: no ten requests in a row without a served one.
  for (let i = 0; i + 10 <= statuses.length; i++) assert.ok(statuses.slice(i, i + 10).includes(200), `at ${i}`);
  assert.equal((await postJson(azure('mini-eu'), {})).status, 200, 'another model of the region is fine');
  assert.equal(region.stats.rejected429, 5);
  assert.equal(region.stats.rejectedFull, 0);
  assert.equal(region.stats.failed, 35);
  assert.deepEqual(region.stats.receivedByDeployment, { 'chat-eu': 25, 'chat-us': 25, 'mini-eu': 1 });

  assert.throws(() => region.setBehaviour({ failShares: { 400: 0.7, 429: 0.4 } }), /sum/);
  assert.throws(() => region.setBehaviour({ failShares: { 200: 0.5 } }), /400-599/);
  assert.deepEqual(region.behaviour().failShares, { 400: 0.6, 429: 0.1 }, 'a bad call changes nothing');
  region.setBehaviour({ failShares: null });
  assert.equal((await postJson(azure('chat-eu'), {})).status, 200);
});

test('setBackground replaces the background load (a wave included)', async (t) => {
  const fleet = await fleetFor(t, {
    regions: [{ region: 'a', capacity: 3, backgroundLoad: 1, backgroundWavePeriodMs: 1000 }],
    models: ['m'],
  });
  const region = fleet.region('a');
  region.setBackground(3);
  assert.equal(region.background(), 3);
  assert.equal((await postJson(`${region.url}/v1/chat/completions`, { model: 'm' })).status, 429);
  region.setBackground(0);
  assert.equal((await postJson(`${region.url}/v1/chat/completions`, { model: 'm' })).status, 200);
  assert.throws(() => region.setBackground(-1), /background/);
});
