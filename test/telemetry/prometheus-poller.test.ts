// The Prometheus source against a hand-driven stand-in for its HTTP API: what it asks
// (both queries, encoded, under the path prefix, with basic auth), what it keeps, and
// how every kind of failure is counted, logged and survived.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import { pino } from 'pino';
import { Metrics } from '../../src/metrics/metrics.js';
import { PrometheusPoller } from '../../src/telemetry/prometheus/poller.js';
import { TelemetryStore } from '../../src/telemetry/store.js';
import { startFakeBackend } from '../helpers/fake-backend.js';

const CAPACITY = 'count by (region, model_name) (vllm:num_requests_running) * 64';
const IN_USE = 'sum by (region, model_name) (vllm:num_requests_running + vllm:num_requests_waiting)';

const TIMEOUT_MS = 2000;

type Answer = (query: string, req: IncomingMessage, res: ServerResponse) => void;

/** The samples' time (seconds, as Prometheus writes it): fixed and in the past, so a test can ask for it exactly. */
const AT_S = 1_700_000_000.25;

function vectorOf(values: Record<string, number | string>): string {
  const at = AT_S;
  return JSON.stringify({
    status: 'success',
    data: {
      resultType: 'vector',
      result: Object.entries(values).map(([region, v]) => ({
        metric: { region, model_name: 'm' },
        value: [at, String(v)],
      })),
    },
  });
}

async function setup(t: { after: (fn: () => Promise<void>) => void }, answer: Answer, prefix = '') {
  const asked: Array<{ url: string; authorization: string | undefined }> = [];
  let current = answer;
  const server = await startFakeBackend((req, res) => {
    asked.push({ url: req.url ?? '', authorization: req.headers.authorization });
    const url = new URL(req.url ?? '/', 'http://x');
    current(url.searchParams.get('query') ?? '', req, res);
  });
  const store = new TelemetryStore(new Set(['a', 'b']), new Set(['m']), ['prometheus']);
  const metrics = new Metrics();
  const lines: string[] = [];
  const poller = new PrometheusPoller({
    prometheus: {
      url: `${server.url.replace('http://', 'http://ops:s%3Acret@')}${prefix}`,
      capacityQuery: CAPACITY,
      inUseQuery: IN_USE,
      regionLabel: 'region',
      modelLabel: 'model_name',
    },
    intervalMs: 1000,
    // Long enough that a healthy answer is never late on a loaded machine; the hanging
    // source below waits it out.
    timeoutMs: TIMEOUT_MS,
    maxBodyBytes: 64 * 1024,
    store,
    metrics,
    logger: pino({ level: 'info' }, { write: (l: string) => lines.push(l) }),
    now: Date.now,
    onPolled: () => undefined,
  });
  t.after(async () => {
    await poller.stop();
    await server.close();
  });
  return {
    asked,
    store,
    metrics,
    lines,
    poller,
    answer: (a: Answer) => {
      current = a;
    },
  };
}

const healthy: Answer = (query, _req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(query === CAPACITY ? vectorOf({ a: 64, b: 128 }) : vectorOf({ a: 60, b: 3 }));
};

test('both queries go to {url}/api/v1/query, encoded, with basic auth; samples become reports', async (t) => {
  const s = await setup(t, healthy, '/prom');
  await s.poller.pollOnce();
  assert.deepEqual(s.asked.map((a) => new URL(a.url, 'http://x').pathname).sort(), [
    '/prom/api/v1/query',
    '/prom/api/v1/query',
  ]);
  const queries = s.asked.map((a) => new URL(a.url, 'http://x').searchParams.get('query')).sort();
  assert.deepEqual(queries, [CAPACITY, IN_USE].sort());
  assert.equal(s.asked[0]?.authorization, `Basic ${Buffer.from('ops:s:cret').toString('base64')}`);
  assert.equal(s.store.report('m', 'a')?.capacity, 64);
  assert.equal(s.store.report('m', 'a')?.inUse, 60);
  assert.equal(s.store.report('m', 'b')?.inUse, 3);
  assert.equal(s.store.report('m', 'b')?.inUseSource, 'prometheus');
  assert.equal(s.store.report('m', 'a')?.atMs, AT_S * 1000, 'at is what Prometheus said');
  assert.equal(s.store.stateOf('prometheus').polls, 1);
  assert.match(await s.metrics.registry.metrics(), /switchyard_telemetry_polls_total\{source="prometheus"\} 1/);
});

