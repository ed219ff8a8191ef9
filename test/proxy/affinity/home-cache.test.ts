// The home cache is bounded, least recently used out first; the learner reads ids off
// JSON bodies and SSE streams, across chunk boundaries, from successful answers only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnswerLearner } from '../../../src/proxy/affinity/answer-learner.js';
import { HomeCache } from '../../../src/proxy/affinity/home-cache.js';

test('bounded: the least recently used entry goes first; lookups are counted', () => {
  const cache = new HomeCache(2);
  cache.remember('a', { region: 'r1', deployment: null });
  cache.remember('b', { region: 'r2', deployment: null });
  assert.equal(cache.lookup('a')?.region, 'r1');
  cache.remember('c', { region: 'r3', deployment: null });
  assert.equal(cache.peek('b'), undefined, 'b was the least recently used');
  assert.equal(cache.lookup('missing'), undefined);
  assert.deepEqual([cache.size, cache.hits, cache.misses], [2, 1, 1]);
  cache.resize(1);
  assert.equal(cache.size, 1);
  assert.equal(cache.peek('c')?.region, 'r3');
});

test('a JSON answer: the response and its reasoning item; not ids under other keys', () => {
  const cache = new HomeCache(100);
  let learned = 0;
  const learner = new AnswerLearner(cache, 'chat', [], (n) => {
    learned += n;
  });
  learner.head('eastus', 200);
  learner.data(
    Buffer.from(
      JSON.stringify({
        id: 'resp_abc',
        previous_response_id: 'resp_old',
        output: [
          { id: 'rs_1', type: 'reasoning' },
          { id: 'msg_1', type: 'message' },
        ],
      }),
    ),
  );
  assert.deepEqual(cache.peek('resp_abc'), { region: 'eastus', deployment: 'chat' });
  assert.equal(cache.peek('rs_1')?.region, 'eastus');
  assert.equal(cache.peek('resp_old'), undefined, 'a reference is not a new object');
  assert.equal(cache.peek('msg_1'), undefined, 'message items are not stored state the router routes by');
  assert.equal(learned, 2);
});

test('an SSE stream with an id cut between two chunks', () => {
  const cache = new HomeCache(100);
  const learner = new AnswerLearner(cache, 'chat', [], () => undefined);
  learner.head('westus', 200);
  const event = 'event: response.created\ndata: {"type":"response.created","response":{"id":"resp_streamed42"}}\n\n';
  const cut = event.indexOf('streamed');
  learner.data(Buffer.from(event.slice(0, cut)));
  assert.equal(cache.size, 0);
  learner.data(Buffer.from(event.slice(cut)));
  assert.equal(cache.peek('resp_streamed42')?.region, 'westus');
});

test('an error answer teaches nothing; a success confirms the replayed items it was sent', () => {
  const cache = new HomeCache(100);
  const failed = new AnswerLearner(cache, 'chat', ['rs_replayed'], () => undefined);
  failed.head('a', 400);
  failed.data(Buffer.from('{"id":"resp_x"}'));
  assert.equal(cache.size, 0);
  const ok = new AnswerLearner(cache, 'chat', ['rs_replayed'], () => undefined);
  ok.head('b', 200);
  assert.equal(cache.peek('rs_replayed')?.region, 'b');
});
