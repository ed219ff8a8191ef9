// Quota windows and what a 429 says, on an injected clock: a spent window rests the
// region for the model until it turns; a 429 at a concurrency edge does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { validateConfig } from '../../src/config/validate.js';
import { Metrics } from '../../src/metrics/metrics.js';
import type { BackendHealth } from '../../src/resilience/outcome.js';
import { classify429, type QuotaSettings, QuotaWindows } from '../../src/resilience/quota-windows.js';
import { Resilience } from '../../src/resilience/resilience.js';
import type { RateLimitReading } from '../../src/telemetry/in-band/rate-limits.js';
import { readRateLimits } from '../../src/telemetry/in-band/rate-limits.js';
import { OwnLoad } from '../../src/telemetry/own-load.js';
import { CLOCK_START_MS, ManualClock } from '../helpers/manual-clock.js';

const reading = (r: Partial<RateLimitReading>): RateLimitReading => ({
  limitRequests: -1,
  remainingRequests: -1,
  limitTokens: -1,
  remainingTokens: -1,
  ...r,
});
const settings = (s: Partial<QuotaSettings> = {}): QuotaSettings => ({
  enabled: true,
  subWindowMs: 10_000,
  spentRetryAfterMs: 3000,
  limits: [],
  ...s,
});

test('a 429 says the quota is spent when a remaining count is 0 or its Retry-After is long', () => {
  assert.equal(classify429(reading({ remainingTokens: 0, remainingRequests: 5 }), 6000, 3000), 'remaining-tokens');
  assert.equal(classify429(reading({ remainingRequests: 0 }), null, 3000), 'remaining-requests');
  assert.equal(classify429(null, 6000, 3000), 'retry-after');
  assert.equal(
    classify429(reading({ remainingTokens: 900, remainingRequests: 5 }), 4000, 3000),
    'too-large',
    'tokens remain, fewer than the request needed',
  );
  assert.equal(classify429(reading({ remainingTokens: 900, remainingRequests: 5 }), 1000, 3000), 'capacity');
  assert.equal(classify429(reading({ remainingTokens: 900 }), 3000, 3000), 'capacity', 'the bound itself is an edge');
  assert.equal(classify429(null, null, 3000), 'capacity');
});

test('the rate-limit headers are read off the raw headers in any case, and garbage is -1', () => {
  const raw = [
    'X-RateLimit-Limit-Tokens',
    '60000',
    'x-ratelimit-remaining-tokens',
    ' 0 ',
    'x-ratelimit-limit-requests',
    '-1',
  ].map((s) => Buffer.from(s));
  const out = reading({});
  assert.equal(readRateLimits(raw, out), true);
  assert.deepEqual(out, { limitRequests: -1, remainingRequests: -1, limitTokens: 60_000, remainingTokens: 0 });
  assert.equal(readRateLimits([Buffer.from('retry-after'), Buffer.from('1')], out), false);
});

test('a configured requests-per-minute admits its share per 10 s window, then the region rests until the window turns', () => {
  const clock = new ManualClock();
  const q = new QuotaWindows(
    settings({ limits: [{ model: 'm', region: 'r1', requestsPerMinute: 30, tokensPerMinute: 0 }] }),
  );
  clock.advance(2000);
  for (let i = 0; i < 4; i++) assert.equal(q.charge('m', 'r1', 0, clock.now()), null, `request ${i + 1} of 5`);
  const rest = q.charge('m', 'r1', 0, clock.now());
  assert.equal(rest?.reason, 'window-requests');
  assert.equal(rest?.untilMs, CLOCK_START_MS + 10_000, 'until the 10 s window turns');
  assert.equal(q.charge('m', 'r2', 0, clock.now()), null, 'other regions keep their own books');
  const view = q.views(clock.now()).find((v) => v.region === 'r1');
  assert.equal(view?.limitSource, 'config');
  assert.equal(view?.restingUntilMs, CLOCK_START_MS + 10_000);
  clock.advance(8000);
  assert.equal(q.charge('m', 'r1', 0, clock.now()), null, 'a new window, a new share');
  assert.equal(q.views(clock.now()).find((v) => v.region === 'r1')?.windowRequests, 1);
});

test('tokens per minute: the window rests the region once the charged estimates reach its share', () => {
  const q = new QuotaWindows(
    settings({
      subWindowMs: 1000,
      limits: [{ model: 'm', region: 'r1', requestsPerMinute: 0, tokensPerMinute: 60_000 }],
    }),
  );
  const t = CLOCK_START_MS;
  assert.equal(q.charge('m', 'r1', 600, t), null);
  assert.equal(q.charge('m', 'r1', 399, t + 10), null);
  assert.equal(q.charge('m', 'r1', 1, t + 20)?.reason, 'window-tokens', '1000 tokens: the 1 s share of 60,000/min');
});

