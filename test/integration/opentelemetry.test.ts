// OpenTelemetry end to end: the router, turned on by OTEL_EXPORTER_OTLP_ENDPOINT,
// exports over OTLP/HTTP (JSON) to a receiver, which decodes what arrives: one SERVER
// span per request named `{operation} {model}`, continuing the client's traceparent,
// with a CLIENT span per upstream attempt under it (region, status, retry reason), the
// attempt's context sent upstream as its traceparent, and the GenAI metrics.
//
// Why a receiver in the test and not a collector: the OpenTelemetry Collector (otelcol)
// is not packaged for Debian (apt-cache finds only the Go SDK sources) and the npm
// registry has no collector either, so none can be installed here or in CI. The
// receiver below accepts exactly what a collector's OTLP/HTTP receiver accepts on
// /v1/traces and /v1/metrics (JSON encoding, gzip or not) and decodes it with the
// OTLP JSON mapping; what it checks is what a collector would forward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { startFleetAndRouter } from '../helpers/fleet-harness.js';
import { waitFor } from '../helpers/wait.js';

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface KeyValue {
  key: string;
  value: AnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: KeyValue[];
  status?: { code?: number };
}
interface OtlpPoint {
  attributes?: KeyValue[];
  count?: string | number;
  sum?: number;
}
interface OtlpMetric {
  name: string;
  unit?: string;
  histogram?: { dataPoints: OtlpPoint[] };
}

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

function decoded(v: AnyValue): string | number | boolean | undefined {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return v.boolValue;
}

function attrs(list: KeyValue[] | undefined): Record<string, string | number | boolean | undefined> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, decoded(kv.value)]));
}

