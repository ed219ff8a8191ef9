// The simulator reports its load as vLLM does: Prometheus metrics on each region's
// /metrics, and ORCA endpoint-load-metrics on answers whose request asks for them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../helpers/wait.js';
import { openPost, postJson, request } from './client.js';
import { fleetFor } from './fixture.js';

test("GET /metrics: vLLM's gauges per model, counting other tenants' load and requests in flight", async (t) => {
  const fleet = await fleetFor(t, {
    regions: [{ region: 'r1', capacity: 10, backgroundLoad: 3, ttftMs: 10_000 }],
    models: ['m', 'mini'],
  });
  const url = fleet.region('r1').url;
  const held = await openPost(`${url}/v1/chat/completions`, { model: 'm', stream: true });
  t.after(() => held.req.destroy());
  await waitFor('in flight', () => fleet.region('r1').inFlight() === 1);
  const res = await request(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  for (const model of ['m', 'mini']) {
    assert.match(res.body, new RegExp(`^vllm:num_requests_running\\{model_name="${model}"\\} 4$`, 'm'));
    assert.match(res.body, new RegExp(`^vllm:num_requests_waiting\\{model_name="${model}"\\} 0$`, 'm'));
    assert.match(res.body, new RegExp(`^vllm:kv_cache_usage_perc\\{model_name="${model}"\\} 0\\.4$`, 'm'));
  }
  assert.match(res.body, /^# TYPE vllm:kv_cache_usage_perc gauge$/m);
  assert.doesNotMatch(res.body, /region=/, 'the region comes from the scrape config, as with vLLM');
});

test('ORCA on answers only when asked: TEXT or JSON, the answered request counted', async (t) => {
  const fleet = await fleetFor(t, { regions: [{ region: 'r1', capacity: 4, backgroundLoad: 1 }], models: ['m'] });
  const chat = `${fleet.region('r1').url}/v1/chat/completions`;
  const plain = await postJson(chat, { model: 'm' });
  assert.equal(plain.headers['endpoint-load-metrics'], undefined);
  const text = await postJson(chat, { model: 'm' }, { 'endpoint-load-metrics-format': 'TEXT' });
  assert.equal(
    text.headers['endpoint-load-metrics'],
    'TEXT named_metrics.kv_cache_usage_perc=0.5, named_metrics.num_requests_waiting=0',
  );
  const json = await postJson(chat, { model: 'm', stream: true }, { 'endpoint-load-metrics-format': 'json' });
  assert.equal(
    json.headers['endpoint-load-metrics'],
    'JSON {"named_metrics":{"kv_cache_usage_perc":0.5,"num_requests_waiting":0}}',
  );
});

test('a region at capacity answers 429 with a full ORCA report', async (t) => {
  const fleet = await fleetFor(t, { regions: [{ region: 'r1', capacity: 2, backgroundLoad: 2 }], models: ['m'] });
  const res = await postJson(
    `${fleet.region('r1').url}/v1/chat/completions`,
    { model: 'm' },
    { 'endpoint-load-metrics-format': 'text' },
  );
  assert.equal(res.status, 429);
  assert.equal(
    res.headers['endpoint-load-metrics'],
    'TEXT named_metrics.kv_cache_usage_perc=1, named_metrics.num_requests_waiting=0',
  );
});
