// A region's capacity counted in tokens: a KV cache (tokens in flight) or a
// tokens-per-minute quota. Admission, the JSON report, /metrics and ORCA all speak the
// region's unit; the requests unit is covered by the other sim tests.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSimFleet } from '../../src/sim/index.js';
import { waitFor } from '../helpers/wait.js';
import { openPost, postJson, request } from './client.js';
import { fleetFor } from './fixture.js';

/** A chat body and what the simulator charges for it: body bytes / 4 (rounded up) plus max_tokens. */
function sized(maxTokens: number, words: number): { body: object; tokens: number } {
  const body = {
    model: 'm',
    stream: true,
    max_tokens: maxTokens,
    messages: [{ role: 'user', content: 'w '.repeat(words) }],
  };
  return { body, tokens: Math.ceil(JSON.stringify(body).length / 4) + maxTokens };
}

/** A body of a short prompt whose charge is exactly `tokens`. */
function sizedTo(tokens: number): { body: object; tokens: number } {
  for (let words = 4; words < 8; words++) {
    for (let maxTokens = 1; maxTokens < tokens; maxTokens++) {
      const s = sized(maxTokens, words);
      if (s.tokens === tokens) return s;
    }
  }
  throw new Error(`no body of exactly ${tokens} tokens`);
}

interface Report {
  region: string;
  model: string;
  capacity: number;
  inUse: number;
}

async function reportOf(telemetryUrl: string, region: string): Promise<Report> {
  const { reports } = JSON.parse((await request(telemetryUrl)).body) as { reports: Report[] };
  const report = reports.find((r) => r.region === region);
  assert.ok(report, `a report for ${region}`);
  return report;
}

test('concurrent tokens: a request holds its prompt and max_tokens until its answer ends', async (t) => {
  const fleet = await fleetFor(t, {
    capacityUnit: 'concurrent-tokens',
    regions: [{ region: 'kv', capacity: 1000, backgroundLoad: 100, ttftMs: 60_000 }],
    models: ['m'],
  });
  const region = fleet.region('kv');
  assert.equal(region.capacityUnit, 'concurrent-tokens');
  const chat = `${region.url}/v1/chat/completions`;
  const big = sized(500, 40);
  const held = await openPost(chat, big.body);
  t.after(() => held.req.destroy());
  assert.equal(held.res.statusCode, 200);
  assert.equal(region.inFlight(), 1);
  assert.equal(region.inUse(), 100 + big.tokens);
  const { capacity, inUse } = await reportOf(fleet.telemetryUrl, 'kv');
  assert.deepEqual({ capacity, inUse }, { capacity: 1000, inUse: 100 + big.tokens });

  // Free room is 1000 - 100 - held: one token more than that is refused, exactly that fits.
  const room = 1000 - 100 - big.tokens;
  const tooBig = sizedTo(room + 1);
  const refused = await postJson(chat, { ...tooBig.body, stream: false }, { 'endpoint-load-metrics-format': 'text' });
  assert.equal(refused.status, 429);
  assert.equal(refused.headers['retry-after'], '1');
  assert.match(refused.body, new RegExp(`no room for ${room + 1} tokens`));
  const usage = Math.round(((100 + big.tokens) / 1000) * 10_000) / 10_000;
  assert.equal(
    refused.headers['endpoint-load-metrics'],
    `TEXT named_metrics.kv_cache_usage_perc=${usage}, named_metrics.num_requests_waiting=0`,
  );
  assert.equal(region.stats.rejectedFull, 1);

  const metrics = (await request(`${region.url}/metrics`)).body;
  assert.match(metrics, /^vllm:num_requests_running\{model_name="m"\} 1$/m, 'still a count of requests');
  assert.match(metrics, new RegExp(`^vllm:kv_cache_usage_perc\\{model_name="m"\\} ${usage}$`, 'm'));
  assert.match(metrics, /^sim_capacity\{model_name="m",unit="concurrent-tokens"\} 1000$/m);
  assert.match(
    metrics,
    new RegExp(`^sim_in_use\\{model_name="m",unit="concurrent-tokens"\\} ${100 + big.tokens}$`, 'm'),
  );

  const fits = sizedTo(room);
  const second = await openPost(chat, fits.body);
  t.after(() => second.req.destroy());
  assert.equal(second.res.statusCode, 200, 'a request that exactly fills the room is admitted');
  assert.equal(region.inUse(), 1000);

  held.req.destroy();
  await waitFor('the first request releases its tokens', () => region.inUse() === 100 + fits.tokens);
  assert.equal((await reportOf(fleet.telemetryUrl, 'kv')).inUse, 100 + fits.tokens);
});

