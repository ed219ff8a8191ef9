import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoadCell, OWN_LOAD_SAMPLE_MS, OwnLoad } from '../../src/telemetry/own-load.js';

const T0 = 1_800_000_000_000;

test('a report is matched to the in-flight count sampled nearest its `at`', () => {
  const own = new OwnLoad(1000);
  const cell = own.cell('m', 'r1');
  for (let k = 0; k < 20; k++) {
    cell.inFlight = k;
    own.sample(T0 + k * OWN_LOAD_SAMPLE_MS);
  }
  assert.equal(cell.inFlightAt(T0 + 5 * OWN_LOAD_SAMPLE_MS), 5);
  assert.equal(cell.inFlightAt(T0 + 5 * OWN_LOAD_SAMPLE_MS + 10), 5, 'nearest sample');
  assert.equal(cell.inFlightAt(T0 + 5 * OWN_LOAD_SAMPLE_MS + 15), 6, 'nearest sample');
  cell.inFlight = 42;
  assert.equal(cell.inFlightAt(T0 + 10_000), 42, 'a time after the newest sample is now');
});

test('older than the history: the oldest sample kept', () => {
  const own = new OwnLoad(4 * OWN_LOAD_SAMPLE_MS);
  const cell = own.cell('m', 'r1');
  for (let k = 0; k < 50; k++) {
    cell.inFlight = k;
    own.sample(T0 + k * OWN_LOAD_SAMPLE_MS);
  }
  // 4 intervals + 1 samples kept: 45..49.
  assert.equal(cell.inFlightAt(T0), 45);
});

test('with no samples yet the count now stands in', () => {
  const cell = new LoadCell(10);
  cell.inFlight = 3;
  assert.equal(cell.inFlightAt(T0), 3);
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
