// The store with several sources: each source's newest reading is kept, the planner
// sees their combination, a region is fresh while any source is, and the sources'
// states add up to one status.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estimateLoad } from '../../src/planner/load-estimate.js';
import { planDeployment } from '../../src/planner/plan-deployment.js';
import { LoadCell } from '../../src/telemetry/own-load.js';
import { TelemetryStore, sourceStatusOf } from '../../src/telemetry/store.js';
import { NO_OWN_LOAD, NOW, input } from '../helpers/planner-fixtures.js';

const DEP = {
  name: 'd',
  model: 'm',
  type: 'global' as const,
  boundary: ['a', 'b'],
  servable: ['a', 'b'],
  capacityUnit: 'requests' as const,
};

function store(): TelemetryStore {
  return new TelemetryStore(new Set(['a', 'b']), new Set(['m']), ['json', 'prometheus'], true);
}

const report = (region: string, capacity: number, inUse: number, atMs: number) => ({
  region,
  model: 'm',
  capacity,
  inUse,
  atMs,
});

function plan(s: TelemetryStore, nowMs: number, cells: Record<string, LoadCell> = {}) {
  const loads = (model: string, region: string) =>
    estimateLoad(s.report(model, region), cells[region] ?? null, undefined, NO_OWN_LOAD, nowMs);
  return planDeployment(DEP, input(s, { status: sourceStatusOf(s.source, nowMs, 3000), load: loads }), nowMs);
}

test('each source keeps its newest reading; an older one of the same source never replaces it', () => {
  const s = store();
  s.recordSuccess([report('a', 100, 10, NOW - 500)], NOW - 400, 'json');
  s.recordSuccess([report('a', 100, 90, NOW - 900)], NOW - 300, 'json');
  s.recordSuccess([report('a', 50, 20, NOW - 800)], NOW - 300, 'prometheus');
  const r = s.report('m', 'a');
  assert.equal(r?.inUse, 10, 'the JSON reading of NOW-500 is the newest');
  assert.deepEqual(
    r?.sources.map((x) => [x.source, x.atMs]),
    [
      ['json', NOW - 500],
      ['prometheus', NOW - 800],
    ],
  );
});

test('a region is fresh while any of its sources is; its age is the newest reading', () => {
  const s = store();
  s.recordSuccess([report('a', 100, 10, NOW - 10_000), report('b', 100, 10, NOW - 10_000)], NOW - 10_000, 'json');
  assert.equal(s.recordInBand('m', 'a', null, 0.5, NOW - 1000), true);
  const p = plan(s, NOW);
  const a = p.regions.find((r) => r.region === 'a');
  const b = p.regions.find((r) => r.region === 'b');
  assert.equal(a?.fresh, true);
  assert.equal(a?.ageMs, 1000);
  assert.equal(a?.inUseSource, 'in-band');
  assert.equal(a?.capacitySource, 'json', 'the stale JSON report still gives the capacity');
  assert.equal(a?.inUse, 50);
  assert.equal(b?.fresh, false);
  assert.equal(p.coverage, 0.5);
});

test('the own-load correction uses the `at` of the measurement that gave inUse', () => {
  const s = store();
  s.recordSuccess([report('a', 100, 0, NOW - 2000)], NOW - 2000, 'json');
  s.recordInBand('m', 'a', null, 0.4, NOW - 1000);
  const cell = new LoadCell(200);
  cell.inFlight = 30;
  cell.record(NOW - 1000); // 30 of ours in flight when the answer came
  cell.inFlight = 5;
  cell.record(NOW);
  const load = estimateLoad(s.report('m', 'a'), cell, undefined, NO_OWN_LOAD, NOW);
  assert.equal(load.ownAtReport, 30);
  assert.equal(load.othersLoad, 10, '40 in use then, 30 of them ours');
  assert.equal(load.room, 90);
});

