// In-band load headers, read as undici hands them over (raw Buffers): rate limits from
// Azure OpenAI and OpenAI, ORCA endpoint-load-metrics from vLLM and Triton.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readNumber } from '../../src/telemetry/in-band/header-bytes.js';
import { readLoadHeaders } from '../../src/telemetry/in-band/load-headers.js';
import { InBandSlot } from '../../src/telemetry/in-band/slot.js';

const NOW = 1_800_000_000_000;

function raw(headers: Record<string, string> | Array<[string, string]>): Buffer[] {
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers);
  return pairs.flatMap(([k, v]) => [Buffer.from(k, 'latin1'), Buffer.from(v, 'latin1')]);
}

function read(headers: Record<string, string> | Array<[string, string]>): InBandSlot {
  const slot = new InBandSlot('m', 'r');
  readLoadHeaders(raw(headers), slot, NOW);
  return slot;
}

const BASE = { 'content-type': 'application/json', 'x-request-id': 'abc', 'retry-after': '1' };

test('an answer without load headers leaves the slot as it was', () => {
  const slot = read(BASE);
  assert.deepEqual([slot.atMs, slot.read, slot.unreadable, slot.utilisation, slot.capacity], [0, 0, 0, 0, 0]);
});

test("OpenAI's rate limits: the nearer limit counts, the requests limit is the capacity", () => {
  const slot = read({
    ...BASE,
    'x-ratelimit-limit-requests': '500',
    'x-ratelimit-remaining-requests': '499',
    'x-ratelimit-limit-tokens': '30000',
    'x-ratelimit-remaining-tokens': '15000',
    'x-ratelimit-reset-tokens': '6m0s',
  });
  assert.equal(slot.utilisation, 0.5);
  assert.equal(slot.capacity, 500);
  assert.equal(slot.atMs, NOW);
  assert.equal(slot.read, 1);
});

test('header names match in any case; values may carry spaces', () => {
  const slot = read({ 'X-RateLimit-Limit-Tokens': ' 1000 ', 'X-RATELIMIT-REMAINING-TOKENS': '250' });
  assert.equal(slot.utilisation, 0.75);
  assert.equal(slot.capacity, 1000, 'the tokens limit when there is no requests limit');
});

test('Azure\'s "-1" (no limit known) is ignored; the other pair still counts', () => {
  assert.equal(read({ 'x-ratelimit-limit-tokens': '-1', 'x-ratelimit-remaining-tokens': '-1' }).unreadable, 1);
  const slot = read({
    'x-ratelimit-limit-tokens': '-1',
    'x-ratelimit-remaining-tokens': '-1',
    'x-ratelimit-limit-requests': '100',
    'x-ratelimit-remaining-requests': '80',
  });
  assert.ok(Math.abs(slot.utilisation - 0.2) < 1e-12);
  assert.equal(slot.capacity, 100);
});

test('a remaining count without its limit says nothing, unless it is 0: then the region is full', () => {
  assert.equal(read({ 'x-ratelimit-remaining-requests': '12' }).unreadable, 1);
  const full = read({ 'x-ratelimit-remaining-requests': '0' });
  assert.equal(full.utilisation, 1);
  assert.equal(full.capacity, 0, 'no capacity from it');
  assert.equal(read({ 'x-ratelimit-limit-requests': '10', 'x-ratelimit-remaining-requests': '25' }).utilisation, 0);
});

