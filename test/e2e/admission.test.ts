// Admission through the real router and a simulated fleet: a boundary with no room
// makes requests wait rather than fail; waits end by dispatch, deadline, the client
// leaving, shedding or shutdown, each as the contract says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chat, type ChatResult, startFleetAndRouter, type FleetSetup } from '../helpers/fleet-harness.js';
import { deploymentOf } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

const CHAT_PATH = '/openai/deployments/chat/chat/completions?api-version=2024-10-21';
const BODY = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });

/** One region of `capacity` slots; each request holds a slot for about `holdMs`. */
async function oneRegion(
  t: { after: (fn: () => Promise<void>) => void },
  capacity: number,
  holdMs: number,
  admission: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Promise<FleetSetup> {
  const s = await startFleetAndRouter({
    regions: [{ region: 'r1', capacity, ttftMs: holdMs }],
    zones: { z: ['r1'] },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
    extra: { admission, ...extra },
  });
  t.after(() => s.close());
  await waitFor('normal mode', async () => deploymentOf(await s.router.capacity(), 'chat').mode === 'normal');
  return s;
}

async function send(url: string, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<ChatResult> {
  const res = await fetch(`${url}${CHAT_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: BODY,
    signal,
  });
  return {
    status: res.status,
    region: res.headers.get('x-switchyard-region'),
    headers: res.headers,
    body: await res.text(),
  };
}

const waiting = async (s: FleetSetup): Promise<number> =>
  deploymentOf(await s.router.capacity(), 'chat').admission.waiting;

const codeOf = (r: ChatResult): string => (JSON.parse(r.body) as { error: { code: string } }).error.code;

test("a burst over the boundary's capacity waits for room instead of failing", async (t) => {
  const s = await oneRegion(t, 2, 100);
  const results = await Promise.all(Array.from({ length: 8 }, () => chat(s.router.url, 'chat')));
  assert.deepEqual(
    results.map((r) => r.status),
    Array(8).fill(200),
  );
  const metrics = await s.router.metrics();
  const dispatched = Number(
    /switchyard_admission_dispatched_total\{deployment="chat",priority="0"\} (\d+)/.exec(metrics)?.[1],
  );
  assert.ok(dispatched >= 4, `at least 4 of the 8 waited (dispatched from the queue: ${dispatched})`);
  assert.match(
    metrics,
    /switchyard_admission_wait_seconds_count\{deployment="chat",priority="0",outcome="dispatched"\} [1-9]/,
  );
  assert.equal(await waiting(s), 0);
});

test('control: with admission off the same burst is refused with 429', async (t) => {
  const s = await oneRegion(t, 2, 100, { maxWaitMs: 0 });
  const results = await Promise.all(Array.from({ length: 8 }, () => chat(s.router.url, 'chat')));
  const refused = results.filter((r) => r.status === 429).length;
  assert.ok(refused >= 4, `most of the burst is refused without admission (${refused} of 8)`);
});

test('a request that waits out its deadline gets 429 QueueTimeout with a Retry-After, and is never sent', async (t) => {
  const s = await oneRegion(t, 1, 1500, { maxWaitMs: 200 });
  const first = chat(s.router.url, 'chat');
  await waitFor('the slot is taken', () => s.fleet.region('r1').stats.received === 1);
  const started = Date.now();
  const second = await send(s.router.url);
  assert.equal(second.status, 429);
  assert.equal(codeOf(second), 'QueueTimeout');
  assert.ok(Date.now() - started >= 190, 'it waited its maxWaitMs');
  assert.match(second.headers.get('retry-after') ?? '', /^\d+$/);
  const ms = Number(second.headers.get('retry-after-ms'));
  assert.ok(ms >= 250 && ms <= 60_000, `retry-after-ms ${ms}`);
  assert.equal((await first).status, 200);
  assert.equal(s.fleet.region('r1').stats.received, 1, 'the timed-out request never reached the backend');
  assert.match(
    await s.router.metrics(),
    /switchyard_admission_rejected_total\{deployment="chat",priority="0",reason="timeout"\} 1/,
  );
});

test('x-switchyard-max-wait-ms shortens the wait for one request, and never lengthens it', async (t) => {
  const s = await oneRegion(t, 1, 1500, { maxWaitMs: 400 });
  const first = chat(s.router.url, 'chat');
  await waitFor('the slot is taken', () => s.fleet.region('r1').stats.received === 1);
  const started = Date.now();
  const quick = await send(s.router.url, { 'x-switchyard-max-wait-ms': '0' });
  assert.equal(codeOf(quick), 'QueueTimeout');
  assert.ok(Date.now() - started < 350, 'a wait of 0 ends at the next check, not after maxWaitMs');
  const long = Date.now();
  const capped = await send(s.router.url, { 'x-switchyard-max-wait-ms': '60000' });
  assert.equal(codeOf(capped), 'QueueTimeout');
  assert.ok(Date.now() - long < 1400, 'a longer wait than the deployment allows is cut to it');
  await first;
});

test('a client that leaves while waiting is taken out of the queue and nothing is sent upstream', async (t) => {
  const s = await oneRegion(t, 1, 800);
  const first = chat(s.router.url, 'chat');
  await waitFor('the slot is taken', () => s.fleet.region('r1').stats.received === 1);
  const abort = new AbortController();
  const gone = send(s.router.url, {}, abort.signal).catch((err: Error) => err);
  await waitFor('the request waits', async () => (await waiting(s)) === 1);
  abort.abort();
  assert.ok((await gone) instanceof Error);
  await waitFor('the queue is empty', async () => (await waiting(s)) === 0);
  assert.equal((await first).status, 200);
  // Another request after the slot freed shows the backend had seen only the first.
  assert.equal((await chat(s.router.url, 'chat')).status, 200);
  assert.equal(s.fleet.region('r1').stats.received, 2);
  assert.match(
    await s.router.metrics(),
    /switchyard_admission_wait_seconds_count\{deployment="chat",priority="0",outcome="client-closed"\} 1/,
  );
});

test('strict priority: the important request waiting is sent first; a sheddable one is refused at once', async (t) => {
  const s = await oneRegion(t, 1, 300, { objectives: { interactive: 5, batch: -1 } });
  const first = chat(s.router.url, 'chat');
  await waitFor('the slot is taken', () => s.fleet.region('r1').stats.received === 1);
  const order: string[] = [];
  const noted = (name: string) => (r: ChatResult) => {
    order.push(name);
    return r;
  };
  const low = send(s.router.url).then(noted('low'));
  await waitFor('low waits', async () => (await waiting(s)) === 1);
  const high = send(s.router.url, { 'x-gateway-inference-objective': 'interactive' }).then(noted('high'));
  await waitFor('both wait', async () => (await waiting(s)) === 2);
  const doc = deploymentOf(await s.router.capacity(), 'chat').admission;
  assert.deepEqual(
    doc.byPriority.map((b) => [b.priority, b.waiting]),
    [
      [5, 1],
      [0, 1],
    ],
  );
  const started = Date.now();
  const shed = await send(s.router.url, { 'x-switchyard-priority': '-1' });
  assert.equal(shed.status, 429);
  assert.equal(codeOf(shed), 'Shed');
  assert.ok(Date.now() - started < 250, 'a sheddable request does not wait');
  assert.ok(Number(shed.headers.get('retry-after-ms')) >= 250);
  assert.deepEqual([(await first).status, (await high).status, (await low).status], [200, 200, 200]);
  assert.deepEqual(order, ['high', 'low']);
  assert.match(
    await s.router.metrics(),
    /switchyard_admission_rejected_total\{deployment="chat",priority="-1",reason="saturated"\} 1/,
  );
});

test('a full queue refuses a request no more important than what waits (429 Shed), and evicts for a more important one', async (t) => {
  const s = await oneRegion(t, 1, 600, { maxQueued: 1 });
  const first = chat(s.router.url, 'chat');
  await waitFor('the slot is taken', () => s.fleet.region('r1').stats.received === 1);
  const queued = send(s.router.url);
  await waitFor('one waits', async () => (await waiting(s)) === 1);
  const refused = await send(s.router.url);
  assert.deepEqual([refused.status, codeOf(refused)], [429, 'Shed']);
  const important = send(s.router.url, { 'x-switchyard-priority': '3' });
  const evicted = await queued;
  assert.deepEqual([evicted.status, codeOf(evicted)], [429, 'Shed']);
  assert.match(JSON.parse(evicted.body).error.message, /pushed out of the full admission queue/);
  assert.equal((await important).status, 200);
  assert.equal((await first).status, 200);
});

test('a request every region refused with 429 waits for room again instead of passing the 429 on', async (t) => {
  // A slow telemetry interval: the router learns of the refusal from the 429 alone.
  const s = await oneRegion(t, 4, 0, {}, {});
  s.fleet.region('r1').setBehaviour({ failStatus: 429, retryAfterSeconds: 1 });
  const pending = chat(s.router.url, 'chat');
  await waitFor('the region refused it', () => s.fleet.region('r1').stats.failed >= 1, 10_000, 1);
  s.fleet.region('r1').setBehaviour({ failStatus: null });
  const r = await pending;
  assert.equal(r.status, 200, r.body);
  assert.match(
    await s.router.metrics(),
    /switchyard_admission_queued_total\{deployment="chat",priority="0",reason="requeued"\} [1-9]/,
  );
});

test('shutdown answers waiting requests at once with 503 ShuttingDown; requests in flight finish', async (t) => {
  const s = await oneRegion(t, 1, 700);
  const first = chat(s.router.url, 'chat');
  await waitFor('the slot is taken', () => s.fleet.region('r1').stats.received === 1);
  const second = send(s.router.url);
  await waitFor('one waits', async () => (await waiting(s)) === 1);
  const stopping = s.router.stop();
  const answer = await second;
  assert.deepEqual([answer.status, codeOf(answer)], [503, 'ShuttingDown']);
  assert.ok(answer.headers.get('retry-after') !== null);
  assert.equal((await first).status, 200, 'the request in flight ran to its end');
  await stopping;
  assert.equal(s.fleet.region('r1').stats.received, 1);
});

test('a reload keeps the requests waiting, and the new settings apply to the next ones', async (t) => {
  const s = await oneRegion(t, 1, 500);
  const first = chat(s.router.url, 'chat');
  await waitFor('the slot is taken', () => s.fleet.region('r1').stats.received === 1);
  const second = send(s.router.url);
  await waitFor('one waits', async () => (await waiting(s)) === 1);
  const config = s.router.router.config;
  s.router.router.reload({ ...config, admission: { ...config.admission, maxWaitMs: 5000, maxQueued: 50 } });
  const after = deploymentOf(await s.router.capacity(), 'chat').admission;
  assert.deepEqual([after.waiting, after.maxWaitMs, after.maxQueued], [1, 5000, 50]);
  assert.equal((await first).status, 200);
  assert.equal((await second).status, 200);
});

test('an admission header that cannot be honoured is a 400 InvalidHeader saying what would be right', async (t) => {
  const s = await oneRegion(t, 4, 0);
  const bad = await send(s.router.url, { 'x-switchyard-priority': 'urgent' });
  assert.deepEqual([bad.status, codeOf(bad)], [400, 'InvalidHeader']);
  assert.match(JSON.parse(bad.body).error.message, /expected an integer from -10 to 10/);
  const unknown = await send(s.router.url, { 'x-gateway-inference-objective': 'premium' });
  assert.deepEqual([unknown.status, codeOf(unknown)], [400, 'InvalidHeader']);
  assert.equal(s.fleet.region('r1').stats.received, 0);
});
