// A backend's headers replace the client's of the same name (in any case), and its
// name for a deployment goes into the Azure path or the body's "model" (content-length
// following), only when a rename applies; a backend without settings has none.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BackendConfig } from '../../src/config/types.js';
import { BackendSettings } from '../../src/proxy/backend-settings.js';
import { JsonModelScan, SCAN_OK } from '../../src/proxy/json-model-scan.js';

function backend(settings: Partial<BackendConfig>): BackendConfig {
  return { region: 'r', url: 'http://127.0.0.1:1', headers: {}, deploymentNames: {}, tls: null, ...settings };
}

function scanned(text: string): { body: Buffer; start: number; end: number } {
  const body = Buffer.from(text);
  const scan = new JsonModelScan();
  scan.feed(body);
  assert.equal(scan.finish(), SCAN_OK);
  return { body, start: scan.modelStart, end: scan.modelEnd };
}

test('a backend without headers or renames has no settings', () => {
  assert.equal(BackendSettings.of(backend({})), null);
  assert.equal(BackendSettings.of(backend({ deploymentNames: { chat: 'chat' } })), null, 'a rename to itself');
});

test("the backend's headers replace the client's of the same name, whatever its case", () => {
  const settings = BackendSettings.of(backend({ headers: { 'api-key': 'backend-key', 'x-team': 'blue' } }))!;
  const out = settings.apply(
    'chat',
    '/v1/chat/completions',
    ['API-Key', 'client-key', 'Accept', 'text/event-stream', 'api-key', 'again', 'x-forwarded-for', '1.1.1.1'],
    null,
    -1,
    -1,
  );
  assert.deepEqual(out.headers, [
    'Accept',
    'text/event-stream',
    'x-forwarded-for',
    '1.1.1.1',
    'api-key',
    'backend-key',
    'x-team',
    'blue',
  ]);
  assert.equal(out.path, '/v1/chat/completions');
  assert.equal(out.body, null);
});

test('a rename rewrites the Azure path segment only, whatever the prefix case and the query', () => {
  const settings = BackendSettings.of(backend({ deploymentNames: { 'chat-global': 'gpt52-prod' } }))!;
  const body = Buffer.from('{"model":"chat-global"}');
  const headers = ['content-type', 'application/json', 'content-length', String(body.length)];
  const out = settings.apply(
    'chat-global',
    '/OpenAI/Deployments/chat-global/chat/completions?api-version=2024-10-21',
    headers,
    body,
    -1,
    -1,
  );
  assert.equal(out.path, '/OpenAI/Deployments/gpt52-prod/chat/completions?api-version=2024-10-21');
  assert.equal(out.body, body, 'the body of an Azure-style request is not touched');
  assert.deepEqual(out.headers, headers);
  const other = settings.apply('chat-eu', '/openai/deployments/chat-eu/embeddings', headers, body, -1, -1);
  assert.equal(other.path, '/openai/deployments/chat-eu/embeddings', 'no rename for that deployment');
});

test("a rename rewrites an OpenAI-style body's model in place, escapes included, and its content-length", () => {
  const settings = BackendSettings.of(backend({ deploymentNames: { 'chat-global': 'gpt52' } }))!;
  for (const text of [
    '{"messages":[{"role":"user","content":"chat-global"}],"model":"chat-global","stream":true}',
    '{ "model" : "chat\\u002dglobal", "input": "x" }',
  ]) {
    const { body, start, end } = scanned(text);
    const out = settings.apply(
      'chat-global',
      '/v1/chat/completions',
      ['content-type', 'application/json', 'x-forwarded-for', '1.1.1.1', 'content-length', String(body.length)],
      body,
      start,
      end,
    );
    const sent = JSON.parse(out.body!.toString()) as Record<string, unknown>;
    assert.equal(sent.model, 'gpt52');
    assert.deepEqual({ ...sent, model: 'chat-global' }, JSON.parse(text), 'nothing else changes');
    assert.deepEqual(out.headers.slice(-2), ['content-length', String(out.body!.length)]);
    assert.equal(out.path, '/v1/chat/completions');
  }
});
