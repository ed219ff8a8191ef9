// The trailing-minute meter a tokens-per-minute region reports its load with.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TrailingMinute } from '../../src/sim/trailing-minute.js';

test('a charge counts for the second it was made and the 59 after it', () => {
  let now = 7_000_500;
  const meter = new TrailingMinute(() => now);
  assert.equal(meter.sum(), 0);
  meter.add(100);
  now += 30_000;
  meter.add(50);
  assert.equal(meter.sum(), 150);
  now = 7_059_999; // the first charge's second (7000) is 59 s behind: still in
  assert.equal(meter.sum(), 150);
  now = 7_060_000;
  assert.equal(meter.sum(), 50);
  now = 7_090_000;
  assert.equal(meter.sum(), 0);
});

test('a quiet spell longer than the minute empties it; a clock stepping back charges the newest second', () => {
  let now = 0;
  const meter = new TrailingMinute(() => now);
  for (let s = 0; s < 120; s++) {
    now = s * 1000;
    meter.add(1);
  }
  assert.equal(meter.sum(), 60);
  now = 10_000_000;
  assert.equal(meter.sum(), 0);
  meter.add(5);
  now -= 30_000;
  meter.add(5);
  assert.equal(meter.sum(), 10);
  now += 89_000; // 59 s after the newest second
  assert.equal(meter.sum(), 10);
  now += 1_000;
  assert.equal(meter.sum(), 0);
});
