import { test } from 'node:test';
import assert from 'node:assert/strict';
import { carriesUsage, USAGE_TAIL_BYTES, UsageScan, usageIn } from '../../src/proxy/usage-scan.js';

/** Feeds the text to a scan in pieces of `size` bytes, as undici would hand them over. */
function scan(text: string | Buffer, size = 7): ReturnType<UsageScan['result']> {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  const s = new UsageScan();
  for (let i = 0; i < bytes.length; i += size) s.add(bytes.subarray(i, i + size));
  return s.result();
}

const chat = {
  id: 'c1',
  object: 'chat.completion',
  model: 'gpt-4o-2024-08-06',
  choices: [{ index: 0, message: { role: 'assistant', content: 'the "usage": {"prompt_tokens": 999} is text' } }],
  usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150, prompt_tokens_details: { cached_tokens: 64 } },
};

test('a chat completion: prompt, completion and cached tokens, whatever the chunk sizes', () => {
  for (const size of [1, 3, 64, 100_000]) {
    assert.deepEqual(scan(JSON.stringify(chat), size), { input: 120, output: 30, cached: 64 }, `chunks of ${size}`);
  }
});

test('pretty-printed JSON and Azure key order (usage last, after prompt_filter_results)', () => {
  const azure = {
    choices: [],
    created: 1,
    id: 'x',
    model: 'gpt-4o',
    prompt_filter_results: [{ prompt_index: 0 }],
    usage: { completion_tokens: 5, prompt_tokens: 9, total_tokens: 14 },
  };
  assert.deepEqual(scan(JSON.stringify(azure, null, 2)), { input: 9, output: 5, cached: 0 });
});

test('embeddings: prompt tokens only', () => {
  const body = {
    object: 'list',
    data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }],
    model: 'e',
    usage: { prompt_tokens: 8, total_tokens: 8 },
  };
  assert.deepEqual(scan(JSON.stringify(body)), { input: 8, output: 0, cached: 0 });
});

test('a Responses API object: input, output and input_tokens_details.cached_tokens', () => {
  const body = {
    id: 'resp_1',
    object: 'response',
    status: 'completed',
    usage: { input_tokens: 40, input_tokens_details: { cached_tokens: 10 }, output_tokens: 7, total_tokens: 47 },
    user: null,
    metadata: {},
  };
  assert.deepEqual(scan(JSON.stringify(body)), { input: 40, output: 7, cached: 10 });
});

test('a chat stream: the last chunk before [DONE] carries usage, earlier chunks say null', () => {
  const chunk = (content: string) =>
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }], usage: null })}\n\n`;
  const last = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 } })}\n\n`;
  const stream = chunk('a') + chunk('b') + chunk('c') + last + 'data: [DONE]\n\n';
  assert.deepEqual(scan(stream, 13), { input: 11, output: 3, cached: 0 });
  // A stream that did not ask for usage has none.
  assert.equal(scan(chunk('a') + chunk('b') + 'data: [DONE]\n\n'), null);
});

test('a Responses stream: response.completed at the end, after a long output', () => {
  const text = 'word '.repeat(20_000);
  const events =
    `event: response.created\ndata: ${JSON.stringify({ type: 'response.created', response: { id: 'r', usage: null } })}\n\n` +
    `event: response.output_text.delta\ndata: ${JSON.stringify({ type: 'response.output_text.delta', delta: 'word ' })}\n\n` +
    `event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', response: { id: 'r', output: [{ content: [{ text }] }], usage: { input_tokens: 500, input_tokens_details: { cached_tokens: 0 }, output_tokens: 20_000, total_tokens: 20_500 } } })}\n\n`;
  assert.deepEqual(scan(events, 1024), { input: 500, output: 20_000, cached: 0 });
});

test('a huge answer keeps only the chunks that cover its tail', () => {
  const padding = 'x'.repeat(5_000_000);
  const body = `{"id":"c","choices":[{"message":{"content":"${padding}"}}],"usage":{"prompt_tokens":1,"completion_tokens":2}}`;
  const s = new UsageScan();
  const bytes = Buffer.from(body);
  for (let i = 0; i < bytes.length; i += 16_384) s.add(bytes.subarray(i, i + 16_384));
  const held = (s as unknown as { chunks: Buffer[] }).chunks;
  assert.ok(
    held.reduce((n, c) => n + c.length, 0) < USAGE_TAIL_BYTES + 16_384,
    'no more than the tail and one chunk is held',
  );
  assert.deepEqual(s.result(), { input: 1, output: 2, cached: 0 });
});

test('truncated answers: a usage object cut off is not read, a cut before it falls back to nothing', () => {
  const whole = JSON.stringify(chat);
  const cut = whole.slice(0, whole.length - 20);
  assert.equal(scan(cut), null);
  // A stream cut inside the last chunk: the earlier null does not count as usage.
  assert.equal(scan('data: {"usage":null}\n\ndata: {"usage":{"prompt_tokens":4,"comp'), null);
});

test('garbage, non-usage JSON and odd values give null, never a throw', () => {
  for (const text of [
    '',
    'not json at all',
    '{"usage":',
    '{"usage":"many"}',
    '{"usage":{"prompt_tokens":"12"}}',
    '{"usage":{"prompt_tokens":-1,"completion_tokens":3}}',
    '{"usage":{broken json}}',
    `{"usage":{"prompt_tokens":1,"junk":"${'y'.repeat(5000)}"}}`,
    '\u0000\u0001\u0002"usage"\u00ff',
  ]) {
    assert.equal(scan(text), null, JSON.stringify(text.slice(0, 40)));
  }
  assert.equal(usageIn(Buffer.alloc(0)), null);
  assert.equal(new UsageScan().result(), null);
});

test('only JSON and event-stream answers are scanned', () => {
  const h = (value: string) => [Buffer.from('Content-Type'), Buffer.from(value)];
  assert.equal(carriesUsage(h('application/json; charset=utf-8')), true);
  assert.equal(carriesUsage(h('text/event-stream')), true);
  assert.equal(carriesUsage(h('audio/mpeg')), false);
  assert.equal(carriesUsage([Buffer.from('x-other'), Buffer.from('json')]), false);
  assert.equal(carriesUsage([]), false);
});
