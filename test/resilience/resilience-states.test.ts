import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { validateConfig } from '../../src/config/validate.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { Resilience } from '../../src/resilience/resilience.js';
import { retryAfterMsOf } from '../../src/proxy/retry-policy.js';
import type { BackendHealth } from '../../src/resilience/outcome.js';
import { OwnLoad } from '../../src/telemetry/own-load.js';

const T0 = 1_800_000_000_000;

function setup(overrides: Record<string, unknown> = {}) {
  const checked = validateConfig({
    zones: { z: ['r1', 'r2'] },
    backends: [
      { region: 'r1', url: 'http://127.0.0.1:1' },
      { region: 'r2', url: 'http://127.0.0.1:2' },
    ],
    deployments: [{ name: 'd', model: 'm', type: 'global' }],
    telemetry: { url: 'http://127.0.0.1:3/t' },
    outlier: { consecutiveFailures: 3, baseEjectionMs: 10_000 },
    slowStart: { windowMs: 10_000, minWeightPercent: 10 },
    ...overrides,
  });
  if (!checked.ok) throw new Error(checked.errors.join('\n'));
  let now = T0;
  let replans = 0;
  const ownLoad = new OwnLoad(10_000);
  const r = new Resilience({
    config: checked.config,
    metrics: new Metrics(),
    logger: pino({ level: 'silent' }),
    now: () => now,
    requestReplan: () => replans++,
    ownLoad,
  });
  const backend = { region: 'r1', url: 'http://127.0.0.1:1', connectFailures: 0, ejectedUntilMs: 0 } as BackendHealth;
  return {
    r,
    ownLoad,
    backend,
    at: (ms: number) => (now = T0 + ms),
    replans: () => replans,
    outcome: (status: number, errorCode: string | null = null, retryAfterMs: number | null = null) =>
      r.onOutcome('m', backend, status, errorCode, retryAfterMs, status === 0 ? null : 0.01),
  };
}

test('ejected, then slow start from the end of the ejection, then active', () => {
  const s = setup();
  for (let i = 0; i < 3; i++) s.outcome(502);
  assert.equal(s.replans(), 1, 'an ejection asks for a re-plan');
  const ejected = s.r.availability('m', 'r1', T0 + 5000);
  assert.equal(ejected?.state, 'ejected');
  assert.equal(ejected?.kind, 'failure');
  assert.equal(ejected?.untilMs, T0 + 10_000);
  assert.equal(s.r.availability('m', 'r2', T0 + 5000), undefined, 'other regions are untouched');
  const ramp = s.r.availability('m', 'r1', T0 + 15_000);
  assert.equal(ramp?.state, 'slow-start');
  assert.ok(Math.abs(ramp!.weightFactor - 0.5) < 1e-9, `half way through the ramp: ${ramp!.weightFactor}`);
  assert.equal(s.r.availability('m', 'r1', T0 + 20_000), undefined);
});

test('a client that goes away is never counted against the backend', () => {
  const s = setup();
  for (let i = 0; i < 10; i++) s.outcome(0, 'ClientClosed');
  assert.equal(s.r.availability('m', 'r1', T0), undefined);
  assert.equal(s.backend.connectFailures, 0);
});

test('Retry-After starts a cooldown bounded by cooldown.maxMs; slow start follows', () => {
  // The cooldown rule on its own: with quota books, a long Retry-After is a quota rest (quota-windows.test.ts).
  const s = setup({ cooldown: { maxMs: 5000 }, quota: { enabled: false } });
  s.outcome(429, null, 3_600_000);
  const c = s.r.availability('m', 'r1', T0 + 1000);
  assert.equal(c?.state, 'cooldown');
  assert.equal(c?.untilMs, T0 + 5000);
  assert.equal(s.r.availability('m', 'r1', T0 + 5000)?.state, 'slow-start');
  s.outcome(429, null, null);
  assert.equal(s.r.availability('m', 'r2', T0 + 1000), undefined);
});

test('consecutive connect failures skip the backend inside its region', () => {
  const s = setup();
  for (let i = 0; i < 3; i++) s.outcome(0, 'ECONNREFUSED');
  assert.equal(s.backend.ejectedUntilMs, T0 + 10_000);
});

test('telemetry that comes back after going stale starts a slow start; the first report does not', () => {
  const s = setup();
  let report: { region: string; model: string; capacity: number; inUse: number; atMs: number } | undefined;
  const view = {
    report: () => report,
    source: { lastSuccessAtMs: T0, lastAttemptAtMs: T0, lastPollOk: true, lastError: null, polls: 1, failures: 0 },
  };
  s.r.observeTelemetry(view, ['m'], ['r1'], 3000, T0);
  report = { region: 'r1', model: 'm', capacity: 1, inUse: 0, atMs: T0 + 100 };
  s.r.observeTelemetry(view, ['m'], ['r1'], 3000, T0 + 100);
  assert.equal(s.r.availability('m', 'r1', T0 + 200), undefined, 'first sight is not a recovery');
  s.r.observeTelemetry(view, ['m'], ['r1'], 3000, T0 + 5000);
  report = { region: 'r1', model: 'm', capacity: 1, inUse: 0, atMs: T0 + 6000 };
  s.r.observeTelemetry(view, ['m'], ['r1'], 3000, T0 + 6000);
  assert.equal(s.r.availability('m', 'r1', T0 + 7000)?.state, 'slow-start');
});

