import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoadCell, MinuteTokens, OWN_LOAD_SAMPLE_MS, OwnLoad } from '../../src/telemetry/own-load.js';

const T0 = 1_800_000_000_000;

test('a report is matched to the in-flight count sampled nearest its `at`', () => {
  const own = new OwnLoad(1000);
  const cell = own.cell('m', 'r1');
  for (let k = 0; k < 20; k++) {
    cell.inFlight = k;
    own.sample(T0 + k * OWN_LOAD_SAMPLE_MS);
  }
  assert.equal(cell.unitsAt(T0 + 5 * OWN_LOAD_SAMPLE_MS), 5);
  assert.equal(cell.unitsAt(T0 + 5 * OWN_LOAD_SAMPLE_MS + 10), 5, 'nearest sample');
  assert.equal(cell.unitsAt(T0 + 5 * OWN_LOAD_SAMPLE_MS + 15), 6, 'nearest sample');
  cell.inFlight = 42;
  assert.equal(cell.unitsAt(T0 + 10_000), 42, 'a time after the newest sample is now');
});

test('older than the history: the oldest sample kept', () => {
  const own = new OwnLoad(4 * OWN_LOAD_SAMPLE_MS);
  const cell = own.cell('m', 'r1');
  for (let k = 0; k < 50; k++) {
    cell.inFlight = k;
    own.sample(T0 + k * OWN_LOAD_SAMPLE_MS);
  }
  // 4 intervals + 1 samples kept: 45..49.
  assert.equal(cell.unitsAt(T0), 45);
});

test('with no samples yet the count now stands in', () => {
  const cell = new LoadCell(10);
  cell.inFlight = 3;
  assert.equal(cell.unitsAt(T0), 3);
});

test('a capacity signal holds until it runs out or a newer report arrives', () => {
  const cell = new LoadCell(10);
  cell.capRoom(7, T0, T0 + 1000);
  cell.expireCap(T0 + 500, T0 - 100);
  assert.equal(cell.roomCap, 7, 'an older report does not lift it');
  cell.expireCap(T0 + 600, T0 + 200);
  assert.equal(cell.roomCap, Number.POSITIVE_INFINITY, 'a report measured after the 429 replaces it');
  cell.capRoom(7, T0, T0 + 1000);
  cell.expireCap(T0 + 1000, null);
  assert.equal(cell.roomCap, Number.POSITIVE_INFINITY, 'its Retry-After has passed');
});

test('one cell per (model, region), shared by every caller', () => {
  const own = new OwnLoad(1000);
  assert.equal(own.cell('m', 'r1'), own.cell('m', 'r1'));
  assert.notEqual(own.cell('m', 'r1'), own.cell('m2', 'r1'));
  assert.equal(own.cellOf('m', 'nowhere'), null);
});

test('unit concurrent-tokens: a request holds its estimate while in flight', () => {
  const cell = new LoadCell(10);
  cell.configure('concurrent-tokens', 1);
  const a = cell.add(5000, T0);
  const b = cell.add(300, T0);
  assert.equal(cell.units, 5300);
  assert.equal(cell.inFlight, 2);
  cell.release(a);
  assert.equal(cell.units, 300, 'the large request ended: its tokens are free');
  cell.release(b);
  assert.equal(cell.units, 0);
});

test('unit requests: loadPerRequest per request in flight, whatever the estimate', () => {
  const cell = new LoadCell(10);
  cell.configure('requests', 2);
  const charged = cell.add(90_000, T0);
  assert.equal(charged, 2);
  assert.equal(cell.units, 2);
  cell.release(charged);
  assert.equal(cell.units, 0);
});

test('unit tokens-per-minute: charges stay a minute, are corrected by usage and refunded when refused', () => {
  const cell = new LoadCell(10);
  cell.configure('tokens-per-minute', 1);
  const big = cell.add(10_000, T0);
  const small = cell.add(500, T0 + 20_000);
  cell.release(big);
  cell.release(small);
  assert.equal(cell.units, 10_500, 'a finished request still counts in the minute');
  // The large one's answer reported 4,000 tokens; the small one was refused.
  cell.correct(big, 4000, T0, T0 + 25_000);
  cell.correct(small, 0, T0 + 20_000, T0 + 25_000);
  assert.equal(cell.units, 4000);
  cell.record(T0 + 59_000);
  assert.equal(cell.units, 4000, 'within the minute');
  cell.record(T0 + 61_000);
  assert.equal(cell.units, 0, 'a minute later the charge has left the window');
  cell.correct(big, 0, T0, T0 + 61_000);
  assert.equal(cell.units, 0, 'a correction of a charge gone already changes nothing');
});

test('MinuteTokens: the total is the sum of the last 60 one-second buckets', () => {
  const m = new MinuteTokens();
  for (let s = 0; s < 120; s++) m.add(10, T0 + s * 1000);
  assert.equal(m.advance(T0 + 119_000), 600);
  assert.equal(m.advance(T0 + 150_000), 290, 'the seconds 91-119 are left');
  assert.equal(m.advance(T0 + 1_000_000), 0, 'a long silence empties it');
});

test('a report is matched to the token load sampled nearest its `at`', () => {
  const own = new OwnLoad(1000);
  own.configure(new Map([['m', 'concurrent-tokens']]), 1);
  const cell = own.cell('m', 'r1');
  cell.add(700, T0);
  own.sample(T0);
  cell.add(300, T0 + OWN_LOAD_SAMPLE_MS);
  own.sample(T0 + OWN_LOAD_SAMPLE_MS);
  assert.equal(cell.unitsAt(T0), 700);
  assert.equal(cell.unitsAt(T0 + OWN_LOAD_SAMPLE_MS), 1000);
  // A reload that changes the model's unit starts its count afresh.
  own.configure(new Map([['m', 'requests']]), 1);
  assert.equal(cell.units, 2, 'two requests in flight, one unit each');
});