test("ORCA TEXT: Triton's KV cache, vLLM's KV cache, the server's own utilisation, then CPU", () => {
  const triton =
    'TEXT cpu_utilization=0.3, mem_utilization=0.8, rps_fractional=10.0, eps=1, named_metrics.kv_cache_utilization=0.4, named_metrics.max_token_capacity=65536';
  assert.equal(read({ 'endpoint-load-metrics': triton }).utilisation, 0.4);
  const vllm = 'TEXT named_metrics.kv_cache_usage_perc=0.25, named_metrics.num_requests_waiting=0.0';
  assert.equal(read({ 'endpoint-load-metrics': vllm }).utilisation, 0.25);
  assert.equal(
    read({ 'endpoint-load-metrics': 'TEXT named_metrics.kv_cache_utilization=0.4,application_utilization=0.7' })
      .utilisation,
    0.7,
  );
  assert.equal(read({ 'Endpoint-Load-Metrics': 'text cpu_utilization=0.3' }).utilisation, 0.3);
  assert.equal(read({ 'endpoint-load-metrics': 'TEXT cpu_utilization=1e-05' }).utilisation, 0.00001);
  assert.equal(read({ 'endpoint-load-metrics': 'TEXT application_utilization=1.7' }).utilisation, 1, 'at most 1');
  assert.equal(read({ 'endpoint-load-metrics': 'TEXT cpu_utilization=0.3' }).capacity, 0, 'ORCA gives no capacity');
});

test("a queue counts as full: vLLM's waiting requests", () => {
  const slot = read({
    'endpoint-load-metrics': 'TEXT named_metrics.kv_cache_usage_perc=0.6, named_metrics.num_requests_waiting=3.0',
  });
  assert.equal(slot.utilisation, 1);
});

test('ORCA JSON, as vLLM and Triton send it', () => {
  assert.equal(
    read({
      'endpoint-load-metrics': 'JSON {"named_metrics": {"kv_cache_usage_perc": 0.4, "num_requests_waiting": 0.0}}',
    }).utilisation,
    0.4,
  );
  assert.equal(
    read({ 'endpoint-load-metrics': 'JSON {"cpu_utilization": 0.3, "named_metrics": {"kv_cache_utilization": 0.9}}' })
      .utilisation,
    0.9,
  );
});

test('what cannot be read is counted and otherwise ignored', () => {
  for (const value of [
    'BIN CgsIARABGAE=',
    'TEXT mem_utilization=0.5',
    'TEXT cpu_utilization=NaN',
    'TEXT cpu_utilization=-0.5',
    'TEXT cpu_utilization',
    'TEXTcpu_utilization=0.5',
    'JSON {"cpu_utilization": "0.5"',
    'JSON [0.5]',
    `JSON {"cpu_utilization": 0.5, "pad": "${'x'.repeat(9000)}"}`,
    '',
  ]) {
    const slot = read({ 'endpoint-load-metrics': value });
    assert.equal(slot.unreadable, 1, value.slice(0, 40));
    assert.equal(slot.atMs, 0);
  }
  // A readable rate limit beside an unreadable ORCA header is still read.
  const both = read({
    'endpoint-load-metrics': 'TEXT ???',
    'x-ratelimit-limit-requests': '4',
    'x-ratelimit-remaining-requests': '1',
  });
  assert.equal(both.utilisation, 0.75);
  assert.equal(both.unreadable, 0);
});

test('with both kinds present, the fuller one counts', () => {
  const slot = read({
    'endpoint-load-metrics': 'TEXT named_metrics.kv_cache_utilization=0.9',
    'x-ratelimit-limit-requests': '100',
    'x-ratelimit-remaining-requests': '50',
  });
  assert.equal(slot.utilisation, 0.9);
  assert.equal(slot.capacity, 100);
});

test('numbers: plain non-negative decimals only', () => {
  const n = (s: string) => readNumber(Buffer.from(s, 'latin1'));
  assert.equal(n('42'), 42);
  assert.equal(n(' 0.25\t'), 0.25);
  assert.equal(n('1e3'), 1000);
  assert.equal(n('1E+2'), 100);
  assert.equal(n('.5'), 0.5);
  assert.equal(n('5.'), 5);
  for (const bad of ['', ' ', '-1', '+1', 'NaN', 'inf', 'Infinity', '1e', '1e999', '0x10', '1,000', '1 2', '.', 'e5']) {
    assert.equal(n(bad), -1, JSON.stringify(bad));
  }
});
