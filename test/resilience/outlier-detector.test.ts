import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_OUTLIER } from '../../src/config/defaults.js';
import { OutlierDetector, type RegionHealth } from '../../src/resilience/outlier-detector.js';
import { classify } from '../../src/resilience/resilience.js';

const T0 = 1_800_000_000_000;

test('consecutive failures eject; the duration grows with repeats up to the maximum', () => {
  const d = new OutlierDetector({
    ...DEFAULT_OUTLIER,
    consecutiveFailures: 3,
    baseEjectionMs: 30_000,
    maxEjectionMs: 70_000,
  });
  const h = d.health('m', 'r1');
  assert.equal(d.record(h, 'failure', null, 'ECONNREFUSED', T0), null);
  assert.equal(d.record(h, 'failure', null, 'ECONNREFUSED', T0), null);
  const first = d.record(h, 'failure', null, '503', T0);
  assert.equal(first?.kind, 'failure');
  assert.equal(first!.untilMs - T0, 30_000);
  assert.match(first!.reason, /3 consecutive failures \(last: 503\)/);
  const t1 = first!.untilMs;
  for (let i = 0; i < 2; i++) d.record(h, 'failure', null, '503', t1);
  assert.equal(d.record(h, 'failure', null, '503', t1)!.untilMs - t1, 60_000, 'second ejection: 2 x base');
  const t2 = h.ejection!.untilMs;
  for (let i = 0; i < 2; i++) d.record(h, 'failure', null, '503', t2);
  assert.equal(d.record(h, 'failure', null, '503', t2)!.untilMs - t2, 70_000, 'capped at maxEjectionMs');
});

test('a success between failures resets the streak', () => {
  const d = new OutlierDetector({ ...DEFAULT_OUTLIER, consecutiveFailures: 2, minRequests: 1000 });
  const h = d.health('m', 'r1');
  d.record(h, 'failure', null, '502', T0);
  d.record(h, 'success', 0.01, '200', T0);
  assert.equal(d.record(h, 'failure', null, '502', T0), null);
});

test("a region whose 400 rate is far above its peers' is ejected; 400s everywhere eject nothing", () => {
  const d = new OutlierDetector({ ...DEFAULT_OUTLIER, minRequests: 10 });
  const [a, b, c] = ['a', 'b', 'c'].map((r) => d.health('m', r)) as [
    ReturnType<typeof d.health>,
    ReturnType<typeof d.health>,
    ReturnType<typeof d.health>,
  ];
  // Client errors everywhere: every region answers 400 for 60% of requests.
  for (let i = 0; i < 20; i++) {
    for (const h of [a, b, c])
      assert.equal(d.record(h, i % 5 < 3 ? 'status400' : 'success', 0.01, '400', T0 + i), null);
  }
  // Now only region a answers 400 to everything.
  const d2 = new OutlierDetector({ ...DEFAULT_OUTLIER, minRequests: 10 });
  const [a2, b2, c2] = ['a', 'b', 'c'].map((r) => d2.health('m', r)) as (typeof a)[];
  for (let i = 0; i < 10; i++) {
    d2.record(b2!, 'success', 0.01, '200', T0 + i);
    d2.record(c2!, i === 0 ? 'status400' : 'success', 0.01, '400', T0 + i);
  }
  let ejection = null;
  for (let i = 0; i < 10 && ejection === null; i++) ejection = d2.record(a2!, 'status400', 0.01, '400', T0 + 20 + i);
  assert.equal(ejection?.kind, 'status400');
  assert.match(ejection!.reason, /400 rate 1\.00 vs 0\.05 in peer regions for model m/);
});

test('a fault that starts mid-window is judged on the recent span, seconds before the whole window crosses', () => {
  // Three regions at 10 requests/s each; region a's engine breaks at T0 + 10 s and
  // answers 400 to 60% of its requests from then on.
  const d = new OutlierDetector(DEFAULT_OUTLIER);
  const [a, b, c] = ['a', 'b', 'c'].map((r) => d.health('m', r)) as [RegionHealth, RegionHealth, RegionHealth];
  let ejectedAt: number | null = null;
  for (let t = 0; t < 20_000 && ejectedAt === null; t += 100) {
    const now = T0 + t;
    d.record(b, 'success', 0.01, '200', now);
    d.record(c, 'success', 0.01, '200', now);
    const broken = t >= 10_000 && (t / 100) % 5 < 3;
    if (d.record(a, broken ? 'status400' : 'success', 0.01, '400', now) !== null) ejectedAt = t;
  }
  assert.ok(ejectedAt !== null, 'ejected');
  // Over the whole 10 s window, 0.6 x (share of the window in the fault) crosses 0.5
  // only after about 8.3 s; the newest 3 s cross it after about 2.5 s.
  assert.ok(ejectedAt - 10_000 <= 3_500, `ejected ${ejectedAt - 10_000} ms after the fault began`);
  assert.ok(ejectedAt - 10_000 >= 2_000, 'not before the recent span is mostly in the fault');
});

test('a short burst of 400s below minRequests in the recent span ejects nothing', () => {
  const d = new OutlierDetector(DEFAULT_OUTLIER);
  const [a, b] = ['a', 'b'].map((r) => d.health('m', r)) as [RegionHealth, RegionHealth];
  for (let t = 0; t < 10_000; t += 1000) {
    d.record(a, 'success', 0.01, '200', T0 + t);
    d.record(b, 'success', 0.01, '200', T0 + t);
  }
  // 5 requests in the newest 3 s, all 400: too few to judge; the whole window is mostly good.
  for (let i = 0; i < 5; i++) assert.equal(d.record(a, 'status400', 0.01, '400', T0 + 10_000 + i), null);
});

test('without peer traffic to compare with, a 400 anomaly is not judged', () => {
  const d = new OutlierDetector({ ...DEFAULT_OUTLIER, minRequests: 5 });
  const a = d.health('m', 'a');
  for (let i = 0; i < 50; i++) assert.equal(d.record(a, 'status400', 0.01, '400', T0 + i), null);
});

test('counts slide out of the window', () => {
  const d = new OutlierDetector({
    ...DEFAULT_OUTLIER,
    windowMs: 1000,
    minRequests: 4,
    failureRate: 0.5,
    consecutiveFailures: 100,
  });
  const h = d.health('m', 'a');
  for (let i = 0; i < 3; i++) d.record(h, 'failure', null, '500', T0);
  // Two seconds later the old failures no longer count: 1 failure in 4 attempts.
  for (let i = 0; i < 3; i++) d.record(h, 'success', 0.01, '200', T0 + 2000);
  assert.equal(d.record(h, 'failure', null, '500', T0 + 2000), null);
});

test('outcomes are classified; a client that went away counts as nothing', () => {
  assert.equal(classify(0, 'ClientClosed', null), null);
  assert.equal(classify(0, 'ECONNREFUSED', null), 'failure');
  assert.equal(classify(503, null, null), 'failure');
  assert.equal(classify(503, null, 1000), 'status429');
  assert.equal(classify(429, null, null), 'status429');
  assert.equal(classify(400, null, null), 'status400');
  assert.equal(classify(404, null, null), 'other');
  assert.equal(classify(200, null, null), 'success');
});
