// Per-backend settings against fake backends that record exactly what they received:
// headers set (a client header of the same name never reaches that backend), renamed
// deployments (Azure path, OpenAI body, content-length), https with a CA made for the
// run, and the secret values nowhere in logs, /capacity or /metrics.
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { test } from 'node:test';
import { closedPort, type FakeBackend, startFakeBackend } from '../helpers/fake-backend.js';
import { baseConfig, startRouter } from '../helpers/router-harness.js';
import { makeTestCa } from '../helpers/test-ca.js';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: string[];
  readonly body: string;
}

/** A backend that records each request and answers a small chat.completion. */
async function recordingBackend(tls: { key: string; cert: string } | null = null) {
  const received: Received[] = [];
  const backend = await startFakeBackend((req, res, body) => {
    received.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body: body.toString('utf8'),
    });
    const answer = JSON.stringify({ object: 'chat.completion', choices: [] });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
    res.end(answer);
  }, tls);
  return { backend, received };
}

const SECRET_A = 'sk-east-7f3a9c1e5b';
const SECRET_B = 'sk-west-2d8e4b6a0c';

test('headers and renames are applied per backend; a client header they replace never reaches it', async (t) => {
  const a = await recordingBackend();
  const b = await recordingBackend();
  process.env.SWITCHYARD_TEST_KEY_A = SECRET_A;
  const r = await startRouter(
    baseConfig({
      zones: { z: ['east', 'west'] },
      backends: [
        {
          region: 'east',
          url: a.backend.url,
          headers: { 'api-key': '${SWITCHYARD_TEST_KEY_A}', 'x-team': 'search' },
          deploymentNames: { 'chat-east': 'gpt52-prod' },
        },
        { region: 'west', url: b.backend.url },
      ],
      deployments: [
        { name: 'chat-east', model: 'm', type: 'regional', region: 'east' },
        { name: 'chat-west', model: 'm', type: 'regional', region: 'west' },
      ],
      telemetry: { url: `http://127.0.0.1:${await closedPort()}/telemetry` },
      log: { level: 'debug', requests: true },
    }),
  );
  t.after(async () => {
    delete process.env.SWITCHYARD_TEST_KEY_A;
    await r.stop();
    await a.backend.close();
    await b.backend.close();
  });

  // Azure style: the path segment is renamed, the body is not touched.
  const azureBody = '{"messages":[{"role":"user","content":"chat-east"}],"model":"chat-east"}';
  const azure = await fetch(`${r.url}/openai/deployments/chat-east/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'API-KEY': 'client-key', 'X-Team': 'client-team' },
    body: azureBody,
  });
  assert.equal(azure.status, 200);
  await azure.text();
  const first = a.received[0]!;
  assert.equal(first.url, '/openai/deployments/gpt52-prod/chat/completions?api-version=2024-10-21');
  assert.equal(first.body, azureBody);
  const named = (name: string) => first.rawHeaders.filter((_, i) => i % 2 === 0 && _.toLowerCase() === name);
  assert.equal(named('api-key').length, 1, 'one api-key header: the backend one');
  assert.equal(first.headers['api-key'], SECRET_A);
  assert.equal(first.headers['x-team'], 'search');
  assert.equal(first.headers['content-type'], 'application/json', 'other client headers pass');

  // OpenAI style: the body's model is renamed, content-length follows, nothing else moves.
  const openaiBody = '{"model":"chat-east","stream":false,"messages":[{"role":"user","content":"chat-east"}]}';
  const openai = await fetch(`${r.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-key': 'client-key' },
    body: openaiBody,
  });
  assert.equal(openai.status, 200);
  await openai.text();
  const second = a.received[1]!;
  assert.equal(second.url, '/v1/chat/completions');
  assert.equal(second.body, openaiBody.replace('"model":"chat-east"', '"model":"gpt52-prod"'));
  assert.equal(second.headers['content-length'], String(Buffer.byteLength(second.body)));
  assert.equal(second.headers['api-key'], SECRET_A);

  // A backend without settings gets the request as the client sent it.
  const west = await fetch(`${r.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'api-key': 'client-key' },
    body: '{"model":"chat-west"}',
  });
  assert.equal(west.status, 200);
  await west.text();
  assert.equal(b.received[0]!.headers['api-key'], 'client-key');
  assert.equal(b.received[0]!.body, '{"model":"chat-west"}');

  const capacity = await (await fetch(`${r.adminUrl}/capacity`)).text();
  const metrics = await r.metrics();
  for (const [where, text] of [
    ['logs', JSON.stringify(r.logs)],
    ['/capacity', capacity],
    ['/metrics', metrics],
  ] as const) {
    assert.doesNotMatch(text, new RegExp(SECRET_A), `the key is not in ${where}`);
  }
  assert.ok(
    r.logs.some((l) => l.msg === 'request'),
    'the access log was on',
  );
});

test('https backends: a private CA from tls.caFile, servername for SNI, and a wrong CA fails over', async (t) => {
  const ca = makeTestCa(t);
  if (ca === null) return;
  const trusted = await recordingBackend({ key: ca.serverKey, cert: ca.serverCert });
  const untrusted = await recordingBackend({ key: ca.serverKey, cert: ca.serverCert });
  process.env.SWITCHYARD_TEST_KEY_B = SECRET_B;
  const r = await startRouter(
    baseConfig({
      zones: { z: ['good', 'bad'] },
      backends: [
        {
          region: 'good',
          url: trusted.backend.url,
          headers: { 'api-key': '${SWITCHYARD_TEST_KEY_B}' },
          tls: { caFile: ca.caFile, servername: 'backend.test' },
        },
        // Node's bundled roots do not know the test CA: every handshake fails.
        { region: 'bad', url: untrusted.backend.url },
      ],
      deployments: [
        { name: 'chat', model: 'm', type: 'global' },
        { name: 'chat-bad', model: 'm', type: 'regional', region: 'bad' },
      ],
      telemetry: { url: `http://127.0.0.1:${await closedPort()}/telemetry` },
    }),
  );
  t.after(async () => {
    delete process.env.SWITCHYARD_TEST_KEY_B;
    await r.stop();
    await trusted.backend.close();
    await untrusted.backend.close();
  });

  // A region whose only backend cannot be trusted: nothing to retry on.
  const bad = await fetch(`${r.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"chat-bad"}' });
  assert.equal(bad.status, 503);
  const error = (await bad.json()) as { error: { code: string; type: string; message: string } };
  assert.equal(error.error.code, 'NoRegionAvailable');
  assert.equal(error.error.type, 'server_error');
  assert.match(error.error.message, /region bad could not be connected to \(\w+\)/);

  // Both regions get picked: a failed handshake is retried in the other region.
  for (let i = 0; i < 6; i++) {
    const res = await fetch(`${r.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"chat"}' });
    assert.equal(res.status, 200, `request ${i}`);
    assert.equal(res.headers.get('x-switchyard-region'), 'good');
    await res.text();
  }
  assert.equal(trusted.received.length, 6);
  assert.equal(trusted.received[0]!.headers['api-key'], SECRET_B);
  assert.equal(untrusted.received.length, 0, 'nothing reaches a backend whose certificate is not trusted');

  const metrics = await r.metrics();
  assert.match(metrics, /switchyard_upstream_errors_total\{region="bad",error="[A-Z_]+"\} [1-9]/);
  assert.doesNotMatch(metrics + JSON.stringify(r.logs), new RegExp(SECRET_B));
});

test('rejectUnauthorized: false accepts a certificate no CA vouches for', async (t) => {
  const ca = makeTestCa(t);
  if (ca === null) return;
  const backend: { backend: FakeBackend; received: Received[] } = await recordingBackend({
    key: ca.serverKey,
    cert: ca.serverCert,
  });
  const r = await startRouter(
    baseConfig({
      zones: { z: ['r1'] },
      backends: [{ region: 'r1', url: backend.backend.url, tls: { rejectUnauthorized: false } }],
      deployments: [{ name: 'chat', model: 'm', type: 'global' }],
      telemetry: { url: `http://127.0.0.1:${await closedPort()}/telemetry` },
    }),
  );
  t.after(async () => {
    await r.stop();
    await backend.backend.close();
  });
  const res = await fetch(`${r.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"chat"}' });
  assert.equal(res.status, 200);
  await res.text();
  assert.equal(backend.received.length, 1);
});
