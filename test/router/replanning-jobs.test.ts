// Re-planning is made of jobs that each run, and are tested, on their own with an
// injected clock: the sources' status (SourceWatch), the plans (Replanner, planner
// layer: no I/O, no clock), and the retry budget's rate window, which moves on a tick of
// its own and not because plans are rebuilt.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { Config } from '../../src/config/types.js';
import { twoRegionConfig } from '../helpers/router-config.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { Replanner, type ClampedReading } from '../../src/planner/replanner.js';
import { Router } from '../../src/router/router.js';
import { OwnLoad } from '../../src/telemetry/own-load.js';
import { SourceWatch } from '../../src/telemetry/source-watch.js';
import { TelemetryStore } from '../../src/telemetry/store.js';
import { buildTopology } from '../../src/topology/topology.js';

const T0 = 1_800_000_000_000;

const config = (): Config =>
  twoRegionConfig({ telemetry: { url: 'http://127.0.0.1:9/telemetry', staleAfterMs: 3000 } });

test('SourceWatch: stale before any report, ok after one, stale again staleAfterMs later; each change logged once', () => {
  const c = config();
  const store = new TelemetryStore(new Set(['a', 'b']), new Set(['m']), ['json'], false);
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  const watch = new SourceWatch(store, new Metrics(), logger, c.telemetry.staleAfterMs);
  assert.equal(watch.observe(T0), 'stale');
  store.recordSuccess([{ region: 'a', model: 'm', capacity: 10, inUse: 1, atMs: T0 }], T0 + 10);
  assert.equal(watch.observe(T0 + 20), 'ok');
  assert.equal(watch.statuses.get('json'), 'ok');
  assert.equal(watch.observe(T0 + 1000), 'ok');
  assert.equal(watch.observe(T0 + 3100), 'stale');
  const changes = lines.filter((l) => l.msg === 'telemetry source status changed').map((l) => l.telemetry);
  assert.deepEqual(changes, ['ok', 'stale']);
});

test('Replanner: plans from the store at the time given, carries smoothing from one re-plan to the next, reports clamped readings', () => {
  const c = config();
  const topology = buildTopology(c);
  const store = new TelemetryStore(new Set(topology.regions), new Set(['m']), ['json'], false);
  const ownLoad = new OwnLoad(10_000);
  const replanner = new Replanner(c, topology);
  const inputs = {
    store,
    ownLoad,
    sourceStatus: 'ok' as const,
    startedAtMs: T0,
    availability: () => undefined,
    passiveFactor: () => 1,
  };
  store.recordSuccess(
    [
      { region: 'a', model: 'm', capacity: 100, inUse: 1e308, atMs: T0 },
      { region: 'b', model: 'm', capacity: 100, inUse: 20, atMs: T0 },
    ],
    T0,
  );
  const clamped: ClampedReading[] = [];
  const [first] = replanner.plan(topology.deployments, inputs, T0 + 10, clamped);
  assert.deepEqual(
    clamped.map((r) => r.region),
    ['a'],
    'the absurd reading is reported',
  );
  const shareOf = (plan: typeof first, region: string) => plan?.regions.find((r) => r.region === region)?.share;
  assert.equal(shareOf(first, 'a'), 0, 'a region read as full gets nothing');
  // Sane readings again: the smoothed load of the last re-plan carries over, bounded.
  store.recordSuccess(
    [
      { region: 'a', model: 'm', capacity: 100, inUse: 20, atMs: T0 + 5000 },
      { region: 'b', model: 'm', capacity: 100, inUse: 20, atMs: T0 + 5000 },
    ],
    T0 + 5000,
  );
  const later: ClampedReading[] = [];
  const [second] = replanner.plan(topology.deployments, inputs, T0 + 5010, later);
  assert.deepEqual(later, []);
  assert.ok((shareOf(second, 'a') ?? 0) > 0.3, `back in the plan: ${shareOf(second, 'a')}`);
});

test("re-planning does not move the retry budget's rate window: its own tick does", (t) => {
  let now = T0;
  const router = new Router({ config: config(), logger: pino({ level: 'silent' }), now: () => now });
  t.after(() => router.stop());
  const budget = router.resilience.budget;
  budget.tick(now);
  budget.requests += 100;
  assert.ok(budget.tryAcquire(0, true));
  budget.release();
  assert.equal(budget.retriesInWindow(), 1);
  // 20 s of re-plans: the window (10 s) would have dropped that retry had they moved it.
  for (let i = 0; i < 80; i++) {
    now += 250;
    router.replan();
  }
  assert.equal(budget.retriesInWindow(), 1, 're-plans leave the window where it was');
  for (let ms = 0; ms <= 10_250; ms += 250) budget.tick(T0 + 20_000 + ms);
  assert.equal(budget.retriesInWindow(), 0, 'its own tick moves it on');
});