test('an in-band-only region that sees no traffic goes stale; the estimate rules take over', () => {
  const s = new TelemetryStore(new Set(['a', 'b']), new Set(['m']), [], true);
  s.recordInBand('m', 'a', 100, 0.2, NOW);
  s.recordInBand('m', 'b', 100, 0.6, NOW);
  assert.equal(plan(s, NOW + 3000).regions[0]?.fresh, true, 'fresh up to staleAfterMs');
  // No answer since: stale after staleAfterMs, weighed at its last known room.
  s.recordInBand('m', 'b', 100, 0.6, NOW + 3001);
  const stale = plan(s, NOW + 3001);
  const a = stale.regions.find((r) => r.region === 'a');
  assert.equal(a?.fresh, false);
  assert.equal(a?.estimate, 'last-known');
  assert.equal(a?.room, 80);
  // After estimateMaxAgeMs the median of the fresh regions stands in.
  s.recordInBand('m', 'b', 100, 0.6, NOW + 30_001);
  const older = plan(s, NOW + 30_001).regions.find((r) => r.region === 'a');
  assert.equal(older?.estimate, 'median');
  assert.equal(older?.room, 40);
});

test('the sources add up to one status: fresh while any delivers, errors named by source', () => {
  const s = store();
  assert.equal(sourceStatusOf(s.source, NOW, 3000), 'stale', 'nothing yet');
  assert.equal(s.source.lastSuccessAtMs, null);
  s.recordSuccess([], NOW, 'prometheus');
  assert.equal(sourceStatusOf(s.source, NOW, 3000), 'ok', 'a source not asked yet has not failed');
  s.recordFailure('connect: ECONNREFUSED', NOW + 100, 'json');
  assert.equal(sourceStatusOf(s.source, NOW + 200, 3000), 'error');
  assert.equal(s.source.lastError, 'json: connect: ECONNREFUSED');
  assert.equal(sourceStatusOf(s.source, NOW + 3001, 3000), 'stale', 'no source delivered within staleAfterMs');
  // An answer's load header counts as a delivery.
  s.recordInBand('m', 'a', null, 0.1, NOW + 3000);
  assert.equal(sourceStatusOf(s.source, NOW + 3001, 3000), 'error');
  assert.equal(s.inBand?.readings, 1);
  assert.equal(s.stateOf('json').failures, 1);
  assert.equal(s.source.polls, 2);
});

test('in-band readings for unknown regions or models, or with in-band off, are not taken', () => {
  const s = store();
  assert.equal(s.recordInBand('m', 'zz', null, 0.1, NOW), false);
  assert.equal(s.recordInBand('other', 'a', null, 0.1, NOW), false);
  const off = new TelemetryStore(new Set(['a']), new Set(['m']));
  assert.equal(off.recordInBand('m', 'a', null, 0.1, NOW), false);
  assert.equal(off.inBand, null);
});

test('a reload keeps the readings of sources, regions and models that remain, and drops the others', () => {
  const s = store();
  s.recordSuccess([report('a', 100, 10, NOW - 500), report('b', 100, 20, NOW - 500)], NOW - 400, 'json');
  s.recordSuccess([report('a', 50, 20, NOW - 300)], NOW - 300, 'prometheus');
  assert.equal(s.recordInBand('m', 'a', null, 0.5, NOW - 100), true);

  // Prometheus and the in-band headers are removed, region b leaves the config.
  s.retain(new Set(['a']), new Set(['m']), ['json'], false);
  assert.deepEqual(s.polled, ['json']);
  assert.equal(s.inBand, null);
  assert.equal(s.stateOf('prometheus').polls, 0, 'a removed source leaves no state');
  assert.equal(s.stateOf('json').polls, 1, "the JSON source's state carries over");
  const a = s.report('m', 'a');
  assert.deepEqual(
    a?.sources.map((x) => x.source),
    ['json'],
    'only the JSON reading of region a remains',
  );
  assert.equal(a?.inUse, 10);
  assert.equal(s.report('m', 'b'), undefined);
  assert.equal(s.recordInBand('m', 'a', null, 0.9, NOW), false, 'in-band readings are off now');

  // Added back: the sources start as never polled, the JSON reading stays.
  s.retain(new Set(['a', 'b']), new Set(['m']), ['json', 'prometheus'], true);
  assert.equal(s.stateOf('prometheus').lastSuccessAtMs, null);
  assert.deepEqual(s.inBand, { lastAtMs: null, readings: 0 });
  assert.equal(s.report('m', 'a')?.inUse, 10);
});
