import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DrainRate, MAX_RETRY_AFTER_MS, MIN_RETRY_AFTER_MS } from '../../src/admission/drain-rate.js';

test('the finish rate follows what finishes, on an injected clock', () => {
  const rate = new DrainRate();
  rate.tick(0);
  // 20 requests per second for 30 s, counted every 25 ms.
  for (let t = 25; t <= 30_000; t += 25) {
    rate.finished += 0.5;
    rate.tick(t);
  }
  assert.ok(Math.abs(rate.perSecond - 20) < 0.5, `rate ${rate.perSecond}`);
  // Nothing finishes for 5 s (one time constant): the average falls to about 1/e of it.
  for (let t = 30_025; t <= 35_000; t += 25) rate.tick(t);
  assert.ok(rate.perSecond > 6 && rate.perSecond < 8.5, `rate ${rate.perSecond}`);
});

test('Retry-After: the time to finish the requests ahead, spread by a factor from 0.5 to 1.5, within bounds', () => {
  const rate = new DrainRate();
  rate.tick(0);
  for (let t = 100; t <= 60_000; t += 100) {
    rate.finished += 1;
    rate.tick(t);
  }
  // 10 per second: 19 ahead + this one take 2 s.
  assert.ok(Math.abs(rate.retryAfterMs(19, 0.5, 3000) - 2000) < 50);
  assert.ok(Math.abs(rate.retryAfterMs(19, 0, 3000) - 1000) < 25);
  assert.ok(Math.abs(rate.retryAfterMs(19, 0.999, 3000) - 3000) < 75);
  assert.equal(rate.retryAfterMs(0, 0, 3000), MIN_RETRY_AFTER_MS);
  assert.equal(rate.retryAfterMs(100_000, 0.5, 3000), MAX_RETRY_AFTER_MS);
});

test('Retry-After when nothing finishes: the wait already had, spread the same way', () => {
  const rate = new DrainRate();
  assert.equal(rate.retryAfterMs(5, 0.5, 3000), 3000);
  assert.equal(rate.retryAfterMs(5, 0, 3000), 1500);
});
