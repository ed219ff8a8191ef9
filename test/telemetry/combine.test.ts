// The combination rule on plain values: each source's newest reading in, one report
// out (docs/telemetry.md, "Combining the sources").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { combineReadings, type SourceReading } from '../../src/telemetry/combine.js';

const T = 1_800_000_000_000;

const json = (capacity: number, inUse: number, atMs: number): SourceReading => ({
  source: 'json',
  capacity,
  inUse,
  utilisation: null,
  atMs,
});
const prometheus = (capacity: number, inUse: number, atMs: number): SourceReading => ({
  ...json(capacity, inUse, atMs),
  source: 'prometheus',
});
const inBand = (utilisation: number, atMs: number, capacity: number | null = null): SourceReading => ({
  source: 'in-band',
  capacity,
  inUse: null,
  utilisation,
  atMs,
});

test('no reading, no report; one reading is the report', () => {
  assert.equal(combineReadings('m', 'r', []), undefined);
  const one = combineReadings('m', 'r', [json(100, 40, T)]);
  assert.deepEqual(
    { ...one, sources: undefined },
    {
      region: 'r',
      model: 'm',
      capacity: 100,
      inUse: 40,
      atMs: T,
      capacitySource: 'json',
      inUseSource: 'json',
      sources: undefined,
    },
  );
});

test('the newest measurement gives inUse and `at`; an older source stands behind it', () => {
  const r = combineReadings('m', 'r', [json(100, 40, T - 5000), prometheus(80, 70, T - 1000)]);
  assert.equal(r?.capacity, 80);
  assert.equal(r?.inUse, 70);
  assert.equal(r?.atMs, T - 1000);
  assert.equal(r?.inUseSource, 'prometheus');
  assert.deepEqual(
    r?.sources.map((s) => s.source),
    ['prometheus', 'json'],
    'newest first',
  );
});

test('a utilisation is turned into inUse against the newest capacity of another source', () => {
  // ORCA says 90% a second after Prometheus measured capacity 50: 45 in use, measured then.
  const r = combineReadings('m', 'r', [json(100, 10, T - 9000), prometheus(50, 5, T - 2000), inBand(0.9, T - 1000)]);
  assert.equal(r?.capacity, 50);
  assert.equal(r?.capacitySource, 'prometheus');
  assert.equal(r?.inUse, 45);
  assert.equal(r?.inUseSource, 'in-band');
  assert.equal(r?.atMs, T - 1000, "the own-load correction matches the in-band reading's time");
});

test("a rate limit's limit is the newest capacity when it is the newest reading with one", () => {
  const r = combineReadings('m', 'r', [prometheus(50, 5, T - 2000), inBand(0.25, T - 100, 1000)]);
  assert.equal(r?.capacity, 1000);
  assert.equal(r?.capacitySource, 'in-band');
  assert.equal(r?.inUse, 250);
  // And a newer poll takes both back.
  const later = combineReadings('m', 'r', [prometheus(50, 5, T), inBand(0.25, T - 100, 1000)]);
  assert.equal(later?.capacity, 50);
  assert.equal(later?.inUse, 5);
});

test('a utilisation with no capacity anywhere is read on a scale of 1 (the whole region)', () => {
  const r = combineReadings('m', 'r', [inBand(0.3, T)]);
  assert.equal(r?.capacity, 1);
  assert.equal(r?.inUse, 0.3);
  assert.equal(r?.capacitySource, 'in-band');
});

test('readings of the same millisecond: absolute figures win over a fraction, json over prometheus', () => {
  const r = combineReadings('m', 'r', [inBand(1, T), prometheus(60, 6, T), json(100, 10, T)]);
  assert.equal(r?.inUseSource, 'json');
  assert.equal(r?.inUse, 10);
  assert.deepEqual(
    r?.sources.map((s) => s.source),
    ['json', 'prometheus', 'in-band'],
  );
});
