// ProxyCall, one transition at a time, against undici's MockAgent: no sockets. The
// client side is a stand-in ServerResponse that records what the router wrote and can
// close mid-answer; the upstream side is a MockPool per region.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import { pino } from 'pino';
import { MockAgent, type MockPool } from 'undici';
import { Metrics } from '../../src/metrics/metrics.js';
import { planDeployment } from '../../src/planner/plan-deployment.js';
import { DeadlineList } from '../../src/proxy/deadline-list.js';
import { DeploymentRuntime } from '../../src/proxy/deployment-runtime.js';
import { type ForwardEnv, ProxyCall } from '../../src/proxy/proxy-call.js';
import { type Backend, RegionUpstream } from '../../src/proxy/upstream.js';
import { RetryBudget } from '../../src/resilience/retry-budget.js';
import { DeploymentRoute } from '../../src/selector/deployment-route.js';
import { seededRandom } from '../../src/sim/loop-model/random.js';
import { InBandLoad } from '../../src/telemetry/in-band/in-band-load.js';
import { OwnLoad } from '../../src/telemetry/own-load.js';
import { NOW, input, report, view } from '../helpers/planner-fixtures.js';
import { waitFor } from '../helpers/wait.js';

const PATH = '/v1/chat/completions';

/** What the router wrote to its client. */
class FakeResponse extends EventEmitter {
  status = 0;
  headers: Record<string, string> = {};
  readonly chunks: Buffer[] = [];
  ended = false;
  destroyed = false;
  writableFinished = false;
  /** Close the client (as if it went away) on this write. */
  closeOnWrite = -1;
  writes = 0;

  writeHead(status: number, headers: string[] | Record<string, string | number>): this {
    if (this.status !== 0) throw new Error('writeHead twice');
    this.status = status;
    const pairs = Array.isArray(headers) ? headers : Object.entries(headers).flat();
    for (let i = 0; i < pairs.length; i += 2) this.headers[String(pairs[i]).toLowerCase()] = String(pairs[i + 1]);
    return this;
  }

  write(chunk: Buffer | string): boolean {
    if (this.destroyed) return false;
    this.chunks.push(Buffer.from(chunk));
    if (this.writes++ === this.closeOnWrite) this.destroy();
    return true;
  }

  end(chunk?: Buffer | string): this {
    if (chunk !== undefined) this.chunks.push(Buffer.from(chunk));
    this.ended = true;
    this.writableFinished = true;
    return this;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.emit('close');
    return this;
  }

