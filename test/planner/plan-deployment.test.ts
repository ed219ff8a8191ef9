import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modeLogLevel, planDeployment } from '../../src/planner/plan-deployment.js';
import type { DeploymentTopology } from '../../src/topology/topology.js';
import { NOW, input, report, view } from '../helpers/planner-fixtures.js';

const eu: DeploymentTopology = {
  name: 'chat-eu',
  model: 'm',
  type: 'datazone',
  boundary: ['norwayeast', 'swedencentral', 'uksouth', 'westeurope'],
  servable: ['norwayeast', 'swedencentral', 'uksouth', 'westeurope'],
  capacityUnit: 'requests',
};
const shareOf = (plan: ReturnType<typeof planDeployment>, region: string): number =>
  plan.regions.find((r) => r.region === region)!.share;

test('normal mode: shares are proportional to headroom', () => {
  const t = view([
    report('norwayeast', 100, 40),
    report('swedencentral', 100, 70),
    report('uksouth', 50, 50),
    report('westeurope', 100, 90),
  ]);
  const plan = planDeployment(eu, input(t), NOW);
  assert.equal(plan.mode, 'normal');
  assert.equal(plan.coverage, 1);
  // headroom 60, 30, 0, 10 -> 0.6, 0.3, 0, 0.1
  assert.ok(Math.abs(shareOf(plan, 'norwayeast') - 0.6) < 1e-12);
  assert.ok(Math.abs(shareOf(plan, 'swedencentral') - 0.3) < 1e-12);
  assert.equal(shareOf(plan, 'uksouth'), 0);
  assert.ok(Math.abs(shareOf(plan, 'westeurope') - 0.1) < 1e-12);
  assert.deepEqual(plan.routable, ['norwayeast', 'swedencentral', 'westeurope']);
  assert.match(plan.reason, /^coverage 1\.00 >= 0\.75/);
});

test('a stale region is unknown, not zero: it keeps its last known headroom while recent', () => {
  const t = view([
    report('norwayeast', 100, 40),
    report('swedencentral', 100, 70),
    report('uksouth', 100, 80),
    report('westeurope', 100, 50, 10_000),
  ]);
  const plan = planDeployment(eu, input(t), NOW);
  assert.equal(plan.mode, 'normal');
  assert.equal(plan.coverage, 0.75);
  const west = plan.regions.find((r) => r.region === 'westeurope')!;
  assert.equal(west.fresh, false);
  assert.equal(west.estimate, 'last-known');
  assert.equal(west.headroom, 50);
  assert.ok(Math.abs(west.share - 50 / 160) < 1e-12);
  assert.match(plan.reason, /estimated: westeurope/);
});

test('a long-silent region is estimated at the median of the fresh ones', () => {
  const t = view([
    report('norwayeast', 100, 40),
    report('swedencentral', 100, 70),
    report('uksouth', 100, 80),
    report('westeurope', 100, 0, 120_000),
  ]);
  const plan = planDeployment(eu, input(t), NOW);
  const west = plan.regions.find((r) => r.region === 'westeurope')!;
  assert.equal(west.estimate, 'median');
  assert.equal(west.headroom, 30); // median of 60, 30, 20
});

test('coverage below minCoverage turns conservative, names the regions and caps every share', () => {
  // The unseen regions last reported little room: without the cap, norwayeast would take ~97%.
  const t = view([
    report('norwayeast', 1000, 0),
    report('swedencentral', 10, 0, 10_000),
    report('uksouth', 10, 0, 10_000),
    report('westeurope', 10, 0, 10_000),
  ]);
  const plan = planDeployment(eu, input(t), NOW);
  assert.equal(plan.mode, 'conservative');
  assert.equal(plan.coverage, 0.25);
  assert.equal(plan.reason, 'coverage 0.25 < 0.75: no fresh data for swedencentral, uksouth, westeurope');
  for (const r of plan.regions) {
    assert.ok(r.share > 0, `${r.region} gets traffic`);
    assert.ok(r.share <= 1.5 / 4 + 1e-12, `${r.region} share ${r.share} within the cap`);
  }
  assert.ok(
    Math.abs(shareOf(plan, 'norwayeast') - 1.5 / 4) < 1e-12,
    'the one visible region is held at the cap, not flooded',
  );
});

