import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { DEPLOYMENTS, SLOT_FLEET } from '../../replay/fleet.js';
import { INCIDENTS } from '../../replay/incidents/index.js';
import { POWER_LOSS } from '../../replay/incidents/power-loss.js';
import { QUOTA_EXHAUSTION, TENANT_DEPLOYMENT } from '../../replay/incidents/quota-exhaustion.js';
import { RETRY_STORM } from '../../replay/incidents/retry-storm.js';
import { buildSchedule } from '../../replay/schedule.js';
import type { Incident } from '../../replay/types.js';

const STEADY: Incident = {
  name: 'engine-mismatch',
  title: 'steady',
  seconds: 100,
  fault: { startS: 10, endS: 20 },
  load: 0.5,
  client: { maxRetries: 2, label: 'sdk' },
  events: [],
  ablations: [],
};

test('the same seed gives the same requests; another seed other ones', () => {
  assert.deepEqual(buildSchedule(STEADY, 50, 7), buildSchedule(STEADY, 50, 7));
  assert.notDeepEqual(buildSchedule(STEADY, 50, 7).slice(0, 5), buildSchedule(STEADY, 50, 8).slice(0, 5));
});

test('arrivals come at the rate asked, in order, in the deployment mix', () => {
  const s = buildSchedule(STEADY, 50, 1);
  assert.ok(Math.abs(s.length - 5000) < 4 * Math.sqrt(5000), `${s.length} requests for 50/s over 100 s`);
  for (let i = 1; i < s.length; i++) assert.ok((s[i] as { tMs: number }).tMs >= (s[i - 1] as { tMs: number }).tMs);
  const total = DEPLOYMENTS.reduce((a, d) => a + d.weight, 0);
  for (const d of DEPLOYMENTS) {
    const share = s.filter((a) => a.deployment === d.name).length / s.length;
    assert.ok(Math.abs(share - d.weight / total) < 0.03, `${d.name}: ${share}`);
  }
});

test('a surge multiplies the rate while it lasts', () => {
  const s = buildSchedule(RETRY_STORM, 100, 3);
  const rate = (from: number, to: number): number =>
    s.filter((a) => a.tMs >= from * 1000 && a.tMs < to * 1000).length / (to - from);
  const before = rate(0, 4);
  const during = rate(4, 10);
  assert.ok(during / before > 2.4 && during / before < 3.6, `x${(during / before).toFixed(2)}`);
  assert.ok(Math.abs(rate(12, 22) / 100 - 1) < 0.2);
});

test('pent-up requests are held while their region is out and sent together when it returns', () => {
  const pent = POWER_LOSS.pentUp;
  assert.ok(pent);
  const s = buildSchedule(POWER_LOSS, 100, 4);
  const of = s.filter((a) => a.deployment === pent.deployment);
  assert.equal(of.filter((a) => a.tMs >= pent.fromS * 1000 && a.tMs < pent.releaseS * 1000).length, 0);
  const burst = of.filter((a) => a.tMs >= pent.releaseS * 1000 && a.tMs < (pent.releaseS + pent.spreadS) * 1000);
  assert.ok(burst.length > 30, `${burst.length} held requests sent at the release`);
  assert.ok(s.filter((a) => a.deployment !== pent.deployment && a.tMs > 4000 && a.tMs < 8000).length > 300);
});

test('a shorter time scale keeps the pace and shortens the run', () => {
  const full = buildSchedule(STEADY, 50, 1);
  const short = buildSchedule(STEADY, 50, 1, 0.1);
  assert.ok((short.at(-1)?.tMs ?? 0) < 10_000);
  assert.ok(Math.abs(short.length - full.length / 10) < 4 * Math.sqrt(full.length / 10));
});

test("a surge's extra requests are its backlog: (f - 1) of every f, and none outside it", () => {
  const s = buildSchedule(RETRY_STORM, 100, 3);
  const surge = (a: { tMs: number }): boolean => a.tMs >= 4000 && a.tMs < 10_000;
  assert.equal(s.filter((a) => a.backlog && !surge(a)).length, 0, 'backlog only during the surge');
  const during = s.filter(surge);
  const share = during.filter((a) => a.backlog).length / during.length;
  // x3: two of every three requests of the surge are the backlog's (binomial, n about 1800).
  assert.ok(Math.abs(share - 2 / 3) < 4 * Math.sqrt(2 / 9 / during.length), `backlog share ${share.toFixed(3)}`);
  assert.equal(buildSchedule(STEADY, 50, 1).filter((a) => a.backlog).length, 0, 'no surge, no backlog');
});

test("marking the backlog leaves every incident's requests (times, deployments) as the replay drew them before", () => {
  // Digests of the replay's schedules (seed 1) from before arrivals were marked: every
  // policy's earlier results stay comparable with runs made since.
  const before: Record<string, [number, string]> = {
    'engine-mismatch': [2769, 'e609f6d3cdbdfb5b'],
    'incomplete-telemetry': [3248, 'd7eb65470306fc1a'],
    'retry-storm': [2388, '2e954f61e88c0234'],
    'power-loss': [3144, '5fa98b8320db8b16'],
    // Added with its requests' sizes and the tenant's burst.
    'quota-exhaustion': [3406, '8dde2b390c97513b'],
  };
  INCIDENTS.forEach((incident, i) => {
    const s = buildSchedule(incident, incident.load * (incident.fleet ?? SLOT_FLEET).capacityRate(), 1 + i);
    const digest = createHash('sha256')
      .update(s.map((a) => `${a.tMs} ${a.deployment}`).join('\n'))
      .digest('hex')
      .slice(0, 16);
    assert.deepEqual([s.length, digest], before[incident.name], incident.name);
  });
});

test("a tenant's burst adds sized requests of its deployment and leaves the usual ones as they were", () => {
  const rate = QUOTA_EXHAUSTION.load * (QUOTA_EXHAUSTION.fleet ?? SLOT_FLEET).capacityRate();
  const s = buildSchedule(QUOTA_EXHAUSTION, rate, 5);
  const without = buildSchedule({ ...QUOTA_EXHAUSTION, bursts: [] }, rate, 5);
  assert.deepEqual(
    s.filter((a) => !a.backlog),
    without,
    'the usual requests: same times, deployments and sizes',
  );
  assert.ok(
    s.every((a) => a.size !== undefined),
    'every request has a size',
  );
  assert.ok(!s.some((a) => a.deployment.startsWith('mini-')), "only the incident's mix");
  const documents = s.filter((a) => (a.size?.promptTokens ?? 0) > 20_000);
  // Evenly spaced: 2.5 a second from 10 s to 12 s.
  assert.deepEqual(
    documents.map((a) => Math.round(a.tMs)),
    [10_000, 10_400, 10_800, 11_200, 11_600],
  );
  for (const d of documents) {
    assert.equal(d.deployment, TENANT_DEPLOYMENT);
    assert.ok(d.backlog);
    assert.equal(d.size?.maxTokens, 8000);
    const prompt = d.size?.promptTokens ?? 0;
    assert.ok(prompt >= 60_000 && prompt <= 100_000, `prompt of ${prompt} tokens`);
  }
  const burst = s.filter((a) => a.backlog && a.tMs >= 10_000 && a.tMs < 16_000).length - documents.length;
  assert.ok(Math.abs(burst - 150) < 4 * Math.sqrt(150), `${burst} ordinary requests of the tenant in 6 s at 25/s`);
});
