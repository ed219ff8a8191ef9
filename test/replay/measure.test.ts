import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REGION_NAMES } from '../../replay/fleet.js';
import { boundaryViolations, measure, type RunObservations, timeToAnswer } from '../../replay/measure.js';
import { SWITCHYARD } from '../../replay/policies.js';
import { isRetryable, retryDelayMs, type ClientRecord } from '../../replay/sdk-client.js';
import type { ControlRegion, Sample } from '../../replay/timeline.js';
import type { Incident } from '../../replay/types.js';

const INCIDENT: Incident = {
  name: 'power-loss',
  title: 't',
  seconds: 10,
  fault: { startS: 2, endS: 5 },
  load: 0.5,
  client: { maxRetries: 2, label: 'sdk' },
  events: [],
  ablations: [],
};

function record(
  tS: number,
  status: number,
  { deployment = 'chat-global', backlog = false, waitMs = 100 } = {},
): ClientRecord {
  return {
    tMs: tS * 1000,
    deployment,
    backlog,
    attempts: status === 200 ? 1 : 3,
    status,
    routerAnswered: false,
    done: true,
    endMs: tS * 1000 + waitMs,
  };
}

function region(name: string, received: Record<string, number>): ControlRegion {
  const total = Object.values(received).reduce((a, b) => a + b, 0);
  return {
    region: name,
    listening: true,
    capacity: 10,
    inUse: 0,
    inFlight: 0,
    background: 0,
    stats: {
      received: total,
      rejectedFull: 0,
      rejectedQuota: 0,
      rejected429: 0,
      status400: 0,
      receivedByDeployment: received,
    },
  };
}

function sample(tMs: number, received: number[], full: number[] = []): Sample {
  return {
    tMs,
    regions: REGION_NAMES.map((_, k) => ({
      listening: true,
      capacity: 10,
      inUse: 6,
      inFlight: 5,
      background: 1,
      received: received[k] ?? 0,
      rejectedFull: full[k] ?? 0,
    })),
  };
}

function observations(records: ClientRecord[], samples: Sample[], final: ControlRegion[]): RunObservations {
  return {
    incident: INCIDENT,
    policy: SWITCHYARD,
    scale: 1,
    records,
    routerRejectionsMs: [],
    samples,
    final,
    routerEvents: [],
  };
}

test('a request that reached a region outside its boundary is a violation; inside it is not', () => {
  const final = [
    region('eastus2', { 'chat-us': 5, 'mini-east': 3, 'chat-global': 2 }),
    region('swedencentral', { 'chat-us': 1, 'chat-eu': 4, 'mini-east': 2 }),
  ];
  assert.equal(boundaryViolations(final), 3);
});

test('failures, amplification, recovery and the chart series from a run', () => {
  const records: ClientRecord[] = [];
  for (let i = 0; i < 100; i++) records.push(record(i / 10, i >= 20 && i < 60 ? 429 : 200));
  const samples = [0, 500, 1000].map((t, i) => sample(t, [i * 10, i * 30], i === 2 ? [0, 1] : []));
  const r = measure(observations(records, samples, [region('eastus2', { 'chat-global': 150 })]));
  assert.equal(r.sent, 100);
  assert.equal(r.failed, 40);
  assert.equal(r.status429, 40);
  assert.equal(r.failedBeforeFault, 0);
  assert.equal(r.failedDuringFault, 30);
  assert.equal(r.failedAfterFault, 10);
  assert.equal(r.retryAmplification, 1.5);
  assert.equal(r.clientAttempts, 60 + 120);
  assert.equal(r.recoverySeconds, 1, 'requests fail for one second after the fault ends');
  assert.equal(r.boundaryViolations, 0);
  assert.equal(r.peakUtilisation, 0.6);
  assert.equal(r.secondsOverCapacity, 0.5);
  assert.equal(r.series.shares.length, 20);
  assert.deepEqual((r.series.shares[1] as number[]).slice(0, 2), [0.25, 0.75]);
  assert.equal(r.series.failureRate[5], 1);
  assert.equal(r.series.failureRate[0], 0);
});

test("the backlog's failures are counted apart from the interactive requests'", () => {
  const records = [
    record(1, 200),
    record(2, 429),
    record(3, 200, { backlog: true }),
    record(3.5, 429, { backlog: true }),
    record(4, 429, { backlog: true }),
  ];
  const r = measure(observations(records, [], []));
  assert.deepEqual([r.sentBacklog, r.failedBacklog, r.failedInteractive, r.failed], [3, 2, 1, 3]);
});

test("served requests' time to answer: nearest-rank p50 and p99, overall and interactive, failures left out", () => {
  const records: ClientRecord[] = [];
  // 100 interactive requests answered 10, 20, ..., 1,000 ms after they arrived.
  for (let i = 0; i < 100; i++) records.push(record(i / 10, 200, { waitMs: 10 * (i + 1) }));
  // 10 of the backlog that waited out a quota window.
  for (let i = 0; i < 10; i++) records.push(record(5 + i / 10, 200, { backlog: true, waitMs: 5000 }));
  // Failed requests, however long they took, and one still unanswered, are not served.
  records.push(record(1, 429, { waitMs: 20_000 }), record(2, 429, { backlog: true, waitMs: 20_000 }));
  records.push({ ...record(3, -1), done: false, endMs: -1 });
  assert.deepEqual(timeToAnswer(records), {
    timeToAnswerP50Ms: 550,
    timeToAnswerP99Ms: 5000,
    interactiveTimeToAnswerP50Ms: 500,
    interactiveTimeToAnswerP99Ms: 990,
  });
  const r = measure(observations(records, [], []));
  assert.deepEqual([r.timeToAnswerP50Ms, r.timeToAnswerP99Ms], [550, 5000]);
});

test('no request served: no time to answer', () => {
  const r = timeToAnswer([record(1, 429), record(2, 503, { backlog: true })]);
  assert.deepEqual(Object.values(r), [null, null, null, null]);
});

test('a run that never gets back under its own failure rate has no recovery time', () => {
  const records: ClientRecord[] = [];
  for (let i = 0; i < 100; i++) records.push(record(i / 10, i >= 20 && i < 99 ? 503 : 200));
  const r = measure(observations(records, [], []));
  assert.equal(r.recoverySeconds, null);
  assert.equal(r.status5xx, r.failed);
});

test('the SDK retries what openai-node retries, after Retry-After when there is one', () => {
  for (const s of [0, 408, 409, 429, 500, 502, 503]) assert.ok(isRetryable(s), String(s));
  for (const s of [400, 401, 404, 413]) assert.ok(!isRetryable(s), String(s));
  assert.equal(retryDelayMs({ 'retry-after-ms': '250', 'retry-after': '3' }, 0, 0, 0), 250);
  assert.equal(retryDelayMs({ 'retry-after': '2' }, 0, 0, 0), 2000);
  assert.equal(retryDelayMs({ 'retry-after': new Date(5000).toUTCString() }, 0, 0, 1000), 4000);
  assert.equal(retryDelayMs(null, 0, 0, 0), 500);
  assert.equal(retryDelayMs(null, 2, 0, 0), 2000);
  assert.equal(retryDelayMs(null, 1, 1, 0), 750, 'up to a quarter less by jitter');
  assert.equal(retryDelayMs(null, 10, 0, 0), 8000, 'at most 8 s');
});