test("tokens per minute: admitted by the quota's 10 s window, reported over the trailing minute", async (t) => {
  let now = 1_000_000_020_000; // a multiple of 10 s: windows turn on the clock's multiples
  const fleet = await fleetFor(t, {
    now: () => now,
    regions: [{ region: 'tpm', capacityUnit: 'tokens-per-minute', capacity: 6000 }],
    models: ['m'],
  });
  const region = fleet.region('tpm');
  const chat = `${region.url}/v1/chat/completions`;
  // A 10 s window admits 6000 / 6 = 1000 tokens.
  const request600 = sized(400, 380);
  assert.ok(request600.tokens > 500 && request600.tokens <= 1000, `${request600.tokens} tokens`);
  const body = { ...request600.body, stream: false };

  const first = await postJson(chat, body);
  assert.equal(first.status, 200);
  assert.equal(first.headers['x-ratelimit-limit-tokens'], '6000');
  assert.equal(first.headers['x-ratelimit-remaining-tokens'], String((1000 - request600.tokens) * 6));
  assert.equal(region.inFlight(), 0, 'an answered request holds nothing');
  assert.deepEqual(
    { capacity: region.capacity(), inUse: region.inUse() },
    { capacity: 6000, inUse: request600.tokens },
  );

  now += 3_000;
  const refused = await postJson(chat, body);
  assert.equal(refused.status, 429, 'the window is spent though the minute is mostly free');
  assert.equal(refused.headers['retry-after-ms'], '7000');
  assert.equal(region.stats.rejectedQuota, 1);
  assert.equal(region.stats.rejectedFull, 0);
  const report = await reportOf(fleet.telemetryUrl, 'tpm');
  assert.deepEqual({ capacity: report.capacity, inUse: report.inUse }, { capacity: 6000, inUse: request600.tokens });

  now += 7_000; // the window turns; the minute still holds the first charge
  assert.equal((await postJson(chat, body)).status, 200);
  assert.equal(region.inUse(), 2 * request600.tokens);
  const metrics = (await request(`${region.url}/metrics`)).body;
  assert.match(metrics, /^sim_capacity\{model_name="m",unit="tokens-per-minute"\} 6000$/m);
  assert.match(
    metrics,
    new RegExp(`^sim_in_use\\{model_name="m",unit="tokens-per-minute"\\} ${2 * request600.tokens}$`, 'm'),
  );

  now += 55_000; // the first charge (65 s ago) left the minute, the second (55 s ago) has not
  assert.equal(region.inUse(), request600.tokens);
  now += 5_000;
  assert.equal(region.inUse(), 0);
});

test("tokens per minute: other tenants' tokens take their share of every window", async (t) => {
  const now = 1_000_000_020_000;
  const fleet = await fleetFor(t, {
    now: () => now,
    regions: [{ region: 'tpm', capacityUnit: 'tokens-per-minute', capacity: 6000, backgroundLoad: 3000 }],
    models: ['m'],
  });
  const region = fleet.region('tpm');
  const chat = `${region.url}/v1/chat/completions`;
  const body = { ...sized(400, 380).body, stream: false }; // 500-1000 tokens: over the 500 left per window
  const refused = await postJson(chat, body);
  assert.equal(refused.status, 429);
  assert.equal(refused.headers['x-ratelimit-remaining-tokens'], '3000');
  assert.equal((await reportOf(fleet.telemetryUrl, 'tpm')).inUse, 3000);

  // Capacity is the quota's limit: raising it makes room in the same window.
  region.setCapacity(12_000);
  const admitted = await postJson(chat, body);
  assert.equal(admitted.status, 200);
  assert.equal(admitted.headers['x-ratelimit-limit-tokens'], '12000');
});

test('a quota of its own: tokens per minute enforced by it, capacity still reported', async (t) => {
  const fleet = await fleetFor(t, {
    regions: [{ region: 'tpm', capacityUnit: 'tokens-per-minute', capacity: 6000, quota: { tokensPerMinute: 60 } }],
    models: ['m'],
  });
  const region = fleet.region('tpm');
  const res = await postJson(`${region.url}/v1/chat/completions`, { ...sized(400, 380).body, stream: false });
  assert.equal(res.status, 429);
  assert.equal(res.headers['x-ratelimit-limit-tokens'], '60');
  region.setCapacity(9000);
  assert.equal((await reportOf(fleet.telemetryUrl, 'tpm')).capacity, 9000);
  const again = await postJson(`${region.url}/v1/chat/completions`, { ...sized(400, 380).body, stream: false });
  assert.equal(again.headers['x-ratelimit-limit-tokens'], '60', 'the quota named its own limit');
});

test('a region sets its own unit over the fleet default; an unknown unit is refused', async (t) => {
  const fleet = await fleetFor(t, {
    capacityUnit: 'concurrent-tokens',
    regions: [
      { region: 'a', capacity: 10 },
      { region: 'b', capacity: 10, capacityUnit: 'requests' },
    ],
    models: ['m'],
  });
  assert.deepEqual(
    fleet.regions.map((r) => r.capacityUnit),
    ['concurrent-tokens', 'requests'],
  );
  const control = JSON.parse((await request(fleet.controlUrl)).body) as { regions: Array<{ capacityUnit: string }> };
  assert.deepEqual(
    control.regions.map((r) => r.capacityUnit),
    ['concurrent-tokens', 'requests'],
  );
  await assert.rejects(
    startSimFleet({ regions: [{ region: 'a', capacity: 1, capacityUnit: 'tokens' as never }], models: ['m'] }),
    /regions\[0\]\.capacityUnit: must be requests, concurrent-tokens or tokens-per-minute, got "tokens"/,
  );
  await assert.rejects(
    startSimFleet({ capacityUnit: 'rpm' as never, regions: [{ region: 'a', capacity: 1 }], models: ['m'] }),
    /^TypeError: capacityUnit: must be/,
  );
});
