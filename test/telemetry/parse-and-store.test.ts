import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MalformedTelemetryError, parseTelemetryBody } from '../../src/telemetry/parse.js';
import { TelemetryStore, sourceStatusOf } from '../../src/telemetry/store.js';

const NOW = Date.parse('2026-11-26T07:00:10.000Z');

test('valid reports parse with ISO or epoch-ms `at`; a future `at` counts as now', () => {
  const { reports, rejected } = parseTelemetryBody(
    JSON.stringify({
      reports: [
        { region: 'a', model: 'm', capacity: 100, inUse: 40, at: '2026-11-26T07:00:00.000Z' },
        { region: 'b', model: 'm', capacity: 10, inUse: 0, at: NOW - 500 },
        { region: 'c', model: 'm', capacity: 10, inUse: 0, at: '2027-01-01T00:00:00Z' },
      ],
    }),
    NOW,
  );
  assert.equal(rejected.length, 0);
  assert.deepEqual(
    reports.map((r) => r.atMs),
    [NOW - 10_000, NOW - 500, NOW],
  );
});

test('one bad report is rejected with its field; the others survive', () => {
  const { reports, rejected } = parseTelemetryBody(
    JSON.stringify({
      reports: [
        { region: 'a', model: 'm', capacity: 100, inUse: 40, at: NOW },
        { region: 'b', model: 'm', capacity: -1, inUse: 0, at: NOW },
        { region: 'c', model: 'm', capacity: 1, inUse: '3', at: NOW },
        { region: 'd', model: 'm', capacity: 1, inUse: 0, at: 'yesterday' },
        { model: 'm', capacity: 1, inUse: 0, at: NOW },
        'nope',
      ],
    }),
    NOW,
  );
  assert.deepEqual(
    reports.map((r) => r.region),
    ['a'],
  );
  assert.deepEqual(
    rejected.map((r) => r.reason),
    ['capacity', 'inUse', 'at', 'region', 'not-an-object'],
  );
});

test("a body that is not the contract's shape is malformed as a whole", () => {
  assert.throws(() => parseTelemetryBody('<html>', NOW), MalformedTelemetryError);
  assert.throws(() => parseTelemetryBody('{"report":[]}', NOW), MalformedTelemetryError);
  assert.throws(() => parseTelemetryBody('[]', NOW), MalformedTelemetryError);
});

test('the store keeps the newest report per region and model, ignores unknown ones, and survives failures', () => {
  const store = new TelemetryStore(new Set(['a', 'b']), new Set(['m']));
  const r = (region: string, atMs: number, inUse = 0) => ({ region, model: 'm', capacity: 10, inUse, atMs });
  const first = store.recordSuccess([r('a', NOW - 100, 1), r('zz', NOW), { ...r('a', NOW), model: 'other' }], NOW);
  assert.deepEqual(first, { accepted: 1, ignored: 2, outdated: 0 });
  const second = store.recordSuccess([r('a', NOW - 200, 5)], NOW + 500);
  assert.equal(second.outdated, 1);
  assert.equal(store.report('m', 'a')?.inUse, 1, 'an older measurement never replaces a newer one');
  store.recordFailure('timeout: no answer', NOW + 1000);
  assert.equal(store.report('m', 'a')?.inUse, 1, 'a failed poll keeps the last good data');
  assert.equal(store.source.failures, 1);
  assert.equal(store.source.lastError, 'timeout: no answer');
});

test('source status: ok, error within staleAfterMs, stale after it or before any success', () => {
  const store = new TelemetryStore(new Set(['a']), new Set(['m']));
  assert.equal(sourceStatusOf(store.source, NOW, 3000), 'stale');
  store.recordSuccess([], NOW);
  assert.equal(sourceStatusOf(store.source, NOW + 100, 3000), 'ok');
  store.recordFailure('connect: ECONNREFUSED', NOW + 500);
  assert.equal(sourceStatusOf(store.source, NOW + 3000, 3000), 'error');
  assert.equal(sourceStatusOf(store.source, NOW + 3001, 3000), 'stale');
});
