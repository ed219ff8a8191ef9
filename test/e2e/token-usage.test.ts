// Usage accounting through the real router: the simulated fleet answers chat
// completions, chat streams that ask for usage, the Responses API (whole and streamed)
// and embeddings, each with the usage the service would send; the router's token
// series, /capacity and the tenant series add up to exactly what the answers said.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleetAndRouter } from '../helpers/fleet-harness.js';
import { deploymentOf } from '../helpers/router-harness.js';

/** The data lines of an SSE body (chat chunks have no event line, Responses events have one). */
function sseData(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice('data: '.length));
}

interface Sent {
  input: number;
  output: number;
  cached: number;
}

function usageOfAnswer(body: string, streamed: boolean): Sent {
  let u: Record<string, unknown> | null = null;
  if (!streamed) u = (JSON.parse(body) as { usage: Record<string, unknown> }).usage;
  else {
    for (const data of sseData(body)) {
      if (data === '[DONE]') continue;
      const event = JSON.parse(data) as {
        usage?: Record<string, unknown> | null;
        response?: { usage?: Record<string, unknown> | null };
      };
      u = event.usage ?? event.response?.usage ?? u;
    }
  }
  assert.ok(u !== null, 'the backend sent usage');
  const details = (u.prompt_tokens_details ?? u.input_tokens_details) as { cached_tokens?: number } | undefined;
  return {
    input: (u.prompt_tokens ?? u.input_tokens) as number,
    output: ((u.completion_tokens ?? u.output_tokens) as number | undefined) ?? 0,
    cached: details?.cached_tokens ?? 0,
  };
}

function series(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.split(' ').pop());
  }
  return sum;
}

test('token counters per region, deployment and tenant equal the usage the backends sent', async (t) => {
  const setup = await startFleetAndRouter({
    regions: [
      { region: 'r1', capacity: 100 },
      { region: 'r2', capacity: 100 },
    ],
    zones: { z: ['r1', 'r2'] },
    deployments: [{ name: 'chat', model: 'm', type: 'global' }],
  });
  t.after(() => setup.close());
  const base = setup.router.url;
  const expected: Record<string, Sent> = {};
  const tenantSent: Sent = { input: 0, output: 0, cached: 0 };
  const asks: Array<{ path: string; body: Record<string, unknown>; streamed: boolean; tenant?: string }> = [
    {
      path: '/openai/deployments/chat/chat/completions?api-version=2024-10-21',
      body: { messages: [{ role: 'user', content: 'hello there' }], max_tokens: 5 },
      streamed: false,
    },
    {
      path: '/v1/chat/completions',
      body: {
        model: 'chat',
        messages: [{ role: 'user', content: 'a longer prompt for the stream' }],
        max_tokens: 9,
        stream: true,
        stream_options: { include_usage: true },
      },
      streamed: true,
      tenant: 'sk-secret-tenant-key',
    },
    {
      path: '/v1/chat/completions',
      body: {
        model: 'chat',
        prompt_cache_key: 'k',
        messages: [{ role: 'user', content: 'cached '.repeat(40) }],
        max_tokens: 3,
      },
      streamed: false,
      tenant: 'sk-secret-tenant-key',
    },
    { path: '/v1/responses', body: { model: 'chat', input: 'what is up', max_output_tokens: 6 }, streamed: false },
    {
      path: '/v1/responses',
      body: { model: 'chat', input: 'stream it', max_output_tokens: 4, stream: true },
      streamed: true,
    },
    { path: '/v1/embeddings', body: { model: 'chat', input: 'embed me please' }, streamed: false },
  ];
  for (let round = 0; round < 3; round++) {
    for (const ask of asks) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (ask.tenant !== undefined) headers['x-gateway-inference-fairness-id'] = ask.tenant;
      const res = await fetch(base + ask.path, { method: 'POST', headers, body: JSON.stringify(ask.body) });
      const body = await res.text();
      assert.equal(res.status, 200, body);
      const region = res.headers.get('x-switchyard-region') as string;
      const sent = usageOfAnswer(body, ask.streamed);
      const e = (expected[region] ??= { input: 0, output: 0, cached: 0 });
      e.input += sent.input;
      e.output += sent.output;
      e.cached += sent.cached;
      if (ask.tenant !== undefined) {
        tenantSent.input += sent.input;
        tenantSent.output += sent.output;
        tenantSent.cached += sent.cached;
      }
    }
  }
  // A stream that does not ask for usage reports none, and is not counted.
  const plain = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x' }], stream: true, max_tokens: 2 }),
  });
  await plain.text();

  assert.ok(
    Object.values(expected).some((e) => e.cached > 0),
    'some answers reported cached tokens',
  );
  const metrics = await setup.router.metrics();
  const doc = deploymentOf(await setup.router.capacity(), 'chat');
  for (const [region, e] of Object.entries(expected)) {
    for (const kind of ['input', 'output', 'cached'] as const) {
      assert.equal(
        series(metrics, 'switchyard_tokens_total', { deployment: 'chat', region, kind }),
        e[kind],
        `${region} ${kind}`,
      );
      const r = doc.regions.find((x) => x.region === region);
      assert.equal(r?.tokens[kind], e[kind], `/capacity ${region} ${kind}`);
    }
  }
  const answers = Object.keys(expected).reduce(
    (n, r) => n + (doc.regions.find((x) => x.region === r)?.tokens.answers ?? 0),
    0,
  );
  assert.equal(answers, 3 * asks.length, 'one usage per answer that reported one');
  assert.equal(
    doc.tokens.input,
    Object.values(expected).reduce((n, e) => n + e.input, 0),
  );

  // The tenant's series: a hashed label, never the key itself.
  assert.ok(!metrics.includes('sk-secret-tenant-key'), 'the fairness key is not a label');
  const tenantLines = metrics.split('\n').filter((l) => l.startsWith('switchyard_tenant_tokens_total{'));
  const labels = new Set(tenantLines.map((l) => /tenant="([^"]+)"/.exec(l)?.[1]));
  assert.equal(labels.size, 1);
  assert.match([...labels][0] as string, /^t-[0-9a-f]{12}$/);
  for (const kind of ['input', 'output', 'cached'] as const) {
    assert.equal(
      series(metrics, 'switchyard_tenant_tokens_total', { deployment: 'chat', kind }),
      tenantSent[kind],
      `tenant ${kind}`,
    );
  }
});
