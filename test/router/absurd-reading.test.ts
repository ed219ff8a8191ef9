// One finite but absurd reading (inUse 1e308, or a unit mistake of 1e9) through either
// polled source must not keep its region out of the shares once sane readings resume:
// the real pollers, store and re-plan loop on an injected clock, the sources on
// 127.0.0.1, one poll per telemetry interval and an ageing tick between polls.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import type { Config } from '../../src/config/types.js';
import { validateConfig } from '../../src/config/validate.js';
import { Metrics } from '../../src/metrics/metrics.js';
import { Resilience } from '../../src/resilience/resilience.js';
import { type PlannedDeployment, RouteState } from '../../src/router/route-state.js';
import type { DeploymentRoute, RouteTarget } from '../../src/selector/deployment-route.js';
import { OwnLoad } from '../../src/telemetry/own-load.js';
import type { PollLoop } from '../../src/telemetry/poll-loop.js';
import { TelemetryPoller } from '../../src/telemetry/poller.js';
import { PrometheusPoller } from '../../src/telemetry/prometheus/poller.js';
import { TelemetryStore } from '../../src/telemetry/store.js';
import { buildTopology } from '../../src/topology/topology.js';
import { startFakeBackend } from '../helpers/fake-backend.js';

const INTERVAL_MS = 500;
const CAPACITY = 100;
const SANE = 50;
// Sane readings give the region room again within this many telemetry intervals.
const WITHIN_INTERVALS = 4;

type Source = 'json' | 'prometheus';

async function scenario(t: { after: (fn: () => Promise<void>) => void }, source: Source) {
  let clock = 1_800_000_000_000;
  const inUse: Record<string, number> = { r1: SANE, r2: SANE };
  const server = await startFakeBackend((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const at = clock;
    let body: string;
    if (source === 'json') {
      const reports = Object.entries(inUse).map(([region, u]) => ({
        region,
        model: 'm',
        capacity: CAPACITY,
        inUse: u,
        at,
      }));
      body = JSON.stringify({ reports });
    } else {
      const capacityAsked = url.searchParams.get('query') === 'capacity';
      const result = Object.entries(inUse).map(([region, u]) => ({
        metric: { region, model: 'm' },
        value: [at / 1000, String(capacityAsked ? CAPACITY : u)],
      }));
      body = JSON.stringify({ status: 'success', data: { resultType: 'vector', result } });
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  const telemetry =
    source === 'json'
      ? { url: `${server.url}/telemetry`, inBand: false }
      : { prometheus: { url: server.url, capacityQuery: 'capacity', inUseQuery: 'inUse' }, inBand: false };
  const checked = validateConfig({
    zones: { z: ['r1', 'r2'] },
    backends: [
      { region: 'r1', url: 'http://127.0.0.1:9' },
      { region: 'r2', url: 'http://127.0.0.1:9' },
    ],
    deployments: [{ name: 'chat', model: 'm', type: 'global' }],
    telemetry: { ...telemetry, intervalMs: INTERVAL_MS },
  });
  if (!checked.ok) throw new Error(checked.errors.join('\n'));
  const config: Config = checked.config;
  const topology = buildTopology(config);
  const dep = topology.deployments[0] as (typeof topology.deployments)[number];
  const now = () => clock;
  const ownLoad = new OwnLoad(30_000);
  const store = new TelemetryStore(new Set(topology.regions), new Set(['m']), [source]);
  const metrics = new Metrics();
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  const resilience = new Resilience({ config, metrics, logger, now, requestReplan: () => undefined, ownLoad });
  const deployment: PlannedDeployment<RouteTarget> = {
    topology: dep,
    targetOf: (region) => ({ region, load: ownLoad.cell('m', region) }),
    route: null as DeploymentRoute<RouteTarget> | null,
  };
  const state = new RouteState({
    config,
    topology,
    deployments: new Map([['chat', deployment]]),
    store,
    ownLoad,
    metrics,
    logger,
    resilience,
    startedAtMs: clock,
  });
  const options = {
    intervalMs: INTERVAL_MS,
    timeoutMs: 1000,
    maxBodyBytes: 64 * 1024,
    store,
    metrics,
    logger,
    now,
    onPolled: () => undefined,
  };
  const poller: PollLoop =
    source === 'json'
      ? new TelemetryPoller({ ...options, url: config.telemetry.url as string })
      : new PrometheusPoller({
          ...options,
          prometheus: config.telemetry.prometheus as NonNullable<Config['telemetry']['prometheus']>,
        });
  t.after(async () => {
    await poller.stop();
    await server.close();
  });
  /** One telemetry interval: an ageing tick half-way, then a poll and the re-plan it causes. */
  const interval = async (): Promise<number> => {
    clock += INTERVAL_MS / 2;
    state.rebuild(clock);
    clock += INTERVAL_MS / 2;
    await poller.pollOnce();
    state.rebuild(clock);
    const r1 = deployment.route?.plan.regions.find((r) => r.region === 'r1');
    assert.ok(r1 !== undefined);
    return r1.share;
  };
  return { inUse, interval, metrics, lines };
}

for (const source of ['json', 'prometheus'] as const) {
  for (const absurd of [1e308, 1e9]) {
    test(`after two readings of ${absurd} through ${source}, sane readings give the region its share back within ${WITHIN_INTERVALS} intervals`, async (t) => {
      const s = await scenario(t, source);
      for (let i = 0; i < 4; i++) await s.interval();
      assert.ok(Math.abs((await s.interval()) - 0.5) < 0.01, 'two half-full regions share evenly');
      s.inUse.r1 = absurd;
      assert.ok((await s.interval()) < 0.5, 'an absurd reading reads as a full region');
      assert.equal(await s.interval(), 0, 'a second one leaves it no room');
      s.inUse.r1 = SANE;
      const shares: number[] = [];
      for (let i = 0; i < WITHIN_INTERVALS; i++) shares.push(await s.interval());
      assert.ok((shares.at(-1) as number) > 0.1, `r1's shares after sane readings resumed: ${shares.join(', ')}`);
      const text = await s.metrics.registry.metrics();
      assert.match(
        text,
        new RegExp(`switchyard_telemetry_readings_clamped_total\\{source="${source}",model="m",region="r1"\\} 2\\n`),
        'each out-of-bounds reading counted once, however often the plans are rebuilt',
      );
      const logged = s.lines.filter((l) => l.msg === 'telemetry reading out of bounds');
      assert.equal(logged.length, 1, 'logged once while they keep coming');
      assert.equal(logged[0]?.region, 'r1');
      assert.equal(logged[0]?.source, source);
    });
  }
}