test('telemetry that comes back after a gap in which the region kept serving starts no slow start', () => {
  const s = setup();
  let report: { region: string; model: string; capacity: number; inUse: number; atMs: number } | undefined = {
    region: 'r1',
    model: 'm',
    capacity: 1,
    inUse: 0,
    atMs: T0,
  };
  const view = {
    report: () => report,
    source: { lastSuccessAtMs: T0, lastAttemptAtMs: T0, lastPollOk: true, lastError: null, polls: 1, failures: 0 },
  };
  s.r.observeTelemetry(view, ['m'], ['r1'], 3000, T0);
  s.r.observeTelemetry(view, ['m'], ['r1'], 3000, T0 + 5000);
  // Blind for the router, yet answering it: served at conservative shares meanwhile.
  s.at(5500);
  s.outcome(200);
  s.outcome(429, null, 1000);
  report = { region: 'r1', model: 'm', capacity: 1, inUse: 0, atMs: T0 + 6000 };
  s.r.observeTelemetry(view, ['m'], ['r1'], 3000, T0 + 6000);
  assert.equal(s.r.availability('m', 'r1', T0 + 7000), undefined, 'it never left: full weight at once');

  // Answers that were all errors are no sign of serving: that region does ramp back.
  const t = setup();
  t.r.observeTelemetry(view, ['m'], ['r1'], 3000, T0 + 6000);
  t.r.observeTelemetry(view, ['m'], ['r1'], 3000, T0 + 10_000);
  t.at(10_500);
  t.outcome(429, null, 1000);
  t.outcome(400);
  t.outcome(0, 'ECONNREFUSED');
  report = { region: 'r1', model: 'm', capacity: 1, inUse: 0, atMs: T0 + 11_000 };
  t.r.observeTelemetry(view, ['m'], ['r1'], 3000, T0 + 11_000);
  assert.equal(t.r.availability('m', 'r1', T0 + 11_500)?.state, 'slow-start');
});

test('Retry-After is read in seconds, as an HTTP date, or as retry-after-ms', () => {
  const raw = (...pairs: string[]) => pairs.map((p) => Buffer.from(p));
  assert.equal(retryAfterMsOf(raw('Retry-After', '3'), T0), 3000);
  assert.equal(retryAfterMsOf(raw('retry-after-ms', '250'), T0), 250);
  assert.equal(retryAfterMsOf(raw('Retry-After', new Date(T0 + 10_000).toUTCString()), T0), 10_000);
  assert.equal(retryAfterMsOf(raw('Retry-After', 'soon'), T0), null);
  assert.equal(retryAfterMsOf(raw('Content-Type', 'x'), T0), null);
});

test('one 429 at the capacity edge caps the room for this router; the region stays in', () => {
  const s = setup();
  const cell = s.ownLoad.cell('m', 'r1');
  cell.inFlight = 7;
  s.outcome(429, null, 1000);
  assert.equal(s.r.availability('m', 'r1', T0 + 1), undefined, 'no cooldown for one answer');
  assert.equal(cell.roomCap, 7, 'full with the 7 requests it has in flight there');
  assert.equal(cell.capUntilMs, T0 + 1000, 'for as long as its Retry-After');
  assert.equal(s.replans(), 0);
});

test('a long Retry-After (a spent quota) rests the region at once', () => {
  const s = setup({ cooldown: { minRetryAfterMs: 10_000 }, quota: { enabled: false } });
  s.outcome(429, null, 9_999);
  assert.equal(s.r.availability('m', 'r1', T0 + 1), undefined);
  s.outcome(429, null, 10_000);
  assert.equal(s.r.availability('m', 'r1', T0 + 1)?.state, 'cooldown');
});

test('a region that turns away nearly everything rests; a fleet at its edge does not', () => {
  const busy = setup({ outlier: { minRequests: 10 } });
  for (let i = 0; i < 100; i++) busy.outcome(i % 3 === 0 ? 429 : 200, null, 1000);
  assert.equal(busy.r.availability('m', 'r1', T0 + 1), undefined, 'a third of answers 429: a capacity edge');
  const refusing = setup({ outlier: { minRequests: 10 } });
  for (let i = 0; i < 9; i++) refusing.outcome(429, null, 1000);
  assert.equal(refusing.r.availability('m', 'r1', T0 + 1), undefined, 'not judged before minRequests');
  refusing.outcome(429, null, 1000);
  const c = refusing.r.availability('m', 'r1', T0 + 1);
  assert.equal(c?.state, 'cooldown');
  assert.match(c?.reason ?? '', /429 rate 1\.00 >= 0\.9 over 10 attempts/);
});

test('a 503 with Retry-After rests the region; after a short rest it ramps back as long as it rested', () => {
  const s = setup({ slowStart: { windowMs: 30_000, minWeightPercent: 10 } });
  s.outcome(503, null, 2000);
  assert.equal(s.r.availability('m', 'r1', T0 + 1000)?.state, 'cooldown');
  const ramp = s.r.availability('m', 'r1', T0 + 3000);
  assert.equal(ramp?.state, 'slow-start');
  assert.ok(Math.abs((ramp?.weightFactor ?? 0) - 0.5) < 1e-9, 'half way through a 2 s ramp');
  assert.equal(s.r.availability('m', 'r1', T0 + 4000), undefined, 'back in full after 2 s, not 30');
});