  get body(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

interface Outcome {
  region: string;
  status: number;
  errorCode: string | null;
  written: boolean | undefined;
}

function setup(
  opts: {
    regions?: string[];
    maxAttempts?: number;
    backoffBaseMs?: number;
    inBand?: InBandLoad;
    /** The request is bound to stored state in this region. */
    home?: string;
  } = {},
) {
  const regions = opts.regions ?? ['a', 'b'];
  const agent = new MockAgent();
  agent.disableNetConnect();
  const pools = new Map<string, MockPool>();
  const upstreams = new Map<string, RegionUpstream>();
  const backends = new Map<string, Backend>();
  for (const region of regions) {
    const url = `http://${region}.test`;
    const pool = agent.get(url) as MockPool;
    pools.set(region, pool);
    const counts = { inFlight: 0 };
    const backend = Object.assign(counts, {
      region,
      url,
      pool,
      settings: null,
      connectFailures: 0,
      ejectedUntilMs: 0,
      acquire: () => void counts.inFlight++,
      release: () => void counts.inFlight--,
    }) as unknown as Backend;
    backends.set(region, backend);
    upstreams.set(region, new RegionUpstream(region, [backend]));
  }
  const topology = {
    name: 'chat',
    model: 'm',
    type: 'global' as const,
    boundary: regions,
    servable: regions,
    capacityUnit: 'requests' as const,
  };
  const metrics = new Metrics();
  const ownLoad = new OwnLoad(1000);
  const admission = { maxWaitMs: 0, maxQueued: 0, maxQueuedBytes: 1, defaultPriority: 0 };
  const deployment = new DeploymentRuntime(
    topology,
    metrics,
    upstreams,
    ownLoad,
    opts.inBand ?? null,
    admission,
    () => {},
  );
  const ejected = {
    state: 'ejected' as const,
    reason: 'test',
    kind: 'failure' as const,
    sinceMs: NOW,
    untilMs: NOW + 60_000,
    weightFactor: 1,
  };
  /** A route over `routable`; the other regions ejected. */
  const routeWith = (routable: string[]) => {
    const availability = Object.fromEntries(regions.filter((r) => !routable.includes(r)).map((r) => [r, ejected]));
    const plan = planDeployment(
      topology,
      input(view(regions.map((r) => report(r, 100, 0))), { availability, settings: { maxEjectionPercent: 100 } }),
      NOW,
    );
    return new DeploymentRoute(plan, deployment.targetOf);
  };
  deployment.route = routeWith(regions);
  const outcomes: Outcome[] = [];
  const budget = new RetryBudget({
    enabled: true,
    maxAttempts: opts.maxAttempts ?? 2,
    budgetPercent: 100,
    minConcurrent: 10,
    backoffBaseMs: opts.backoffBaseMs ?? 0,
    backoffMaxMs: opts.backoffBaseMs ?? 0,
  });
  let done = 0;
  const readStalls = new DeadlineList(60_000);
  const env: ForwardEnv = {
    metrics,
    logger: pino({ level: 'silent' }),
    random: seededRandom(1),
    now: Date.now,
    onOutcome: (_model, backend, status, errorCode, _ra, _hs, written) =>
      outcomes.push({ region: backend.region, status, errorCode, written }),
    retry: { enabled: true, maxAttempts: opts.maxAttempts ?? 2, budget },
    maxInFlightPerBackend: 0,
    shedRetryAfterS: 1,
    accessLog: false,
    requestsInFlight: () => 1,
    onDone: () => done++,
    readStalls,
    // Admission is off here (maxWaitMs 0): nothing waits, nothing comes back.
    admission: { requeue: () => false },
    suspect400: () => false,
    otel: null,
  };
  const res = new FakeResponse();
  const req = { url: PATH, method: 'POST' } as IncomingMessage;
  const call = new ProxyCall(env, {
    req,
    res: res as unknown as ServerResponse,
    deployment,
    body: Buffer.from('{"model":"chat"}'),
    headers: ['content-type', 'application/json'],
    canWait: false,
    priority: 0,
    fairnessKey: '',
    waitDeadlineMs: 0,
    home: opts.home === undefined ? null : deployment.targetOf(opts.home),
    learner: null,
    trial: false,
    tokens: 0,
    startedAt: performance.now(),
    modelStart: -1,
    modelEnd: -1,
  });
  const start = (region: string) => call.start(deployment.targetOf(region));
  /** Every count the request held is back where it started. */
  const settled = (): void => {
    assert.equal(done, 1, 'the request ended exactly once');
    assert.equal(budget.inFlight, 0, 'no retry token left taken');
    for (const region of regions) {
      assert.equal(backends.get(region)?.inFlight, 0, `${region}: backend count back to 0`);
      assert.equal(deployment.targetOf(region).load.inFlight, 0, `${region}: load cell back to 0`);
    }
  };
  const intercept = (region: string) => (pools.get(region) as MockPool).intercept({ path: PATH, method: 'POST' });
  return {
    call,
    res,
    outcomes,
    budget,
    deployment,
    metrics,
    intercept,
    start,
    settled,
    routeWith,
    done: () => done,
    close: async () => {
      readStalls.close();
      await agent.close();
    },
  };
}

test('attempting -> streaming -> done: the answer is relayed as it is, with the region', async (t) => {
  const s = setup();
  t.after(s.close);
  s.intercept('a').reply(200, '{"ok":true}', { headers: { 'content-type': 'application/json' } });
  s.start('a');
  await waitFor('done', () => s.done() === 1, 2000, 1);
  assert.equal(s.res.status, 200);
  assert.equal(s.res.body, '{"ok":true}');
  assert.equal(s.res.headers['x-switchyard-region'], 'a');
  assert.ok(s.res.ended);
  assert.equal(s.call.currentPhase, 'done');
  assert.deepEqual(s.outcomes, [{ region: 'a', status: 200, errorCode: null, written: true }]);
  s.settled();
});

test('attempting -> holding -> backoff -> attempting elsewhere -> streaming: a 429 is retried in another region', async (t) => {
  const s = setup();
  t.after(s.close);
  s.intercept('a').reply(429, '{"error":"full"}', { headers: { 'retry-after': '1' } });
  s.intercept('b').reply(200, '{"ok":true}');
  s.start('a');
  await waitFor('done', () => s.done() === 1, 2000, 1);
  assert.equal(s.res.status, 200);
  assert.equal(s.res.headers['x-switchyard-region'], 'b');
  assert.deepEqual(
    s.outcomes.map((o) => [o.region, o.status]),
    [
      ['a', 429],
      ['b', 200],
    ],
  );
  assert.match(
    await s.metrics.registry.metrics(),
    /switchyard_retries_total\{deployment="chat",reason="status-429"\} 1/,
  );
  s.settled();
});

test('load headers are read on every attempt, whatever the phase: a held 429 and the answer relayed', async (t) => {
  const inBand = new InBandLoad();
  const s = setup({ inBand });
  t.after(s.close);
  s.intercept('a').reply(429, '{"error":"full"}', {
    headers: { 'retry-after': '1', 'x-ratelimit-limit-requests': '60', 'x-ratelimit-remaining-requests': '0' },
  });
  s.intercept('b').reply(200, '{"ok":true}', {
    headers: { 'endpoint-load-metrics': 'TEXT named_metrics.kv_cache_usage_perc=0.25' },
  });
  s.start('a');
  await waitFor('done', () => s.done() === 1, 2000, 1);
  const a = inBand.slot('m', 'a');
  const b = inBand.slot('m', 'b');
  assert.deepEqual([a.utilisation, a.capacity, a.read], [1, 60, 1]);
  assert.deepEqual([b.utilisation, b.capacity, b.read], [0.25, 0, 1]);
  assert.equal(
    s.res.headers['endpoint-load-metrics'],
    'TEXT named_metrics.kv_cache_usage_perc=0.25',
    'relayed as it is',
  );
  assert.equal(s.deployment.targetOf('a').inBand, a, 'the deployment targets share the model slots');
  s.settled();
});

test('backoff with no region left: the held answer goes out whole, with its own Content-Length', async (t) => {
  const s = setup({ backoffBaseMs: 50 });
  t.after(s.close);
  const body = JSON.stringify({ error: { message: 'try later' } });
  s.intercept('a').reply(503, body, { headers: { 'retry-after': '2', 'content-length': String(body.length) } });
  s.start('a');
  await waitFor('backoff', () => s.call.currentPhase === 'backoff', 2000, 1);
  // Meanwhile b is ejected: the route the retry reads has nothing else.
  s.deployment.route = s.routeWith(['a']);
  await waitFor('done', () => s.done() === 1, 2000, 1);
  assert.equal(s.res.status, 503);
  assert.equal(s.res.body, body);
  assert.equal(s.res.headers['content-length'], String(body.length));
  assert.equal(s.res.headers['retry-after'], '2');
  s.settled();
});

test('holding -> streaming: an answer over the hold limit is relayed whole and the retry given up', async (t) => {
  const s = setup();
  t.after(s.close);
  const big = 'x'.repeat(100 * 1024);
  s.intercept('a').reply(503, big, { headers: { 'content-length': String(big.length) } });
  s.start('a');
  await waitFor('done', () => s.done() === 1, 2000, 1);
  assert.equal(s.res.status, 503);
  assert.equal(s.res.body.length, big.length, 'every byte, not the first 64 KiB');
  assert.equal(s.res.headers['content-length'], String(big.length));
  assert.equal(s.outcomes.length, 1, 'no second attempt');
  s.settled();
});

test('attempting, client closes: the upstream request is aborted and the request ends 499', async (t) => {
  const s = setup();
  t.after(s.close);
  s.intercept('a').reply(200, 'late').delay(500);
  s.start('a');
  s.res.destroy();
  await waitFor('done', () => s.done() === 1, 2000, 1);
  assert.equal(s.res.status, 0, 'nothing was written');
  assert.deepEqual(s.outcomes, [{ region: 'a', status: 0, errorCode: 'ClientClosed', written: true }]);
  assert.match(
    await s.metrics.registry.metrics(),
    /switchyard_requests_total\{deployment="chat",region="a",code="499"\} 1/,
  );
  s.settled();
});

test('streaming, client closes mid-answer: aborted, 499, and the attempt is closed once', async (t) => {
  const s = setup();
  t.after(s.close);
  s.intercept('a').reply(200, 'some tokens');
  s.res.closeOnWrite = 0;
  s.start('a');
  await waitFor('done', () => s.done() === 1, 2000, 1);
  assert.equal(s.res.status, 200);
  assert.equal(s.outcomes.length, 1, 'one outcome although the mock completes after the abort');
  s.settled();
});

test('backoff, client closes: the retry timer is dropped and its token returned', async (t) => {
  const s = setup({ backoffBaseMs: 10_000 });
  t.after(s.close);
  s.intercept('a').reply(429, 'full', { headers: { 'retry-after': '1' } });
  s.start('a');
  await waitFor('backoff', () => s.call.currentPhase === 'backoff', 2000, 1);
  assert.equal(s.budget.inFlight, 1, 'a token is reserved for the retry');
  s.res.destroy();
  assert.equal(s.call.currentPhase, 'done');
  assert.equal(s.outcomes.length, 1, 'no second attempt');
  s.settled();
});

test('unreachable region: retried elsewhere; every region unreachable: 503 with Retry-After', async (t) => {
  const s = setup();
  t.after(s.close);
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  s.intercept('a').replyWithError(refused);
  s.intercept('b').replyWithError(refused);
  s.start('a');
  await waitFor('done', () => s.done() === 1, 2000, 1);
  assert.equal(s.res.status, 503);
  assert.equal(s.res.headers['retry-after'], '1');
  assert.match(s.res.body, /"code":"NoRegionAvailable"/);
  assert.deepEqual(
    s.outcomes.map((o) => [o.region, o.errorCode]),
    [
      ['a', 'ECONNREFUSED'],
      ['b', 'ECONNREFUSED'],
    ],
  );
  s.settled();
});

test('pinned, unreachable home: retried on the home, never elsewhere; then 503 HomeRegionUnavailable', async (t) => {
  const s = setup({ home: 'a', maxAttempts: 3 });
  t.after(s.close);
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  s.intercept('a').replyWithError(refused).times(3);
  s.start('a');
  await waitFor('done', () => s.done() === 1, 2000, 1);
  assert.equal(s.res.status, 503);
  assert.equal(s.res.headers['retry-after'], '1');
  assert.match(s.res.body, /"code":"HomeRegionUnavailable"/);
  assert.match(s.res.body, /stored in region a/);
  assert.deepEqual(
    s.outcomes.map((o) => o.region),
    ['a', 'a', 'a'],
  );
  s.settled();
});

test('pinned, a 429 from the home: retried there within the budget, then the answer relayed', async (t) => {
  const s = setup({ home: 'a' });
  t.after(s.close);
  s.intercept('a').reply(429, '{"error":"busy"}').times(2);
  s.start('a');
  await waitFor('done', () => s.done() === 1, 2000, 1);
  assert.equal(s.res.status, 429);
  assert.equal(s.res.body, '{"error":"busy"}');
  assert.deepEqual(
    s.outcomes.map((o) => [o.region, o.status]),
    [
      ['a', 429],
      ['a', 429],
    ],
  );
  s.settled();
});

test('headers that cannot be relayed: one 502 from the router, logged once, upstream stopped', async (t) => {
  const s = setup();
  t.after(s.close);
  // Node refuses to send a header value with a control character in it.
  s.intercept('a').reply(200, 'body', { headers: { 'x-bad': 'a\u0001b' } });
  const origWriteHead = s.res.writeHead.bind(s.res);
  let first = true;
  s.res.writeHead = (status, headers) => {
    if (first) {
      first = false;
      throw Object.assign(new TypeError('Invalid character in header content ["x-bad"]'), { code: 'ERR_INVALID_CHAR' });
    }
    return origWriteHead(status, headers);
  };
  s.start('a');
  await waitFor('done', () => s.done() === 1, 2000, 1);
  assert.equal(s.res.status, 502);
  assert.match(s.res.body, /"code":"UpstreamError"/);
  assert.equal(s.outcomes.length, 1);
  s.settled();
});
