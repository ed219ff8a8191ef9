// Only the methods of the APIs the router fronts are forwarded. TRACE would have a
// backend echo the request, the api-key the router adds for it included; CONNECT asks
// for a tunnel. Both, and every other method, get 405 MethodNotAllowed with Allow.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFakeBackend, startStaticTelemetry } from '../helpers/fake-backend.js';
import { headerValues, rawRequest } from '../helpers/strict-http.js';
import { baseConfig, deploymentOf, startRouter } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

const API_KEY = 'backend-key-5e1f0c';
const ALLOW = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

async function echoingFleet(t: { after: (fn: () => Promise<void>) => void }) {
  const received: string[] = [];
  // Answers every request with what it received, as a TRACE-honouring server does.
  const backend = await startFakeBackend((req, res) => {
    received.push(`${req.method} ${req.url}`);
    const body = JSON.stringify({ method: req.method, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  const telemetry = await startStaticTelemetry(() => [{ region: 'r1', model: 'm', capacity: 100, inUse: 0 }]);
  const router = await startRouter(
    baseConfig({
      zones: { z: ['r1'] },
      backends: [{ region: 'r1', url: backend.url, headers: { 'api-key': API_KEY } }],
      deployments: [{ name: 'chat', model: 'm', type: 'global' }],
      telemetry: { url: telemetry.url, intervalMs: 100 },
      log: { level: 'info', requests: true },
    }),
  );
  t.after(async () => {
    await router.stop();
    await backend.close();
    await telemetry.close();
  });
  await waitFor('normal mode', async () => deploymentOf(await router.capacity(), 'chat').mode === 'normal');
  return { router, received, port: Number(new URL(router.url).port) };
}

const head = (method: string, target: string, extra = '') =>
  `${method} ${target} HTTP/1.1\r\nhost: router\r\n${extra}connection: close\r\n\r\n`;

test('TRACE and other methods no API uses are refused with 405 and Allow; the api-key never comes back', async (t) => {
  const f = await echoingFleet(t);
  // The backend does echo: a POST shows what a forwarded TRACE would have shown.
  const post = await rawRequest(
    f.port,
    `${head('POST', '/v1/chat/completions', 'content-type: application/json\r\ncontent-length: 16\r\n')}{"model":"chat"}`,
  );
  assert.equal(post.status, 200);
  assert.match(post.text, new RegExp(API_KEY), 'the backend echoes the api-key the router adds');
  f.received.length = 0;
  const targets = [
    '/openai/deployments/chat/chat/completions?api-version=2024-10-21',
    '/v1/chat/completions',
    '/v1/models',
    '*',
  ];
  for (const method of ['TRACE', 'PROPFIND', 'QUERY', 'SEARCH']) {
    for (const target of targets) {
      const answer = await rawRequest(f.port, head(method, target, 'content-length: 0\r\n'));
      const label = `${method} ${target}`;
      assert.doesNotMatch(answer.text, new RegExp(API_KEY), `${label}: the api-key came back`);
      assert.equal(answer.status, 405, label);
      assert.deepEqual(headerValues(answer, 'allow'), [ALLOW], label);
      const contentType = headerValues(answer, 'content-type');
      assert.equal(contentType.length, 1, label);
      assert.match(contentType[0] ?? '', /^application\/json/, label);
      const error = (JSON.parse(answer.text) as { error: { code: string; type: string } }).error;
      assert.deepEqual([error.code, error.type], ['MethodNotAllowed', 'invalid_request_error'], label);
    }
  }
  assert.deepEqual(f.received, [], 'no refused request reached the backend');
  const logged = f.router.logs.filter((l) => l.msg === 'request' && l.code === 'MethodNotAllowed');
  assert.equal(logged.length, 16, 'each one in the access log');
  assert.match(await f.router.metrics(), /switchyard_requests_total\{deployment="none",region="none",code="405"\} 16/);
});

test('CONNECT gets a clean 405 answer instead of a dropped connection, and no tunnel', async (t) => {
  const f = await echoingFleet(t);
  for (const target of ['127.0.0.1:443', `${new URL(f.router.url).host}`, 'ops:pw@proxy.example:443']) {
    const answer = await rawRequest(
      f.port,
      `CONNECT ${target} HTTP/1.1\r\nhost: ${target}\r\n\r\nGET / HTTP/1.1\r\n\r\n`,
    );
    assert.equal(answer.status, 405, target);
    assert.deepEqual(headerValues(answer, 'allow'), [ALLOW]);
    assert.deepEqual(headerValues(answer, 'connection'), ['close']);
    assert.equal((JSON.parse(answer.text) as { error: { code: string } }).error.code, 'MethodNotAllowed');
    assert.doesNotMatch(answer.text, new RegExp(API_KEY));
  }
  assert.deepEqual(f.received, []);
  const logged = f.router.logs.filter((l) => l.msg === 'request' && l.method === 'CONNECT');
  assert.equal(logged.length, 3);
  assert.ok(
    logged.every((l) => l.status === 405 && !String(l.path).includes('pw@')),
    'logged, userinfo redacted',
  );
  await waitFor('no request in flight', () => f.router.router.requestsInFlight === 0);
  // The data plane still serves.
  const res = await fetch(`${f.router.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"chat"}' });
  assert.equal(res.status, 200);
  await res.text();
});

test("TRACK is no method to Node's parser: refused before the router sees it, never forwarded", async (t) => {
  const f = await echoingFleet(t);
  const answer = await rawRequest(f.port, head('TRACK', '/v1/chat/completions'));
  assert.equal(answer.status, 400);
  assert.doesNotMatch(answer.text, new RegExp(API_KEY));
  assert.deepEqual(f.received, []);
});