test('a request fits a window only with room for its estimate; an empty window takes any request', () => {
  const q = new QuotaWindows(
    settings({
      subWindowMs: 1000,
      limits: [{ model: 'm', region: 'r1', requestsPerMinute: 0, tokensPerMinute: 60_000 }],
    }),
  );
  const t = CLOCK_START_MS;
  assert.equal(q.fits('m', 'r1', 5000, t), true, 'an empty window, whatever the size');
  q.charge('m', 'r1', 700, t);
  assert.equal(q.fits('m', 'r1', 300, t + 1), true, '700 + 300: exactly the share');
  assert.equal(q.fits('m', 'r1', 301, t + 1), false);
  assert.equal(q.fits('m', 'r1', 301, t + 1000), true, 'the next window');
  assert.equal(q.fits('m', 'r2', 1e9, t), true, 'no configured limit: the service decides');
});

test('a refused request is refunded in the window it was charged in, not in a later one', () => {
  const q = new QuotaWindows(
    settings({
      subWindowMs: 1000,
      limits: [{ model: 'm', region: 'r1', requestsPerMinute: 0, tokensPerMinute: 60_000 }],
    }),
  );
  const t = CLOCK_START_MS;
  q.charge('m', 'r1', 700, t);
  assert.equal(q.fits('m', 'r1', 500, t + 1), false);
  q.refund('m', 'r1', 700, t, t + 2);
  assert.equal(q.fits('m', 'r1', 1000, t + 3), true, 'the window is whole again');
  q.charge('m', 'r1', 900, t + 4);
  q.refund('m', 'r1', 900, t + 4, t + 1000);
  assert.equal(q.views(t + 1000)[0]?.windowTokens, 0, 'a refund after the window turned changes nothing');
});

test("the service's remaining count, less this router's sends since, keeps a request away when other clients spent the window", () => {
  const q = new QuotaWindows(
    settings({
      subWindowMs: 1000,
      limits: [{ model: 'm', region: 'r1', requestsPerMinute: 0, tokensPerMinute: 60_000 }],
    }),
  );
  const t = CLOCK_START_MS;
  // Per-minute scale: 6,000 a minute is 100 tokens left in this 1 s window.
  q.learn('m', 'r1', reading({ limitTokens: 60_000, remainingTokens: 6000 }), t);
  assert.equal(q.fits('m', 'r1', 150, t + 1), false, 'other clients left 100 of the 1,000');
  assert.equal(q.fits('m', 'r1', 90, t + 1), true);
  assert.equal(q.charge('m', 'r1', 90, t + 2), null);
  assert.equal(q.fits('m', 'r1', 20, t + 3), false, '10 left after this router sent 90');
  assert.equal(q.charge('m', 'r1', 10, t + 4)?.reason, 'window-tokens', 'the count says nothing is left: rest');
  assert.equal(q.fits('m', 'r1', 900, t + 1000), true, 'a reading holds for its window only');
});

test('limits and remaining counts are learned from answers and shown; the remainder holds for its window only', () => {
  const q = new QuotaWindows(settings());
  const t = CLOCK_START_MS + 1000;
  q.learn(
    'm',
    'r1',
    reading({ limitRequests: 600, remainingRequests: 3, limitTokens: 90_000, remainingTokens: 5000 }),
    t,
  );
  let v = q.views(t)[0];
  assert.deepEqual(
    [v?.limitSource, v?.requestsPerMinute, v?.tokensPerMinute, v?.remainingRequests, v?.remainingTokens],
    ['learned', 600, 90_000, 3, 5000],
  );
  for (let i = 1; i <= 5; i++)
    assert.equal(q.charge('m', 'r1', 0, t + i), null, 'a learned remainder is shown, not acted on alone');
  assert.equal(q.views(t + 5)[0]?.remainingRequests, 0, 'less what the router sent since');
  v = q.views(CLOCK_START_MS + 10_000)[0];
  assert.equal(v?.remainingRequests, null, 'a remainder from an earlier window says nothing of this one');
  assert.equal(v?.requestsPerMinute, 600, 'the limit stays learned');
});

