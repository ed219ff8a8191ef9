// Hand-driven backends, one per region, that record every request they receive, a
// static telemetry source that keeps every region fresh, and the real router in front.
// Everything is stopped when the test ends.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startFakeBackend, startStaticTelemetry, type FakeBackend } from './fake-backend.js';
import { baseConfig, deploymentOf, startRouter, type RunningRouter } from './router-harness.js';
import { waitFor } from './wait.js';

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export type BackendHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

export interface RecordingFleet {
  readonly router: RunningRouter;
  /** Requests each region's backend received, in order. */
  readonly received: Record<string, Received[]>;
  readonly backends: Record<string, FakeBackend>;
  /** The data listener's port, for raw requests. */
  readonly port: number;
}

/** Answers 200 with a small JSON body naming the region. */
export const okHandler =
  (region: string): BackendHandler =>
  (_req, res) => {
    const body = JSON.stringify({ region });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

export async function startRecordingFleet(
  t: { after: (fn: () => Promise<void>) => void },
  opts: {
    zones: Record<string, string[]>;
    deployments: Array<Record<string, unknown>>;
    /** A handler per region; regions without one answer with okHandler. */
    handlers?: Record<string, BackendHandler>;
    /** Backend URLs to use instead of a fake backend (e.g. a closed port). */
    urls?: Record<string, string>;
    extra?: Record<string, unknown>;
    telemetry?: Record<string, unknown>;
  },
): Promise<RecordingFleet> {
  const regions = Object.values(opts.zones).flat();
  const received: Record<string, Received[]> = {};
  const backends: Record<string, FakeBackend> = {};
  const closers: Array<() => Promise<void>> = [];
  for (const region of regions) {
    received[region] = [];
    if (opts.urls?.[region] !== undefined) continue;
    const handler = opts.handlers?.[region] ?? okHandler(region);
    const backend = await startFakeBackend((req, res, body) => {
      received[region]?.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
    backends[region] = backend;
    closers.push(() => backend.close());
  }
  const models = [...new Set(opts.deployments.map((d) => String(d.model)))];
  const telemetry = await startStaticTelemetry(() =>
    regions.flatMap((region) => models.map((model) => ({ region, model, capacity: 100, inUse: 0 }))),
  );
  closers.push(() => telemetry.close());
  const router = await startRouter(
    baseConfig({
      zones: opts.zones,
      backends: regions.map((region) => ({ region, url: opts.urls?.[region] ?? backends[region]?.url })),
      deployments: opts.deployments,
      telemetry: { url: telemetry.url, intervalMs: 100, ...opts.telemetry },
      ...opts.extra,
    }),
  );
  t.after(async () => {
    await router.stop();
    for (const close of closers) await close();
  });
  const first = String(opts.deployments[0]?.name);
  await waitFor('normal mode', async () => deploymentOf(await router.capacity(), first).mode === 'normal');
  return { router, received, backends, port: Number(new URL(router.url).port) };
}

/** Waits until the router has no request in flight and no backend attempt open. */
export async function settled(fleet: RecordingFleet): Promise<void> {
  await waitFor('no request in flight', () => fleet.router.router.requestsInFlight === 0);
  await waitFor('no backend attempt in flight', () =>
    [...fleet.router.router.upstreams.values()].every((u) => u.backends.every((b) => b.inFlight === 0)),
  );
}
