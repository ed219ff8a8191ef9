import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fleetFor } from './fixture.js';
import { collectReads, firePost, openPost, postJson, sseData } from './client.js';
import { waitFor } from '../helpers/wait.js';

interface Chunk {
  object: string;
  model: string;
  choices: Array<{ delta: { role?: string; content?: string }; finish_reason: string | null }>;
}

test('a stream sends one chunk per token as separate reads over time, then [DONE]', async (t) => {
  const fleet = await fleetFor(t, {
    regions: [{ region: 'a', capacity: 2, ttftMs: 10, perTokenMs: 25 }],
    models: ['m'],
  });
  const region = fleet.region('a');
  const { res } = await openPost(`${region.url}/v1/chat/completions`, { model: 'm', stream: true, max_tokens: 4 });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/event-stream/);
  assert.equal(res.headers['cache-control'], 'no-cache');
  assert.equal(res.headers['x-sim-region'], 'a');

  const { reads, endedAt } = await collectReads(res);
  assert.ok(reads.length >= 2, `expected several reads, got ${reads.length}`);
  const first = reads[0];
  assert.ok(first);
  assert.ok(!first.text.includes('[DONE]'), 'the first read must not already hold the end of the stream');
  assert.ok(first.at < endedAt);

  const events = sseData(reads.map((r) => r.text).join(''));
  assert.equal(events.at(-1), '[DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as Chunk);
  assert.equal(chunks.length, 4);
  assert.ok(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'm'));
  assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant');
  assert.equal(chunks[3]?.choices[0]?.finish_reason, 'stop');
  assert.equal(region.stats.served, 1);
  assert.equal(region.inFlight(), 0);
});

test('a stream without delays writes defaultTokens chunks at once', async (t) => {
  const fleet = await fleetFor(t, { regions: [{ region: 'a', capacity: 2 }], models: ['m'], defaultTokens: 5 });
  const { res } = await openPost(`${fleet.region('a').url}/v1/chat/completions`, { model: 'm', stream: true });
  const { reads } = await collectReads(res);
  const events = sseData(reads.map((r) => r.text).join(''));
  assert.equal(events.length, 6);
  assert.equal(events.at(-1), '[DONE]');
});

test('a client abort mid-stream counts as aborted and frees the slot', async (t) => {
  const fleet = await fleetFor(t, { regions: [{ region: 'a', capacity: 1, perTokenMs: 20 }], models: ['m'] });
  const region = fleet.region('a');
  const chat = `${region.url}/v1/chat/completions`;
  const { req, res } = await openPost(chat, { model: 'm', stream: true, max_tokens: 10_000 });
  await new Promise<void>((resolve) => res.once('data', () => resolve()));
  assert.equal(region.inFlight(), 1);

  req.destroy();
  await waitFor('abort seen by the backend', () => region.stats.aborted === 1 && region.inFlight() === 0);
  assert.equal(region.stats.served, 0);
  // The freed slot admits the next request at capacity 1.
  assert.equal((await postJson(chat, { model: 'm', max_tokens: 1 })).status, 200);
});

test('a client abort while a non-streaming answer is pending frees the slot and its timer', async (t) => {
  const fleet = await fleetFor(t, { regions: [{ region: 'a', capacity: 1, ttftMs: 60_000 }], models: ['m'] });
  const region = fleet.region('a');
  const timersBefore = activeTimers();
  const req = firePost(`${region.url}/v1/chat/completions`, { model: 'm' });
  await waitFor('request admitted', () => region.inFlight() === 1);
  assert.equal(activeTimers(), timersBefore + 1);
  req.destroy();
  await waitFor('abort counted', () => region.stats.aborted === 1 && region.inFlight() === 0);
  // A leaked 60 s answer timer would also keep this test process alive.
  assert.equal(activeTimers(), timersBefore);
});

function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}
