import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startFakeBackend, startStaticTelemetry, closedPort } from '../helpers/fake-backend.js';
import { baseConfig, deploymentOf, startRouter } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** The router in front of `servers`, all stopped when the test ends. */
async function routerFor(
  t: { after: (fn: () => Promise<void>) => void },
  config: Record<string, unknown>,
  servers: Array<{ close(): Promise<void> }>,
) {
  const r = await startRouter(baseConfig(config));
  t.after(async () => {
    await r.stop();
    for (const s of servers) await s.close();
  });
  return r;
}

async function echoBackend(region: string) {
  return startFakeBackend((req, res, body) => {
    const echo: Echo = { method: req.method!, url: req.url!, headers: req.headers, body: body.toString('utf8') };
    res.writeHead(201, {
      'content-type': 'application/json',
      'x-backend': region,
      'keep-alive': 'timeout=5',
      'x-custom-hop': 'drop-me',
      connection: 'x-custom-hop',
    });
    res.end(JSON.stringify(echo));
  });
}

test('requests are forwarded unchanged, hop-by-hop headers dropped, and the region is named', async (t) => {
  const b1 = await echoBackend('r1');
  const telemetry = await startStaticTelemetry(() => [{ region: 'r1', model: 'm', capacity: 10, inUse: 0 }]);
  const r = await routerFor(
    t,
    {
      zones: { z: ['r1'] },
      backends: [{ region: 'r1', url: b1.url }],
      deployments: [
        { name: 'chat', model: 'm', type: 'regional', region: 'r1' },
        { name: 'other', model: 'm', type: 'regional', region: 'r1' },
      ],
      telemetry: { url: telemetry.url, intervalMs: 100 },
      log: { level: 'info', requests: true },
    },
    [b1, telemetry],
  );
  await waitFor('normal mode', async () => deploymentOf(await r.capacity(), 'chat').mode === 'normal');

  const body = JSON.stringify({ model: 'other', messages: [{ role: 'user', content: 'héllo' }] });
  const res = await new Promise<{ status: number; headers: Record<string, unknown>; text: string }>(
    (resolve, reject) => {
      const req = request(
        `${r.url}/openai/deployments/chat/chat/completions?api-version=2024-10-21&x=1`,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: 'Bearer k',
            'x-forwarded-for': '10.1.2.3',
            connection: 'keep-alive, x-secret',
            'x-secret': 'hop',
            te: 'trailers',
          },
        },
        (resp) => {
          let text = '';
          resp.setEncoding('utf8');
          resp.on('data', (c: string) => (text += c));
          resp.on('end', () => resolve({ status: resp.statusCode!, headers: resp.headers, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    },
  );
  assert.equal(res.status, 201, 'status passes through');
  assert.equal(res.headers['x-switchyard-region'], 'r1');
  assert.equal(res.headers['x-backend'], 'r1', 'end-to-end response headers pass through');
  assert.equal(res.headers['x-custom-hop'], undefined, 'a header the upstream named in Connection stays upstream');
  const echo = JSON.parse(res.text) as Echo;
  assert.equal(echo.method, 'POST');
  assert.equal(
    echo.url,
    '/openai/deployments/chat/chat/completions?api-version=2024-10-21&x=1',
    'path and query unchanged',
  );
  assert.equal(echo.body, body, "body unchanged (the path wins over the body's model)");
  assert.equal(echo.headers.authorization, 'Bearer k');
  assert.equal(echo.headers.host, new URL(b1.url).host, "Host is the backend's");
  assert.equal(echo.headers['x-secret'], undefined, 'headers named in Connection are dropped');
  assert.equal(echo.headers.te, undefined, 'TE is hop-by-hop');
  assert.equal(echo.headers['x-forwarded-for'], '10.1.2.3, 127.0.0.1');
  assert.equal(echo.headers['content-length'], String(Buffer.byteLength(body)));
  const line = await waitFor('the access log line', () => r.logs.find((l) => l.msg === 'request'));
  assert.equal(line.deployment, 'chat');
  assert.equal(line.region, 'r1');
  assert.equal(line.status, 201);
  assert.equal(line.attempts, 1);
});

test("router errors are JSON with the contract's codes", async (t) => {
  const b1 = await echoBackend('r1');
  const telemetry = await startStaticTelemetry(() => [{ region: 'r1', model: 'm', capacity: 10, inUse: 0 }]);
  const r = await routerFor(
    t,
    {
      zones: { z: ['r1'] },
      backends: [{ region: 'r1', url: b1.url }],
      deployments: [{ name: 'chat', model: 'm', type: 'global' }],
      telemetry: { url: telemetry.url },
      limits: { maxBodyBytes: 1024 },
    },
    [b1, telemetry],
  );
  const post = async (path: string, body: string) => {
    const res = await fetch(`${r.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      json: (await res.json()) as { error: { code: string; message: string } },
    };
  };
  const notFound = await post('/openai/deployments/nope/chat/completions', '{}');
  assert.equal(notFound.status, 404);
  assert.equal(notFound.json.error.code, 'DeploymentNotFound');
  assert.match(notFound.type ?? '', /application\/json/);
  const notFoundBody = await post('/v1/chat/completions', '{"model":"nope"}');
  assert.equal(notFoundBody.status, 404);
  const badJson = await post('/v1/chat/completions', '{"model":');
  assert.equal(badJson.status, 400);
  assert.equal(badJson.json.error.code, 'InvalidJson');
  const noModel = await post('/v1/chat/completions', '{"messages":[]}');
  assert.equal(noModel.status, 400);
  assert.equal(noModel.json.error.code, 'MissingDeployment');
  const tooBig = await post('/v1/chat/completions', JSON.stringify({ model: 'chat', pad: 'x'.repeat(2000) }));
  assert.equal(tooBig.status, 413);
  assert.equal(tooBig.json.error.code, 'PayloadTooLarge');
  const ok = await post('/v1/chat/completions', '{"model":"chat"}');
  assert.equal(ok.status, 201, 'OpenAI style: deployment from the body');
  assert.match(await r.metrics(), /switchyard_requests_total\{deployment="none",region="none",code="404"\} 2/);
});

test('a connection error is retried once on another region inside the boundary', async (t) => {
  const good = await echoBackend('r2');
  const deadPort = await closedPort();
  const outside = await echoBackend('far');
  const telemetry = await startStaticTelemetry(() => [
    { region: 'r1', model: 'm', capacity: 100, inUse: 0 },
    { region: 'r2', model: 'm', capacity: 100, inUse: 0 },
    { region: 'far', model: 'm', capacity: 100000, inUse: 0 },
  ]);
  const r = await routerFor(
    t,
    {
      zones: { z: ['r1', 'r2'], other: ['far'] },
      backends: [
        { region: 'r1', url: `http://127.0.0.1:${deadPort}` },
        { region: 'r2', url: good.url },
        { region: 'far', url: outside.url },
      ],
      deployments: [
        { name: 'chat', model: 'm', type: 'datazone', zone: 'z' },
        { name: 'solo', model: 'm', type: 'regional', region: 'r1' },
      ],
      telemetry: { url: telemetry.url, intervalMs: 100 },
    },
    [good, outside, telemetry],
  );
  await waitFor('normal mode', async () => deploymentOf(await r.capacity(), 'chat').mode === 'normal');
  const regions = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const res = await fetch(`${r.url}/openai/deployments/chat/chat/completions`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 201);
    regions.add(res.headers.get('x-switchyard-region')!);
    await res.text();
  }
  assert.deepEqual([...regions], ['r2'], 'every request ends in r2; none leaves the zone');
  assert.match(await r.metrics(), /switchyard_retries_total\{deployment="chat",reason="connect-error"\} [1-9]/);

  // A regional deployment has nowhere else to go: a JSON 503 with Retry-After, never the other zone.
  const solo = await fetch(`${r.url}/openai/deployments/solo/chat/completions`, { method: 'POST', body: '{}' });
  assert.equal(solo.status, 503);
  assert.ok(solo.headers.get('retry-after') !== null);
  assert.equal(((await solo.json()) as { error: { code: string } }).error.code, 'NoRegionAvailable');
});

test('an upstream that never answers gives a JSON 504 after headersTimeoutMs', async (t) => {
  const silent = await startFakeBackend(() => {
    /* never answers */
  });
  const telemetry = await startStaticTelemetry(() => [{ region: 'r1', model: 'm', capacity: 10, inUse: 0 }]);
  const r = await routerFor(
    t,
    {
      zones: { z: ['r1'] },
      backends: [{ region: 'r1', url: silent.url }],
      deployments: [{ name: 'chat', model: 'm', type: 'global' }],
      telemetry: { url: telemetry.url },
      upstream: { headersTimeoutMs: 300 },
    },
    [silent, telemetry],
  );
  const res = await fetch(`${r.url}/openai/deployments/chat/chat/completions`, { method: 'POST', body: '{}' });
  assert.equal(res.status, 504);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'UpstreamTimeout');
});

test('an upstream answer that cannot be relayed gives a JSON 502 and the router keeps serving', async (t) => {
  // A raw TCP backend: a header value with a control character, which neither a
  // strict parser nor Node's response writer accepts.
  const { createServer } = await import('node:net');
  const raw = createServer((socket) => {
    socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nx-bad: a\u0001b\r\ncontent-length: 2\r\n\r\nok'));
  });
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  const port = (raw.address() as { port: number }).port;
  const rawServer = { close: () => new Promise<void>((resolve) => raw.close(() => resolve())) };
  const telemetry = await startStaticTelemetry(() => [{ region: 'r1', model: 'm', capacity: 10, inUse: 0 }]);
  const r = await routerFor(
    t,
    {
      zones: { z: ['r1'] },
      backends: [{ region: 'r1', url: `http://127.0.0.1:${port}` }],
      deployments: [{ name: 'chat', model: 'm', type: 'global' }],
      telemetry: { url: telemetry.url },
    },
    [rawServer, telemetry],
  );
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${r.url}/openai/deployments/chat/chat/completions`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 502);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'UpstreamError');
  }
  assert.equal((await fetch(`${r.adminUrl}/healthz`)).status, 200);
});
