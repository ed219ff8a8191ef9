// A router generation: everything one config implies, built by one function and swapped
// whole. These tests build generations directly and through a router that is never
// started (no listeners, no polls), on an injected clock.
import { AdmissionGate } from '../../src/proxy/admission-gate.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { Config } from '../../src/config/types.js';
import { twoRegionConfig } from '../helpers/router-config.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { Resilience } from '../../src/resilience/resilience.js';
import { buildGeneration, type RouterLifetime } from '../../src/router/generation.js';
import { Router } from '../../src/router/router.js';
import { HomeCache } from '../../src/proxy/affinity/home-cache.js';
import { OwnLoad } from '../../src/telemetry/own-load.js';

const NOW = 1_800_000_000_000;

const BOTH = [
  { name: 'chat', model: 'm', type: 'datazone', zone: 'eu' },
  { name: 'embed', model: 'e', type: 'global' },
];
const config = (overrides: Record<string, unknown> = {}): Config =>
  twoRegionConfig({ deployments: BOTH, ...overrides });

function lifetime(c: Config): RouterLifetime {
  const metrics = new Metrics();
  const logger = pino({ level: 'silent' });
  const ownLoad = new OwnLoad(10_000);
  const now = () => NOW;
  const resilience = new Resilience({ config: c, metrics, logger, now, requestReplan: () => {}, ownLoad });
  const gate = new AdmissionGate({ metrics, logger, now, random: Math.random });
  return {
    gate,
    metrics,
    logger,
    ownLoad,
    resilience,
    now,
    random: Math.random,
    isDraining: () => false,
    homes: new HomeCache(100),
    otel: null,
  };
}

test('a generation is built whole from a config and cannot be changed afterwards', (t) => {
  const c = config();
  const life = lifetime(c);
  const { generation, removedBackends, removedDeployments } = buildGeneration(c, life, null);
  t.after(() => Promise.all([...generation.upstreams.values()].flatMap((u) => u.backends.map((b) => b.pool.close()))));
  assert.ok(Object.isFrozen(generation));
  assert.deepEqual([...generation.deployments.keys()], ['chat', 'embed']);
  assert.deepEqual([...generation.upstreams.keys()].sort(), ['a', 'b']);
  assert.equal(generation.dataPlane.deployments, generation.deployments, 'the data plane reads the same deployments');
  assert.notEqual(generation.inBand, null, 'in-band telemetry is on by default');
  assert.deepEqual([removedBackends.length, removedDeployments.length], [0, 0]);
});

test('the next generation takes over unchanged pools and remaining deployments, and names what it dropped', (t) => {
  const first = config();
  const life = lifetime(first);
  const g1 = buildGeneration(first, life, null).generation;
  const backendOf = (g: typeof g1, region: string) => g.upstreams.get(region)?.backends[0];
  const a1 = backendOf(g1, 'a');
  const b1 = backendOf(g1, 'b');
  const chat1 = g1.deployments.get('chat');
  const next = config({
    backends: [
      { region: 'a', url: 'http://127.0.0.1:9001', headers: { 'api-key': 'k' } },
      { region: 'b', url: 'http://127.0.0.1:9003' },
    ],
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'eu' }],
  });
  const change = buildGeneration(next, life, g1);
  const g2 = change.generation;
  t.after(() =>
    Promise.all(
      [...g2.upstreams.values(), ...g1.upstreams.values()].flatMap((u) => u.backends.map((b) => b.pool.close())),
    ),
  );
  assert.equal(backendOf(g2, 'a'), a1, 'a backend whose pool would be the same keeps it (only its headers changed)');
  assert.equal(backendOf(g2, 'a')?.settings?.apply('chat', '/x', [], null, -1, -1).headers.includes('k'), true);
  assert.notEqual(backendOf(g2, 'b'), b1, 'a new origin is a new pool');
  assert.deepEqual(change.removedBackends, [b1]);
  assert.equal(
    g2.deployments.get('chat'),
    chat1,
    'a remaining deployment keeps its runtime: requests in flight retry on it',
  );
  assert.deepEqual(
    change.removedDeployments.map((d) => d.name),
    ['embed'],
  );
  assert.equal(change.removedDeployments[0]?.route, null, 'a removed deployment has no route left to retry on');
  assert.equal(g2.inBand, g1.inBand, 'in-band slots carry over while in-band telemetry stays on');
  assert.equal(g1.deployments.size, 2, 'the previous generation is left as it was');
});

test('the router swaps its generation by one reference: start-up and reload build it the same way', async (t) => {
  const now = NOW;
  const router = new Router({ config: config(), logger: pino({ level: 'silent' }), now: () => now });
  t.after(() => router.stop());
  const before = { config: router.config, deployments: router.deployments, upstreams: router.upstreams };
  const chat = router.deployments.get('chat');
  router.reload(config({ limits: { maxBodyBytes: 1024 } }));
  assert.notEqual(router.config, before.config);
  assert.notEqual(router.deployments, before.deployments, 'a new map of deployments');
  assert.equal(router.deployments.get('chat'), chat, 'with the same runtime');
  assert.equal(router.config.limits.maxBodyBytes, 1024);
  assert.notEqual(router.deployments.get('chat')?.route, null, 'the new generation was planned at once');
});