function resilience(overrides: Record<string, unknown> = {}) {
  const checked = validateConfig({
    zones: { z: ['r1', 'r2'] },
    backends: [
      { region: 'r1', url: 'http://127.0.0.1:1' },
      { region: 'r2', url: 'http://127.0.0.1:2' },
    ],
    deployments: [{ name: 'd', model: 'm', type: 'global' }],
    telemetry: { url: 'http://127.0.0.1:3/t' },
    ...overrides,
  });
  if (!checked.ok) throw new Error(checked.errors.join('\n'));
  const clock = new ManualClock();
  const metrics = new Metrics();
  const r = new Resilience({
    config: checked.config,
    metrics,
    logger: pino({ level: 'silent' }),
    now: clock.now,
    requestReplan: () => {},
    ownLoad: new OwnLoad(10_000),
  });
  const backend = { region: 'r1', url: 'http://127.0.0.1:1', connectFailures: 0, ejectedUntilMs: 0 } as BackendHealth;
  const answer429 = (retryAfterMs: number | null, limits: Partial<RateLimitReading> | null) =>
    r.onOutcome('m', backend, 429, null, retryAfterMs, 0.01, true, limits === null ? null : reading(limits));
  return { r, clock, metrics, answer429 };
}

test('a 429 with remaining tokens 0 and Retry-After 6 s rests the region for that model until then, with no slow start after', async () => {
  const s = resilience();
  s.answer429(6000, { limitTokens: 60_000, remainingTokens: 0, remainingRequests: 40 });
  const a = s.r.availability('m', 'r1', s.clock.now());
  assert.equal(a?.state, 'cooldown');
  assert.equal(a?.untilMs, CLOCK_START_MS + 6000);
  assert.match(a?.reason ?? '', /quota spent: .*x-ratelimit-remaining-tokens 0, Retry-After 6000 ms/);
  assert.equal(s.r.availability('other-model', 'r1', s.clock.now()), undefined, 'other models are not rested');
  s.clock.advance(5999);
  assert.equal(s.r.availability('m', 'r1', s.clock.now())?.state, 'cooldown');
  s.clock.advance(1);
  assert.equal(s.r.availability('m', 'r1', s.clock.now()), undefined, 'the window turned: back at full weight');
  const text = await s.metrics.registry.metrics();
  assert.match(text, /switchyard_quota_rests_total\{model="m",region="r1",reason="remaining-tokens"\} 1/);
  assert.match(text, /switchyard_upstream_429_total\{model="m",region="r1",kind="quota"\} 1/);
});

test('a 429 at a concurrency edge (short Retry-After, remaining > 0) stays a capacity signal', async () => {
  const s = resilience();
  for (let i = 0; i < 3; i++) s.answer429(1000, { remainingTokens: 5000, remainingRequests: 20 });
  s.answer429(null, null);
  assert.equal(s.r.availability('m', 'r1', s.clock.now()), undefined);
  assert.match(
    await s.metrics.registry.metrics(),
    /switchyard_upstream_429_total\{model="m",region="r1",kind="capacity"\} 4/,
  );
});

test('a 429 for a request larger than what is left rests nothing when a token limit is configured; without one it rests', () => {
  const limits = [{ model: 'm', region: 'r1', requestsPerMinute: 0, tokensPerMinute: 60_000 }];
  const s = resilience({ quota: { limits } });
  s.answer429(7000, { limitTokens: 60_000, remainingTokens: 12_000, remainingRequests: 50 });
  assert.equal(s.r.availability('m', 'r1', s.clock.now()), undefined, 'smaller requests still fit');
  assert.equal(s.r.quotaFits('m', 'r1', 5000), false, 'one of its size does not, until the window turns');
  assert.equal(s.r.quotaFits('m', 'r1', 1000), true);
  const bare = resilience();
  bare.answer429(7000, { limitTokens: 60_000, remainingTokens: 12_000, remainingRequests: 50 });
  assert.equal(bare.r.availability('m', 'r1', bare.clock.now())?.state, 'cooldown', 'nothing else would keep it away');
});

test('control: with quota books off, a 6 s Retry-After rests nothing (as before them)', () => {
  const s = resilience({ quota: { enabled: false } });
  s.answer429(6000, { remainingTokens: 0 });
  assert.equal(s.r.availability('m', 'r1', s.clock.now()), undefined);
});

test('a Retry-After longer than cooldown.maxMs is cut to it', () => {
  const s = resilience({ cooldown: { maxMs: 5000 } });
  s.answer429(60_000, { remainingRequests: 0 });
  assert.equal(s.r.availability('m', 'r1', s.clock.now())?.untilMs, CLOCK_START_MS + 5000);
});
