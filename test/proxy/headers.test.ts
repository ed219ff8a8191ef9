import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientResponseHeaders, upstreamRequestHeaders } from '../../src/proxy/headers.js';
import { JsonModelScan } from '../../src/proxy/json-model-scan.js';
import { deploymentFromBody, deploymentFromPath } from '../../src/proxy/request-target.js';

test('upstream headers drop hop-by-hop ones, Host and Content-Length, and extend X-Forwarded-For', () => {
  const out = upstreamRequestHeaders(
    [
      'Host',
      'router',
      'Connection',
      'keep-alive, X-Trace',
      'X-Trace',
      '1',
      'Content-Length',
      '99',
      'Transfer-Encoding',
      'chunked',
      'X-Forwarded-For',
      '1.1.1.1',
      'Authorization',
      'k',
    ],
    '2.2.2.2',
    5,
  );
  assert.deepEqual(out, ['Authorization', 'k', 'x-forwarded-for', '1.1.1.1, 2.2.2.2', 'content-length', '5']);
});

test("the router's own headers and the Inference Extension's are read, not forwarded; a custom fairness header is", () => {
  const out = upstreamRequestHeaders(
    [
      'X-Switchyard-Priority',
      '-1',
      'x-switchyard-max-wait-ms',
      '100',
      'x-switchyard-deployment',
      'chat',
      'X-Gateway-Inference-Objective',
      'batch',
      'x-gateway-inference-fairness-id',
      'tenant-1',
      'api-key',
      'secret',
      'x-switchy',
      'kept',
    ],
    '10.0.0.1',
    null,
  );
  assert.deepEqual(out, ['api-key', 'secret', 'x-switchy', 'kept', 'x-forwarded-for', '10.0.0.1']);
});

test("with in-band telemetry on, backends are asked for ORCA's TEXT form instead of what the client asked for", () => {
  const raw = ['Endpoint-Load-Metrics-Format', 'json', 'Authorization', 'k'];
  assert.deepEqual(upstreamRequestHeaders(raw, '2.2.2.2', null, true), [
    'Authorization',
    'k',
    'x-forwarded-for',
    '2.2.2.2',
    'endpoint-load-metrics-format',
    'text',
  ]);
  assert.deepEqual(
    upstreamRequestHeaders(raw, '2.2.2.2', null, false),
    ['Endpoint-Load-Metrics-Format', 'json', 'Authorization', 'k', 'x-forwarded-for', '2.2.2.2'],
    'off: the client header passes as it came',
  );
});

test('response headers drop hop-by-hop ones and name the region, replacing any upstream claim', () => {
  const raw = [
    'Content-Type',
    'text/event-stream',
    'Transfer-Encoding',
    'chunked',
    'Connection',
    'x-a',
    'X-A',
    '1',
    'x-switchyard-region',
    'spoof',
  ].map((s) => Buffer.from(s));
  assert.deepEqual(clientResponseHeaders(raw, 'eu1'), [
    'Content-Type',
    'text/event-stream',
    'x-switchyard-region',
    'eu1',
  ]);
});

test("the deployment comes from an Azure path, else from the body's model", () => {
  assert.equal(deploymentFromPath('/openai/deployments/chat-eu/chat/completions?api-version=1'), 'chat-eu');
  assert.equal(deploymentFromPath('/openai/deployments/chat%2Deu/x'), 'chat-eu');
  assert.equal(deploymentFromPath('/openai/deployments/'), null);
  assert.equal(deploymentFromPath('/v1/chat/completions'), null);
  assert.equal(deploymentFromPath('/OpenAI/Deployments/chat-eu/x'), 'chat-eu', 'the prefix in any case');
  const fromBody = (text: string) => {
    const body = Buffer.from(text);
    const scan = new JsonModelScan();
    scan.feed(body);
    return deploymentFromBody(body, scan, 1000);
  };
  assert.deepEqual(fromBody('{"model":"m1"}'), { ok: true, deployment: 'm1' });
  assert.equal(fromBody('[1]').ok, false);
  assert.equal(fromBody('').ok, false);
});
