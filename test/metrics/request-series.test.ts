import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metrics } from '../../src/metrics/metrics.js';
import { repoRoot } from '../helpers/repo-root.js';

test('per-request series render as a Prometheus counter and a cumulative histogram', async () => {
  const m = new Metrics();
  const r = m.requests.route('chat', 'eastus2');
  r.record(200, 0.004);
  r.record(200, 0.3);
  r.record(429, 700);
  const text = await m.registry.metrics();
  assert.match(text, /^# TYPE switchyard_requests_total counter$/m);
  assert.match(text, /^switchyard_requests_total\{deployment="chat",region="eastus2",code="200"\} 2$/m);
  assert.match(text, /^switchyard_requests_total\{deployment="chat",region="eastus2",code="429"\} 1$/m);
  assert.match(text, /^# TYPE switchyard_request_duration_seconds histogram$/m);
  assert.match(
    text,
    /^switchyard_request_duration_seconds_bucket\{deployment="chat",region="eastus2",le="0.005"\} 1$/m,
  );
  assert.match(text, /^switchyard_request_duration_seconds_bucket\{deployment="chat",region="eastus2",le="0.5"\} 2$/m);
  assert.match(text, /^switchyard_request_duration_seconds_bucket\{deployment="chat",region="eastus2",le="300"\} 2$/m);
  assert.match(
    text,
    /^switchyard_request_duration_seconds_bucket\{deployment="chat",region="eastus2",le="\+Inf"\} 3$/m,
  );
  assert.match(text, /^switchyard_request_duration_seconds_count\{deployment="chat",region="eastus2"\} 3$/m);
  assert.match(text, /^switchyard_request_duration_seconds_sum\{deployment="chat",region="eastus2"\} 700\.304$/m);
});

test("every metric the README documents is exported, and the contract's three are there", async () => {
  const m = new Metrics();
  m.requests.route('d', 'r').record(200, 0.1);
  const text = await m.registry.metrics();
  const readme = readFileSync(join(repoRoot(), 'README.md'), 'utf8');
  const documented = [...readme.matchAll(/^\| `(switchyard_[a-z_]+)` \|/gm)]
    .map((x) => x[1]!)
    .filter((n) => !n.startsWith('switchyard_process_'));
  assert.ok(documented.length > 20, `found ${documented.length} documented metrics`);
  for (const name of [
    'switchyard_requests_total',
    'switchyard_telemetry_poll_failures_total',
    'switchyard_routing_mode',
  ])
    assert.ok(documented.includes(name));
  const exported = [...text.matchAll(/^# TYPE (switchyard_[a-z_]+) /gm)]
    .map((x) => x[1]!)
    .filter((n) => !n.startsWith('switchyard_process_'));
  assert.deepEqual([...new Set(documented)].sort(), exported.sort());
});
