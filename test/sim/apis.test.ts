// The simulated backend speaks the Responses API and embeddings besides chat, on
// OpenAI's and Azure OpenAI's paths, with the same capacity slots.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openPost, postJson } from './client.js';
import { fleetFor } from './fixture.js';

interface ResponseObject {
  object: string;
  status: string;
  model: string;
  output: Array<{ type: string; role: string; content: Array<{ type: string; text: string }> }>;
  usage: { output_tokens: number };
}

test('POST /v1/responses answers a completed response object', async (t) => {
  const fleet = await fleetFor(t, { regions: [{ region: 'a', capacity: 2 }], models: ['m'] });
  const res = await postJson(`${fleet.region('a').url}/v1/responses`, {
    model: 'm',
    input: 'hi',
    max_output_tokens: 3,
  });
  assert.equal(res.status, 200);
  const body = JSON.parse(res.body) as ResponseObject;
  assert.equal(body.object, 'response');
  assert.equal(body.status, 'completed');
  assert.equal(body.model, 'm');
  assert.equal(body.output[0]?.type, 'message');
  assert.equal(body.output[0]?.content[0]?.type, 'output_text');
  assert.equal(body.output[0]?.content[0]?.text.trim().split(' ').length, 3);
  assert.equal(body.usage.output_tokens, 3);
  assert.equal(fleet.region('a').stats.served, 1);
});

test('a streamed response sends the Responses API events in order, with growing sequence numbers', async (t) => {
  const fleet = await fleetFor(t, { regions: [{ region: 'a', capacity: 2, perTokenMs: 1 }], models: ['m'] });
  const { res } = await openPost(`${fleet.region('a').url}/openai/v1/responses`, {
    model: 'm',
    input: 'hi',
    stream: true,
    max_output_tokens: 2,
  });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/event-stream/);
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res) text += chunk as string;
  const events = text
    .split('\n\n')
    .filter((e) => e !== '')
    .map((e) => {
      const [eventLine, dataLine] = e.split('\n');
      const data = JSON.parse(dataLine!.slice('data: '.length)) as { type: string; sequence_number: number };
      assert.equal(eventLine, `event: ${data.type}`);
      return data;
    });
  assert.deepEqual(
    events.map((e) => e.type),
    [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ],
  );
  assert.deepEqual(
    events.map((e) => e.sequence_number),
    events.map((_, i) => i),
  );
  assert.doesNotMatch(text, /\[DONE\]/);
});

test('embeddings: one unit vector per input, as floats or base64 float32s, on every path form', async (t) => {
  const fleet = await fleetFor(t, { regions: [{ region: 'a', capacity: 2 }], models: ['m'] });
  const url = fleet.region('a').url;
  const floats = await postJson(`${url}/v1/embeddings`, { model: 'm', input: ['a', 'b'], dimensions: 4 });
  assert.equal(floats.status, 200);
  const body = JSON.parse(floats.body) as { object: string; data: Array<{ index: number; embedding: number[] }> };
  assert.equal(body.object, 'list');
  assert.deepEqual(
    body.data.map((d) => d.index),
    [0, 1],
  );
  const v = body.data[0]!.embedding;
  assert.equal(v.length, 4);
  assert.ok(Math.abs(v.reduce((s, x) => s + x * x, 0) - 1) < 1e-6, 'unit length');

  const azure = await postJson(`${url}/openai/deployments/emb-eu/embeddings?api-version=2024-10-21`, {
    input: 'a',
    encoding_format: 'base64',
  });
  assert.equal(azure.status, 200);
  const encoded = JSON.parse(azure.body) as { model: string; data: Array<{ embedding: string }> };
  assert.equal(encoded.model, 'emb-eu', 'the Azure path names the deployment');
  const raw = Buffer.from(encoded.data[0]!.embedding, 'base64');
  assert.equal(raw.length, 8 * 4, 'eight float32s by default');
  assert.ok(Math.abs(raw.readFloatLE(0) - 1 / Math.sqrt(8)) < 1e-6);

  const bad = await postJson(`${url}/openai/v1/embeddings`, { model: 'm', input: [] });
  assert.equal(bad.status, 400);
});

test('every API shares the capacity: a full region answers 429 to embeddings and responses too', async (t) => {
  const fleet = await fleetFor(t, { regions: [{ region: 'a', capacity: 1, ttftMs: 60_000 }], models: ['m'] });
  const url = fleet.region('a').url;
  const held = await openPost(`${url}/v1/chat/completions`, { model: 'm', stream: true });
  t.after(() => held.req.destroy());
  assert.equal(fleet.region('a').inFlight(), 1);
  assert.equal((await postJson(`${url}/v1/embeddings`, { model: 'm', input: 'x' })).status, 429);
  assert.equal((await postJson(`${url}/openai/responses?api-version=preview`, { model: 'm', input: 'x' })).status, 429);
  assert.equal(fleet.region('a').stats.rejected429, 2);
});

test('paths that are not an API answer 404, and an API answers only POST', async (t) => {
  const fleet = await fleetFor(t, { regions: [{ region: 'a', capacity: 1 }], models: ['m'] });
  const url = fleet.region('a').url;
  for (const path of ['/v1/constructor', '/openai/deployments//responses', '/openai/deployments/x/y/embeddings']) {
    assert.equal((await postJson(`${url}${path}`, { model: 'm' })).status, 404, path);
  }
  const get = await fetch(`${url}/v1/responses`);
  assert.equal(get.status, 405);
  await get.text();
});