test('a stale source turns conservative even with fresh-looking reports, and says why', () => {
  const t = view(
    [
      report('norwayeast', 100, 0),
      report('swedencentral', 100, 0),
      report('uksouth', 100, 0),
      report('westeurope', 100, 0),
    ],
    {
      lastSuccessAtMs: NOW - 5000,
      lastPollOk: false,
      lastError: 'connect: ECONNREFUSED',
    },
  );
  const plan = planDeployment(eu, input(t, { status: 'stale' }), NOW);
  assert.equal(plan.mode, 'conservative');
  assert.match(
    plan.reason,
    /telemetry stale: no source has delivered for 5\.0 s \(staleAfterMs 3000\); last error: connect: ECONNREFUSED/,
  );
});

test('before any telemetry the plan is conservative and spreads evenly', () => {
  const plan = planDeployment(
    eu,
    input(view([], { lastSuccessAtMs: null, lastPollOk: false }), { status: 'stale' }),
    NOW,
  );
  assert.equal(plan.mode, 'conservative');
  assert.match(plan.reason, /^no telemetry received yet/);
  for (const r of plan.regions) assert.ok(Math.abs(r.share - 0.25) < 1e-12);
});

test('no telemetry within staleAfterMs of the start is a normal start; after it, the telemetry is late', () => {
  const none = view([], { lastSuccessAtMs: null, lastAttemptAtMs: null, lastPollOk: false, polls: 0 });
  const at = (sinceStartMs: number) =>
    planDeployment(eu, input(none, { status: 'stale', startedAtMs: NOW - sinceStartMs }), NOW);

  for (const sinceStartMs of [0, 20, 3000]) {
    const waiting = at(sinceStartMs);
    assert.equal(waiting.mode, 'conservative', 'routing is conservative all the same');
    assert.equal(waiting.reason, 'no telemetry received yet');
    assert.equal(waiting.awaitingFirstTelemetry, true);
    assert.equal(modeLogLevel(waiting), 'info', `${sinceStartMs} ms after the start`);
  }
  const late = at(3001);
  assert.equal(late.mode, 'conservative');
  assert.equal(late.reason, 'no telemetry received yet: none in 3.0 s since the start (staleAfterMs 3000)');
  assert.equal(late.awaitingFirstTelemetry, false);
  assert.equal(modeLogLevel(late), 'warn');

  // A first poll that failed is no telemetry either; its error is part of the reason.
  const failed = view([], { lastSuccessAtMs: null, lastPollOk: false, lastError: 'connect: ECONNREFUSED', polls: 1 });
  const waiting = planDeployment(eu, input(failed, { status: 'stale', startedAtMs: NOW - 100 }), NOW);
  assert.equal(waiting.reason, 'no telemetry received yet; last error: connect: ECONNREFUSED');
  assert.equal(modeLogLevel(waiting), 'info');
});

test('conservative for any other reason is a warning, also right after the start; normal is not', () => {
  const justStarted = { startedAtMs: NOW - 100 };
  const lowCoverage = planDeployment(eu, input(view([report('norwayeast', 100, 40)]), justStarted), NOW);
  assert.equal(lowCoverage.mode, 'conservative');
  assert.equal(lowCoverage.awaitingFirstTelemetry, false);
  assert.equal(modeLogLevel(lowCoverage), 'warn');

  const stale = planDeployment(
    eu,
    input(view([], { lastSuccessAtMs: NOW - 5000 }), { ...justStarted, status: 'stale' }),
    NOW,
  );
  assert.match(stale.reason, /^telemetry stale/);
  assert.equal(modeLogLevel(stale), 'warn');

  const all = ['norwayeast', 'swedencentral', 'uksouth', 'westeurope'].map((r) => report(r, 100, 40));
  const normal = planDeployment(eu, input(view(all), justStarted), NOW);
  assert.equal(normal.mode, 'normal');
  assert.equal(modeLogLevel(normal), 'info');
});