/** A minimal OTLP/HTTP receiver: what a collector's otlp receiver accepts, decoded from JSON. */
async function startReceiver(): Promise<{
  url: string;
  server: Server;
  spans: OtlpSpan[];
  metrics: OtlpMetric[];
  resources: Array<Record<string, unknown>>;
  contentTypes: Set<string>;
}> {
  const spans: OtlpSpan[] = [];
  const metrics: OtlpMetric[] = [];
  const resources: Array<Record<string, unknown>> = [];
  const contentTypes = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      contentTypes.add(String(req.headers['content-type']));
      const doc = JSON.parse(body.toString('utf8')) as {
        resourceSpans?: Array<{ resource?: { attributes?: KeyValue[] }; scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
        resourceMetrics?: Array<{
          resource?: { attributes?: KeyValue[] };
          scopeMetrics: Array<{ metrics: OtlpMetric[] }>;
        }>;
      };
      if (req.url === '/v1/traces') {
        for (const rs of doc.resourceSpans ?? []) {
          resources.push(attrs(rs.resource?.attributes));
          for (const ss of rs.scopeSpans) spans.push(...ss.spans);
        }
      } else if (req.url === '/v1/metrics') {
        for (const rm of doc.resourceMetrics ?? []) for (const sm of rm.scopeMetrics) metrics.push(...sm.metrics);
      } else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}`, server, spans, metrics, resources, contentTypes };
}

const hex = (n: number, len: number): string => n.toString(16).padStart(len, '0');

test('spans per request and per attempt, traceparent continued and propagated, GenAI metrics exported', async (t) => {
  const receiver = await startReceiver();
  t.after(() => new Promise<void>((resolve) => receiver.server.close(() => resolve())));
  const setup = await startFleetAndRouter({
    regions: [
      { region: 'r1', capacity: 100 },
      { region: 'r2', capacity: 100 },
    ],
    zones: { z: ['r1', 'r2'] },
    deployments: [{ name: 'chat', model: 'm', type: 'global' }],
    environment: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'switchyard-under-test',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRIC_EXPORT_INTERVAL: '250',
    },
  });
  let stopped = false;
  t.after(async () => {
    if (!stopped) await setup.close();
  });
  // r1 fails every request with 503: a request sent there first is retried in r2.
  setup.fleet.region('r1').setBehaviour({ failStatus: 503 });

  const REQUESTS = 12;
  const sent: Array<{ traceId: string; parentId: string; input: number; output: number }> = [];
  for (let i = 0; i < REQUESTS; i++) {
    const traceId = hex(0xabc000 + i, 32);
    const parentId = hex(0x1000 + i, 16);
    const res = await fetch(`${setup.router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${parentId}-01` },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: `question ${i}` }], max_tokens: 4 }),
    });
    const body = (await res.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
    assert.equal(res.status, 200);
    sent.push({ traceId, parentId, input: body.usage.prompt_tokens, output: body.usage.completion_tokens });
  }
  // What the backend got last: the traceparent of the request's last attempt, not the client's.
  const upstream = setup.fleet.region('r2').lastRequest()?.headers.traceparent as string;
  const last = sent[REQUESTS - 1] as (typeof sent)[number];

  await waitFor(
    'every request span exported',
    () => receiver.spans.filter((s) => s.kind === SPAN_KIND_SERVER).length >= REQUESTS,
    15_000,
  );
  let retried = 0;
  for (const r of sent) {
    const trace = receiver.spans.filter((s) => s.traceId === r.traceId);
    const server = trace.find((s) => s.kind === SPAN_KIND_SERVER) as OtlpSpan;
    assert.ok(server, `the request span of trace ${r.traceId}`);
    assert.equal(server.name, 'chat chat');
    assert.equal(server.parentSpanId, r.parentId, "the client's span is the request span's parent");
    const a = attrs(server.attributes);
    assert.equal(a['gen_ai.operation.name'], 'chat');
    assert.equal(a['gen_ai.provider.name'], 'openai');
    assert.equal(a['gen_ai.request.model'], 'chat');
    assert.equal(a['gen_ai.response.model'], 'chat');
    assert.equal(a['server.address'], '127.0.0.1');
    assert.equal(a['gen_ai.usage.input_tokens'], r.input);
    assert.equal(a['gen_ai.usage.output_tokens'], r.output);
    assert.equal(a['error.type'], undefined);
    const attempts = trace.filter((s) => s.kind === SPAN_KIND_CLIENT);
    assert.ok(attempts.length >= 1);
    for (const at of attempts)
      assert.equal(at.parentSpanId, server.spanId, 'attempts are children of the request span');
    const byNumber = attempts
      .map((s) => attrs(s.attributes))
      .sort((x, y) => Number(x['switchyard.attempt']) - Number(y['switchyard.attempt']));
    const final = byNumber[byNumber.length - 1] as Record<string, unknown>;
    assert.equal(final['switchyard.region'], 'r2');
    assert.equal(final['http.response.status_code'], 200);
    if (byNumber.length === 2) {
      retried++;
      const first = byNumber[0] as Record<string, unknown>;
      assert.equal(first['switchyard.region'], 'r1');
      assert.equal(first['http.response.status_code'], 503);
      assert.equal(first['error.type'], '503');
      assert.equal(final['switchyard.retry_reason'], 'status-503');
      assert.equal(attempts.find((s) => attrs(s.attributes)['switchyard.attempt'] === 1)?.name, 'attempt r1');
    }
    if (r === last) {
      const finalSpan = attempts.find(
        (s) => attrs(s.attributes)['switchyard.attempt'] === final['switchyard.attempt'],
      ) as OtlpSpan;
      assert.equal(upstream, `00-${r.traceId}-${finalSpan.spanId}-01`, "the upstream got the attempt's traceparent");
    }
  }
  assert.ok(retried > 0, 'some request was retried after r1 failed (its spans show both attempts)');
  assert.equal(receiver.resources[0]?.['service.name'], 'switchyard-under-test');

  // Metrics: the last export before shutdown carries every request (cumulative).
  await setup.close();
  stopped = true;
  const named = (name: string): OtlpMetric[] => receiver.metrics.filter((m) => m.name === name);
  for (const name of [
    'gen_ai.client.token.usage',
    'gen_ai.client.operation.duration',
    'gen_ai.server.time_to_first_token',
  ])
    assert.ok(named(name).length > 0, `${name} exported`);
  const lastOf = (name: string): OtlpMetric => named(name)[named(name).length - 1] as OtlpMetric;
  const usage = lastOf('gen_ai.client.token.usage');
  assert.equal(usage.unit, '{token}');
  const points = usage.histogram?.dataPoints ?? [];
  const sumOf = (type: string): number =>
    points.filter((p) => attrs(p.attributes)['gen_ai.token.type'] === type).reduce((n, p) => n + (p.sum ?? 0), 0);
  assert.equal(
    sumOf('input'),
    sent.reduce((n, r) => n + r.input, 0),
  );
  assert.equal(
    sumOf('output'),
    sent.reduce((n, r) => n + r.output, 0),
  );
  const p = attrs(points[0]?.attributes);
  assert.equal(p['gen_ai.operation.name'], 'chat');
  assert.equal(p['gen_ai.provider.name'], 'openai');
  assert.equal(p['gen_ai.request.model'], 'chat');
  assert.equal(p['gen_ai.response.model'], 'chat');
  assert.equal(p['server.address'], '127.0.0.1');
  const durations = lastOf('gen_ai.client.operation.duration').histogram?.dataPoints ?? [];
  assert.equal(
    durations.reduce((n, d) => n + Number(d.count), 0),
    REQUESTS,
  );
  assert.equal(lastOf('gen_ai.client.operation.duration').unit, 's');
  const ttft = lastOf('gen_ai.server.time_to_first_token').histogram?.dataPoints ?? [];
  assert.equal(
    ttft.reduce((n, d) => n + Number(d.count), 0),
    REQUESTS,
  );
  assert.ok(
    [...receiver.contentTypes].every((c) => c.startsWith('application/json')),
    'OTLP over HTTP as JSON',
  );
});

test('an error the router answers itself carries error.type on its span; metrics can be turned off alone', async (t) => {
  const receiver = await startReceiver();
  t.after(() => new Promise<void>((resolve) => receiver.server.close(() => resolve())));
  const setup = await startFleetAndRouter({
    regions: [{ region: 'r1', capacity: 100 }],
    zones: { z: ['r1'] },
    deployments: [{ name: 'chat', model: 'm', type: 'global' }],
    environment: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRICS_EXPORTER: 'none',
    },
  });
  t.after(() => setup.close());
  // Unreachable: connect errors, then the router's own 503.
  await setup.fleet.region('r1').stop();
  const res = await fetch(`${setup.router.url}/openai/deployments/chat/embeddings?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ input: 'x' }),
  });
  await res.text();
  assert.equal(res.status, 503);
  await waitFor('the request span exported', () => receiver.spans.some((s) => s.kind === SPAN_KIND_SERVER), 15_000);
  const server = receiver.spans.find((s) => s.kind === SPAN_KIND_SERVER) as OtlpSpan;
  assert.equal(server.name, 'embeddings chat');
  const a = attrs(server.attributes);
  assert.equal(a['gen_ai.provider.name'], 'azure.ai.openai');
  assert.equal(a['error.type'], 'NoRegionAvailable');
  assert.equal(server.status?.code, 2, 'status ERROR');
  assert.equal(server.parentSpanId ?? '', '', 'no client traceparent: a root span');
  const attempt = receiver.spans.find((s) => s.kind === SPAN_KIND_CLIENT) as OtlpSpan;
  assert.equal(attrs(attempt.attributes)['error.type'], 'ECONNREFUSED');
  assert.equal(receiver.metrics.length, 0, 'OTEL_METRICS_EXPORTER=none: no metrics');
});

