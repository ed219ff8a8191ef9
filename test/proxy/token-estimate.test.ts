import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHAT_PRIMING_TOKENS,
  estimateTokens,
  MEDIA_TOKENS,
  TOKENS_PER_MESSAGE,
  TokenEstimator,
  tokenApiOf,
} from '../../src/proxy/token-estimate.js';

const settings = { asciiBytesPerToken: 4, otherBytesPerToken: 2, defaultMaxOutputTokens: 100 };
const est = (body: unknown, api: Parameters<typeof estimateTokens>[1] = 'chat') =>
  estimateTokens(Buffer.from(JSON.stringify(body)), api, settings);

test('a chat counts the text of its messages, the format overhead and max_tokens', () => {
  const e = est({
    model: 'a-model-name-that-is-not-counted',
    messages: [
      { role: 'system', content: 'x'.repeat(36) }, // 6 + 36 bytes
      { role: 'user', content: 'y'.repeat(38) }, // 4 + 38 bytes
    ],
    max_tokens: 250,
    user: 'not counted either',
  });
  assert.equal(e.prompt, 84 / 4 + 2 * TOKENS_PER_MESSAGE + CHAT_PRIMING_TOKENS);
  assert.equal(e.output, 250);
  assert.equal(e.total, e.prompt + 250);
});

test('the newer maximums count, times n; without one the configured default does', () => {
  assert.equal(est({ messages: [], max_completion_tokens: 70 }).output, 70);
  assert.equal(est({ input: 'hi', max_output_tokens: 9 }, 'responses').output, 9);
  assert.equal(est({ messages: [], max_tokens: 70, n: 3 }).output, 210);
  assert.equal(est({ messages: [{ role: 'user', content: 'hi' }] }).output, 100);
  assert.equal(est({ input: 'embed me', max_tokens: 70 }, 'embeddings').output, 0, 'embeddings answer no tokens');
});

test('Responses input and instructions, completions prompts and token-id prompts', () => {
  assert.equal(est({ instructions: 'abcd'.repeat(10), input: 'efgh'.repeat(5) }, 'responses').prompt, 15);
  assert.equal(est({ prompt: ['abcd'.repeat(4), 'efgh'.repeat(4)] }, 'completions').prompt, 8);
  assert.equal(est({ input: [1, 2, 3, 4, 5] }, 'embeddings').prompt, 5, 'one token per id');
  assert.equal(est({ input: [[1, 2], [3]] }, 'embeddings').prompt, 3);
  const items = est(
    { input: [{ role: 'user', content: [{ type: 'input_text', text: 'abcd'.repeat(8) }] }] },
    'responses',
  );
  assert.equal(
    items.prompt,
    Math.ceil((4 + 32) / 4) + TOKENS_PER_MESSAGE + CHAT_PRIMING_TOKENS,
    "a part's type is not text",
  );
});

test('non-ASCII text has its own ratio, and escapes count as the characters they stand for', () => {
  assert.equal(est({ input: 'é'.repeat(10) }, 'responses').prompt, 10, '20 bytes at 2 per token');
  assert.equal(est({ input: 'a\\nb\\"c\\td' }, 'responses').prompt, Math.ceil(11 / 4));
  assert.equal(estimateTokens(Buffer.from('{"input":"\\u00e9\\u00e9"}'), 'responses', settings).prompt, 2);
});

test('an image counts as a fixed cost, whatever the size of its URL or data', () => {
  const image = `data:image/png;base64,${'A'.repeat(100_000)}`;
  const e = est({
    messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: image, detail: 'high' } }] }],
    max_tokens: 1,
  });
  assert.equal(e.prompt, Math.ceil((4 + 4) / 4) + MEDIA_TOKENS + TOKENS_PER_MESSAGE + CHAT_PRIMING_TOKENS);
  const r = est({ input: [{ role: 'user', content: [{ type: 'input_image', image_url: image }] }] }, 'responses');
  assert.ok(r.prompt < MEDIA_TOKENS + 20);
});

test('tool definitions are prompt text, keys included', () => {
  const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];
  const without = est({ messages: [{ role: 'user', content: 'hi' }] }).prompt;
  const withTools = est({ messages: [{ role: 'user', content: 'hi' }], tools }).prompt;
  assert.ok(withTools - without >= 10, `tools added ${withTools - without} tokens`);
});

test('fed in chunks of any size, the estimate is the same as at once', () => {
  const body = Buffer.from(
    JSON.stringify({
      messages: [{ role: 'user', content: 'Grüße, 世界! '.repeat(50) }],
      max_tokens: 1234,
      n: 2,
      prompt: [1, 2, 3],
    }),
  );
  const whole = estimateTokens(body, 'chat', settings);
  for (const size of [1, 2, 3, 7, 64]) {
    const e = new TokenEstimator(settings);
    for (let i = 0; i < body.length; i += size) e.feed(body.subarray(i, i + size));
    assert.deepEqual(e.finish('chat'), whole, `chunks of ${size}`);
  }
});

test('a body it cannot follow gives a rough count, never an exception', () => {
  for (const body of [
    '',
    '[',
    '{"messages":[{"content":"abc',
    '"just a string"',
    '{"max_tokens":-5,"n":1.5}',
    '{{{{',
  ]) {
    const e = estimateTokens(Buffer.from(body), 'chat', settings);
    assert.ok(Number.isFinite(e.total) && e.total >= 0, body);
  }
  assert.equal(est({ max_tokens: -5 }).output, 100, 'a negative maximum is no maximum');
});

test('the API of a path', () => {
  assert.equal(tokenApiOf('/v1/chat/completions'), 'chat');
  assert.equal(tokenApiOf('/openai/deployments/d/chat/completions?api-version=2024-10-21'), 'chat');
  assert.equal(tokenApiOf('/v1/completions'), 'completions');
  assert.equal(tokenApiOf('/openai/v1/responses'), 'responses');
  assert.equal(tokenApiOf('/v1/embeddings'), 'embeddings');
  assert.equal(tokenApiOf('/v1/files'), 'other');
});
