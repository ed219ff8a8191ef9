// A simulated fleet with the real router in front, both on 127.0.0.1 port 0.
import { startSimFleet, type SimFleet, type SimRegionOptions } from '../../src/sim/index.js';
import type { ManualClock } from './manual-clock.js';
import { baseConfig, startRouter, type RunningRouter } from './router-harness.js';

export interface FleetSetup {
  readonly fleet: SimFleet;
  readonly router: RunningRouter;
  close(): Promise<void>;
}

export async function startFleetAndRouter(opts: {
  regions: SimRegionOptions[];
  zones: Record<string, string[]>;
  deployments: Array<Record<string, unknown>>;
  models?: string[];
  telemetry?: Record<string, unknown>;
  extra?: Record<string, unknown>;
  /** One clock for the router's control loop and the fleet's telemetry `at`; the wall clock when absent. */
  clock?: ManualClock;
  /** The router's random source (seeded: the same picks on every run). */
  random?: () => number;
  /** The OTEL_* variables the router reads (none by default). */
  environment?: Record<string, string>;
}): Promise<FleetSetup> {
  const clock = opts.clock;
  const fleet = await startSimFleet({ regions: opts.regions, models: opts.models ?? ['m'], now: clock?.now });
  let router: RunningRouter;
  try {
    router = await startRouter(
      baseConfig({
        zones: opts.zones,
        backends: fleet.backends.map((b) => ({ region: b.region, url: b.url })),
        deployments: opts.deployments,
        telemetry: { url: fleet.telemetryUrl, intervalMs: 100, staleAfterMs: 1000, timeoutMs: 500, ...opts.telemetry },
        ...opts.extra,
      }),
      { now: clock?.now, random: opts.random, environment: opts.environment },
    );
  } catch (err) {
    await fleet.close();
    throw err;
  }
  return {
    fleet,
    router,
    close: async () => {
      // A drain waits for its deadline on the router's clock: let a manual one run.
      clock?.release();
      await router.stop();
      await fleet.close();
    },
  };
}

export interface ChatResult {
  status: number;
  region: string | null;
  headers: Headers;
  body: string;
}

/** A non-streaming chat request, Azure style when `deployment` is given in the path. */
export async function chat(
  baseUrl: string,
  deployment: string,
  style: 'azure' | 'openai' = 'azure',
  extra: Record<string, unknown> = {},
): Promise<ChatResult> {
  const url =
    style === 'azure'
      ? `${baseUrl}/openai/deployments/${deployment}/chat/completions?api-version=2024-10-21`
      : `${baseUrl}/v1/chat/completions`;
  const body = JSON.stringify({
    ...(style === 'openai' ? { model: deployment } : {}),
    messages: [{ role: 'user', content: 'hi' }],
    max_tokens: 2,
    ...extra,
  });
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return {
    status: res.status,
    region: res.headers.get('x-switchyard-region'),
    headers: res.headers,
    body: await res.text(),
  };
}

/** Runs `total` requests with `concurrency` workers; returns the count per region (or per status when no region). */
export async function spread(
  total: number,
  concurrency: number,
  one: () => Promise<ChatResult>,
): Promise<{ byRegion: Record<string, number>; byStatus: Record<number, number> }> {
  const byRegion: Record<string, number> = {};
  const byStatus: Record<number, number> = {};
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      next++;
      const r = await one();
      byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
      if (r.region !== null) byRegion[r.region] = (byRegion[r.region] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { byRegion, byStatus };
}
