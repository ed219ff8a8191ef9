import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estimateLoad, MAX_LOAD_RATIO, smooth } from '../../src/planner/load-estimate.js';
import { planDeployment } from '../../src/planner/plan-deployment.js';
import { LoadCell } from '../../src/telemetry/own-load.js';
import { NOW, input, report, view } from '../helpers/planner-fixtures.js';

const SETTINGS = { smoothingMs: 0 };

function cellWith(atReport: number, now: number, reportAtMs: number, perRequest = 1): LoadCell {
  const cell = new LoadCell(100);
  cell.configure('requests', perRequest);
  cell.inFlight = atReport;
  // One sample at the report's `at`; later samples would only add history.
  cell.record(reportAtMs);
  cell.inFlight = now;
  return cell;
}

test("a full report made of the router's own, since-finished requests leaves the region's room intact", () => {
  const r = report('r1', 100, 100, 200);
  // When measured, all 100 slots were this router's requests; they have all finished.
  const load = estimateLoad(r, cellWith(100, 0, r.atMs), undefined, SETTINGS, NOW);
  assert.equal(load.othersLoad, 0);
  assert.equal(load.room, 100);
  assert.equal(load.ownLoad, 0);
});

test('requests started since the report count against the room now, not in the shares', () => {
  const r = report('r1', 100, 40, 200);
  const load = estimateLoad(r, cellWith(10, 35, r.atMs), undefined, SETTINGS, NOW);
  assert.equal(load.othersLoad, 30, 'others: 40 reported - 10 of ours then');
  assert.equal(load.room, 70, 'room for this router: capacity - others');
  assert.equal(load.ownLoad, 35, 'and 35 of ours in flight now');
});

test('loadPerRequest converts requests to telemetry units; 0 turns the correction off', () => {
  const r = report('r1', 1000, 400, 200);
  const tokens = estimateLoad(r, cellWith(10, 10, r.atMs, 20), undefined, SETTINGS, NOW);
  assert.equal(tokens.othersLoad, 200);
  const off = estimateLoad(r, cellWith(10, 10, r.atMs, 0), undefined, SETTINGS, NOW);
  assert.equal(off.othersLoad, 400);
  assert.equal(off.room, 600, 'the reported headroom');
});

test('smoothing weighs a new measurement by elapsed time, not by how often it is called', () => {
  const prev = { othersLoad: 0, atMs: NOW - 1000 };
  const once = smooth(100, prev, 1000, NOW);
  assert.ok(Math.abs(once - 100 * (1 - Math.exp(-1))) < 1e-9);
  // Ten steps of 100 ms land in the same place as one of 1000 ms.
  let state = { othersLoad: 0, atMs: NOW - 1000 };
  for (let k = 1; k <= 10; k++) {
    const at = NOW - 1000 + k * 100;
    state = { othersLoad: smooth(100, state, 1000, at), atMs: at };
  }
  assert.ok(Math.abs(state.othersLoad - once) < 1e-9);
  assert.equal(smooth(100, undefined, 1000, NOW), 100, 'a first measurement is taken as it is');
  assert.equal(smooth(100, prev, 0, NOW), 100, 'smoothingMs 0: none');
});

test('a reading enters the smoothing as at most MAX_LOAD_RATIO x capacity, and so does what was smoothed before', () => {
  const smoothing = { smoothingMs: 1000 };
  for (const absurd of [1e308, Number.MAX_VALUE, 1e9]) {
    const first = estimateLoad(report('r1', 100, absurd, 0), null, undefined, smoothing, NOW);
    assert.equal(first.othersLoad, MAX_LOAD_RATIO * 100);
    assert.equal(first.clamped, true);
    assert.equal(first.room, 0, 'a region reported over its capacity has no room');
    // A smoothed value from before (another capacity, or an older build) is bounded the same way.
    const after = estimateLoad(report('r1', 100, 50, 0), null, { othersLoad: absurd, atMs: NOW - 500 }, smoothing, NOW);
    const expected = 200 + (50 - 200) * (1 - Math.exp(-0.5));
    assert.ok(Math.abs((after.othersLoad as number) - expected) < 1e-9, String(after.othersLoad));
    assert.equal(after.clamped, false);
  }
  const atBound = estimateLoad(report('r1', 100, 200, 0), null, undefined, smoothing, NOW);
  assert.equal(atBound.clamped, false, 'twice the capacity is still a figure');
  assert.equal(atBound.othersLoad, 200);
  const noCapacity = estimateLoad(report('r1', 0, 5, 0), null, undefined, smoothing, NOW);
  assert.deepEqual(
    [noCapacity.othersLoad, noCapacity.room, noCapacity.clamped],
    [5, 0, false],
    'no capacity: no room either way',
  );
});

test('a 429 caps the room for the pick, not the shares', () => {
  const r = report('r1', 100, 0, 200);
  const cell = cellWith(0, 8, r.atMs);
  cell.capRoom(8, NOW - 10, NOW + 990);
  const load = estimateLoad(r, cell, undefined, SETTINGS, NOW);
  assert.equal(load.room, 100);
  assert.equal(load.roomCap, 8);
  assert.equal(load.capUntilMs, NOW + 990);
  const t = view([r, report('r2', 100, 0, 200)]);
  const plan = planDeployment(
    { name: 'd', model: 'm', type: 'global', boundary: ['r1', 'r2'], servable: ['r1', 'r2'], capacityUnit: 'requests' },
    input(t, {
      load: (_m, region) =>
        region === 'r1' ? load : estimateLoad(t.report('m', 'r2'), null, undefined, SETTINGS, NOW),
    }),
    NOW,
  );
  const r1 = plan.regions.find((x) => x.region === 'r1');
  assert.equal(r1?.share, 0.5, 'shares stay put');
  assert.equal(r1?.headroom, 0, 'the headroom now is the capped room minus what is in flight');
});