test('conservative mode still sends a floor share to a region that reports no headroom', () => {
  const t = view([report('norwayeast', 100, 100), report('swedencentral', 100, 0)]);
  const plan = planDeployment(eu, input(t), NOW);
  assert.equal(plan.mode, 'conservative');
  assert.ok(shareOf(plan, 'norwayeast') >= 0.25 / 4 - 1e-12);
});

test('every region out of headroom in normal mode: spread evenly and let the backends decide', () => {
  // An estimate is no reason to refuse what the fleet may still take (its requests may
  // have finished since): no rejection, even shares, and the pick leans on free room.
  const t = view([
    report('norwayeast', 10, 10),
    report('swedencentral', 10, 12),
    report('uksouth', 10, 10),
    report('westeurope', 10, 10),
  ]);
  const plan = planDeployment(eu, input(t), NOW);
  assert.equal(plan.rejection, null);
  assert.equal(plan.routable.length, 4);
  for (const r of plan.regions) assert.ok(Math.abs(r.share - 0.25) < 1e-12);
  assert.match(plan.reason, /no room left by the estimate: spread evenly, the backends decide/);
});

test('ejected regions get nothing; all ejected gives 503 with the earliest return as Retry-After', () => {
  const t = view([
    report('norwayeast', 100, 0),
    report('swedencentral', 100, 0),
    report('uksouth', 100, 0),
    report('westeurope', 100, 0),
  ]);
  const ejected = {
    state: 'ejected' as const,
    reason: '5xx',
    kind: 'failure' as const,
    sinceMs: NOW - 1000,
    untilMs: NOW + 30_000,
    weightFactor: 1,
  };
  const some = planDeployment(eu, input(t, { availability: { norwayeast: ejected } }), NOW);
  assert.equal(shareOf(some, 'norwayeast'), 0);
  assert.equal(some.regions.find((r) => r.region === 'norwayeast')!.state, 'ejected');
  const all = planDeployment(
    eu,
    input(t, {
      availability: {
        norwayeast: ejected,
        swedencentral: { ...ejected, untilMs: NOW + 4_500 },
        uksouth: ejected,
        westeurope: ejected,
      },
    }),
    NOW,
  );
  assert.equal(all.rejection?.status, 503);
  assert.equal(all.rejection?.retryAfterS, 5);
});

test('regions of the zone without a backend are listed but never routed to', () => {
  const partial: DeploymentTopology = { ...eu, servable: ['swedencentral'] };
  const plan = planDeployment(partial, input(view([report('swedencentral', 10, 0)])), NOW);
  assert.deepEqual(
    plan.regions.map((r) => r.region),
    eu.boundary,
  );
  assert.deepEqual(plan.routable, ['swedencentral']);
  assert.equal(plan.coverage, 1);
  assert.equal(plan.regions.find((r) => r.region === 'uksouth')!.state, 'no-backend');
});

test('a report from the future is treated as measured now, and a report exactly staleAfterMs old is still fresh', () => {
  const t = view([
    report('norwayeast', 10, 0, -60_000),
    report('swedencentral', 10, 0, 3000),
    report('uksouth', 10, 0, 3001),
    report('westeurope', 10, 0),
  ]);
  const plan = planDeployment(eu, input(t), NOW);
  const byRegion = new Map(plan.regions.map((r) => [r.region, r]));
  assert.equal(byRegion.get('norwayeast')!.ageMs, 0);
  assert.equal(byRegion.get('swedencentral')!.fresh, true);
  assert.equal(byRegion.get('uksouth')!.fresh, false);
});
