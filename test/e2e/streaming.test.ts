import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { startFleetAndRouter } from '../helpers/fleet-harness.js';
import { deploymentOf } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

function openStream(url: string, deployment: string, tokens: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/chat/completions`,
      { method: 'POST', headers: { 'content-type': 'application/json' } },
      resolve,
    );
    req.on('error', reject);
    req.end(
      JSON.stringify({
        model: deployment,
        stream: true,
        max_tokens: tokens,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    );
  });
}

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const s = await startFleetAndRouter({
    regions: [{ region: 'r1', capacity: 10, ttftMs: 20, perTokenMs: 40 }],
    zones: { z: ['r1'] },
    deployments: [{ name: 'chat', model: 'm', type: 'global' }],
  });
  t.after(() => s.close());
  await waitFor('normal mode', async () => deploymentOf(await s.router.capacity(), 'chat').mode === 'normal');
  return s;
}

test('SSE chunks reach the client while the backend is still generating', async (t) => {
  const s = await setup(t);
  const res = await openStream(s.router.url, 'chat', 10);
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /text\/event-stream/);
  assert.equal(res.headers['x-switchyard-region'], 'r1');
  res.setEncoding('utf8');
  const chunks: string[] = [];
  let inFlightAtFirstChunk = -1;
  for await (const chunk of res) {
    if (chunks.length === 0) inFlightAtFirstChunk = s.fleet.region('r1').inFlight();
    chunks.push(chunk as string);
  }
  // 10 tokens 40 ms apart: buffering would deliver one chunk after the backend finished.
  assert.equal(inFlightAtFirstChunk, 1, 'the first chunk arrived before the backend finished');
  assert.ok(chunks.length >= 2, `got ${chunks.length} separate chunks`);
  const text = chunks.join('');
  assert.equal((text.match(/^data: \{/gm) ?? []).length, 10);
  assert.match(text, /data: \[DONE\]\n\n$/);
});

test('a client that disconnects mid-stream aborts the upstream request', async (t) => {
  const s = await setup(t);
  const res = await openStream(s.router.url, 'chat', 200);
  await new Promise<void>((resolve) => res.once('data', () => resolve()));
  assert.equal(s.fleet.region('r1').inFlight(), 1);
  res.destroy();
  await waitFor(
    'backend saw the abort',
    () => s.fleet.region('r1').stats.aborted === 1 && s.fleet.region('r1').inFlight() === 0,
  );
  assert.equal(s.fleet.region('r1').stats.served, 0);
  await waitFor('client abort counted', async () =>
    /switchyard_client_aborts_total\{deployment="chat"\} 1/.test(await s.router.metrics()),
  );
  await waitFor('router in-flight back to 0', async () =>
    /switchyard_inflight_requests\{region="r1",backend="[^"]+"\} 0/.test(await s.router.metrics()),
  );
});

test('time to first byte is the first token, not the headers: one observation per stream', async (t) => {
  const s = await setup(t);
  const res = await openStream(s.router.url, 'chat', 3);
  for await (const _ of res) {
    // read to the end
  }
  const metrics = await waitFor('the stream counted', async () => {
    const text = await s.router.metrics();
    return /switchyard_time_to_first_byte_seconds_count\{deployment="chat",region="r1"\} 1\b/.test(text) ? text : null;
  });
  // The simulator sends its headers at once and its first token after ttftMs (20 ms).
  assert.match(metrics, /switchyard_time_to_first_byte_seconds_bucket\{deployment="chat",region="r1",le="0.01"\} 0/);
  assert.match(metrics, /switchyard_time_to_first_byte_seconds_bucket\{deployment="chat",region="r1",le="10"\} 1/);
});
