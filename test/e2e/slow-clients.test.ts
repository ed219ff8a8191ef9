// Slow clients cannot hold slots: a request body not fully received within
// limits.requestBodyTimeoutMs gets a JSON 408, and a client that stops reading a
// streamed answer is disconnected after limits.clientReadTimeoutMs, with the upstream
// request aborted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headerValues, rawRequest } from '../helpers/strict-http.js';
import { settled, startRecordingFleet } from '../helpers/recording-fleet.js';
import { assertStalledReaderCut } from '../helpers/stalled-reader.js';
import { waitFor } from '../helpers/wait.js';

const ZONES = { z: ['r1'] };
const DEPLOYMENTS = [{ name: 'chat', model: 'm', type: 'global' }];

test('bodies trickled past requestBodyTimeoutMs get a JSON 408 and free their slots', async (t) => {
  const fleet = await startRecordingFleet(t, {
    zones: ZONES,
    deployments: DEPLOYMENTS,
    // The three slots stay taken for requestBodyTimeoutMs, the window in which the test
    // must see them taken: 2 s (not 300 ms) so that a loaded machine cannot miss it. The
    // trickle (100 bytes, one every 50 ms) outlasts it either way.
    extra: { limits: { requestBodyTimeoutMs: 2000 }, shedding: { maxInFlight: 3 } },
  });
  const head = 'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n{"model":';
  const slow = [0, 1, 2].map(() =>
    rawRequest(fleet.port, head, {
      trickle: Array.from({ length: 100 }, () => Buffer.from(' ')),
      trickleMs: 50,
    }),
  );
  await waitFor('three slots taken', () => fleet.router.router.requestsInFlight === 3);
  for (const answer of await Promise.all(slow)) {
    assert.equal(answer.status, 408, answer.text);
    assert.equal(JSON.parse(answer.text).error.code, 'RequestTimeout');
    assert.deepEqual(headerValues(answer, 'connection'), ['close']);
  }
  await settled(fleet);
  const res = await fetch(`${fleet.router.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"chat"}' });
  assert.equal(res.status, 200, 'the slots are free again');
  await res.text();
});

test('a client that stops reading a stream is cut after clientReadTimeoutMs, and so is the upstream', async (t) => {
  const piece = Buffer.alloc(64 * 1024, 0x61);
  await assertStalledReaderCut(t, () => piece);
});