test('an answer cut off mid-stream ends its span with error.type, though its status was 200', async (t) => {
  const receiver = await startReceiver();
  t.after(() => new Promise<void>((resolve) => receiver.server.close(() => resolve())));
  const setup = await startFleetAndRouter({
    regions: [{ region: 'r1', capacity: 100, perTokenMs: 50 }],
    zones: { z: ['r1'] },
    deployments: [{ name: 'chat', model: 'm', type: 'global' }],
    environment: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' },
  });
  t.after(() => setup.close());
  const res = await fetch(`${setup.router.url}/openai/deployments/chat/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 200, stream: true }),
  });
  assert.equal(res.status, 200);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  await reader.read();
  // The region goes away with the answer half sent: its sockets are destroyed.
  await setup.fleet.region('r1').stop();
  await assert.rejects(async () => {
    for (;;) if ((await reader.read()).done) break;
  }, 'the client sees the stream break, not a clean end');
  await waitFor('the request span exported', () => receiver.spans.some((s) => s.kind === SPAN_KIND_SERVER), 15_000);
  const server = receiver.spans.find((s) => s.kind === SPAN_KIND_SERVER) as OtlpSpan;
  const a = attrs(server.attributes);
  assert.equal(a['http.response.status_code'], 200);
  assert.equal(typeof a['error.type'], 'string', 'error.type names what cut the stream');
  assert.notEqual(a['error.type'], '200');
  assert.equal(server.status?.code, 2, 'status ERROR');
});

test('a request that waited for room says how long on the attempt it was sent with', async (t) => {
  const receiver = await startReceiver();
  t.after(() => new Promise<void>((resolve) => receiver.server.close(() => resolve())));
  const setup = await startFleetAndRouter({
    regions: [{ region: 'r1', capacity: 2, ttftMs: 150 }],
    zones: { z: ['r1'] },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
    environment: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_METRICS_EXPORTER: 'none',
    },
  });
  t.after(() => setup.close());
  await waitFor('normal mode', async () => {
    const doc = await setup.router.capacity();
    return doc.deployments.find((d) => d.name === 'chat')?.mode === 'normal';
  });
  const results = await Promise.all(
    Array.from({ length: 6 }, () =>
      fetch(`${setup.router.url}/openai/deployments/chat/chat/completions?api-version=2024-10-21`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
      }).then(async (r) => {
        await r.text();
        return r.status;
      }),
    ),
  );
  assert.deepEqual(results, Array(6).fill(200));
  await waitFor(
    'every attempt span exported',
    () => receiver.spans.filter((s) => s.kind === SPAN_KIND_SERVER).length >= 6,
    15_000,
  );
  const waits = receiver.spans
    .filter((s) => s.kind === SPAN_KIND_CLIENT)
    .map((s) => attrs(s.attributes)['switchyard.admission.wait_ms'])
    .filter((w) => w !== undefined) as number[];
  assert.ok(waits.length >= 2, `requests that waited say so (${waits.length} of 6)`);
  assert.ok(
    waits.every((w) => w >= 50),
    `each waited for a slot to free (${waits.join(', ')} ms)`,
  );
});
