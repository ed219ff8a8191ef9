import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RETRY, DEFAULT_SLOW_START } from '../../src/config/defaults.js';
import { slowStartFactor } from '../../src/resilience/slow-start.js';
import { RetryBudget } from '../../src/resilience/retry-budget.js';
import { passiveFactor } from '../../src/resilience/passive-capacity.js';

test('slow start ramps from the minimum to full weight over the window', () => {
  const cfg = { ...DEFAULT_SLOW_START, windowMs: 10_000, minWeightPercent: 10, aggression: 1 };
  assert.equal(slowStartFactor(0, cfg), 0.1);
  assert.equal(slowStartFactor(5000, cfg), 0.5);
  assert.equal(slowStartFactor(10_000, cfg), 1);
  let last = 0;
  for (let t = 0; t <= 10_000; t += 500) {
    const f = slowStartFactor(t, cfg);
    assert.ok(f >= last, 'never decreases');
    last = f;
  }
  assert.ok(
    slowStartFactor(2500, { ...cfg, aggression: 2 }) > slowStartFactor(2500, cfg),
    'higher aggression gives weight back sooner',
  );
  assert.equal(slowStartFactor(0, { ...cfg, enabled: false }), 1);
});

test('the retry budget allows budgetPercent of requests in flight, at least minConcurrent', () => {
  const b = new RetryBudget({ ...DEFAULT_RETRY, budgetPercent: 20, minConcurrent: 3 });
  // Plenty of requests started, so only the concurrency check can bite here.
  b.requests = 1000;
  assert.equal(b.limit(5), 3);
  assert.equal(b.limit(100), 20);
  let granted = 0;
  for (let i = 0; i < 50; i++) if (b.tryAcquire(100)) granted++;
  assert.equal(granted, 20);
  b.release();
  assert.equal(b.tryAcquire(100), true);
  assert.equal(b.tryAcquire(100), false);
});

test('retries made over the window stay within budgetPercent of requests made, however short each one is', () => {
  const T0 = 1_800_000_000_000;
  const b = new RetryBudget({ ...DEFAULT_RETRY, budgetPercent: 20, minConcurrent: 3 });
  b.tick(T0);
  b.requests += 100;
  let granted = 0;
  for (let i = 0; i < 100; i++) {
    // Each retry meets an instant 429: it is over before the next one is asked for.
    if (b.tryAcquire(1)) {
      granted++;
      b.release();
    }
  }
  assert.equal(granted, 20, '20% of 100 requests, although never more than one in flight');
  for (let t = 250; t <= 10_000; t += 250) b.tick(T0 + t);
  assert.equal(b.tryAcquire(1), true, 'the window has moved on: retries are allowed again');
  const quiet = new RetryBudget({ ...DEFAULT_RETRY, budgetPercent: 20, minConcurrent: 3 });
  quiet.tick(T0);
  quiet.requests += 2;
  assert.equal(quiet.tryAcquire(1), true, 'a quiet router may still retry minConcurrent times');
  quiet.release();
  assert.equal(quiet.tryAcquire(1), true, 'a quiet router may still retry minConcurrent times');
});

test('retry backoff is jittered and bounded', () => {
  const b = new RetryBudget({ ...DEFAULT_RETRY, backoffBaseMs: 25, backoffMaxMs: 250 });
  assert.equal(b.backoffMs(1, 0), 0);
  assert.equal(b.backoffMs(1, 0.999), 24);
  assert.equal(b.backoffMs(3, 0.999), 99);
  assert.equal(b.backoffMs(10, 0.999), 249);
});

test('passive factor shrinks with the 429 rate and with slowness relative to peers', () => {
  assert.equal(passiveFactor({ attempts: 5, status429: 5, meanLatencyS: 1 }, 0.1, 10), 1, 'too few attempts to judge');
  assert.equal(passiveFactor({ attempts: 100, status429: 0, meanLatencyS: 0.1 }, 0.1, 10), 1);
  assert.equal(passiveFactor({ attempts: 100, status429: 50, meanLatencyS: 0.1 }, 0.1, 10), 0.5);
  assert.equal(passiveFactor({ attempts: 100, status429: 0, meanLatencyS: 0.4 }, 0.1, 10), 0.25);
  assert.equal(
    passiveFactor({ attempts: 100, status429: 100, meanLatencyS: 0.1 }, 0.1, 10),
    0.05,
    'never below the floor',
  );
});