test('a query error, an outage, a hang and an oversized answer each fail the poll and keep the last data', async (t) => {
  const s = await setup(t, healthy);
  await s.poller.pollOnce();
  const failWith = async (answer: Answer, reason: string, error: RegExp) => {
    s.answer(answer);
    await s.poller.pollOnce();
    assert.equal(s.store.stateOf('prometheus').lastPollOk, false);
    assert.match(s.store.stateOf('prometheus').lastError ?? '', error);
    assert.equal(s.store.report('m', 'a')?.inUse, 60, 'the last good data is kept');
    assert.match(
      await s.metrics.registry.metrics(),
      new RegExp(`switchyard_telemetry_poll_failures_total\\{source="prometheus",reason="${reason}"\\} [1-9]`),
    );
  };
  await failWith(
    (_q, _req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error: unexpected <EOF>' }));
    },
    'http_status',
    /^http_status: prometheus answered HTTP 400 to (capacity|inUse)Query: bad_data: parse error/,
  );
  await failWith(
    (_q, _req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }));
    },
    'malformed',
    /answered a matrix/,
  );
  await failWith(
    (_q, req) => {
      req.socket.destroy();
    },
    'connect',
    /^connect: /,
  );
  await failWith(() => undefined, 'timeout', new RegExp(`^timeout: no answer within ${TIMEOUT_MS} ms`));
  await failWith(
    (_q, _req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`{"status":"success","data":{"resultType":"vector","result":[${' '.repeat(70 * 1024)}`);
      res.end(']}}');
    },
    'too_large',
    /exceeds telemetry.maxBodyBytes 65536/,
  );
  const failures = s.lines.filter((l) => l.includes('telemetry poll failed'));
  assert.ok(failures.length >= 5, 'each new failure is logged');
  assert.match(failures[0] ?? '', /"kind":"prometheus"/);
  assert.doesNotMatch(failures.join('\n'), /s%3Acret|s:cret/, 'the credentials are not logged');
  s.answer(healthy);
  await s.poller.pollOnce();
  assert.equal(s.store.stateOf('prometheus').lastPollOk, true);
  assert.ok(s.lines.some((l) => l.includes('telemetry polls recovered')));
});

test('bad samples and empty answers are counted by reason and logged; the good ones are used', async (t) => {
  const s = await setup(t, (query, _req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(query === CAPACITY ? vectorOf({ a: 'NaN', b: 10, zz: 4 }) : vectorOf({ a: 1, b: 2, zz: 1 }));
  });
  await s.poller.pollOnce();
  assert.equal(s.store.report('m', 'a'), undefined);
  assert.equal(s.store.report('m', 'b')?.capacity, 10);
  const text = await s.metrics.registry.metrics();
  assert.match(text, /switchyard_telemetry_reports_rejected_total\{source="prometheus",reason="capacity"\} 2/);
  assert.match(text, /switchyard_telemetry_reports_ignored_total\{source="prometheus"\} 1/);
  assert.ok(s.lines.some((l) => l.includes('telemetry reports rejected') && l.includes('not a finite number')));
  s.answer((_q, _req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(vectorOf({}));
  });
  await s.poller.pollOnce();
  assert.equal(s.store.stateOf('prometheus').lastPollOk, true, 'an empty answer is not a failed poll');
  assert.match(
    await s.metrics.registry.metrics(),
    /switchyard_telemetry_reports_rejected_total\{source="prometheus",reason="empty"\} 2/,
  );
});
