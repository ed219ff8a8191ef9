// Starts the real router on 127.0.0.1 port 0 from a plain config object, with its log
// lines captured for assertions.
import { Writable } from 'node:stream';
import { validateConfig } from '../../src/config/validate.js';
import { createLogger } from '../../src/logger/logger.js';
import type { CapacityDocument, CapacityDeployment } from '../../src/admin/capacity-document.js';
import { Router } from '../../src/router/router.js';
import type { ManualClock } from './manual-clock.js';
import { waitFor } from './wait.js';

export interface RunningRouter {
  readonly router: Router;
  readonly url: string;
  readonly adminUrl: string;
  readonly logs: Array<Record<string, unknown>>;
  capacity(): Promise<CapacityDoc>;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

// The document's own type: a field the router adds is one the tests can read.
export type { CapacityDeployment, CapacityRegion } from '../../src/admin/capacity-document.js';
export type CapacityDoc = CapacityDocument;

export function baseConfig(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    log: { level: 'info' },
    ...overrides,
  };
}

/** A stream a logger can write to, and the JSON lines written to it. */
export function logSink(): { logs: Array<Record<string, unknown>>; sink: Writable } {
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { logs, sink };
}

export interface RouterHarnessOptions {
  /** The router's clock (RouterOptions.now): a ManualClock's now, for tests of the control loop. */
  readonly now?: () => number;
  /** The router's random source (RouterOptions.random), e.g. seeded so that picks repeat. */
  readonly random?: () => number;
  /** The OTEL_* variables the router reads (none by default: the test's own environment never leaks in). */
  readonly environment?: Record<string, string>;
}

export async function startRouter(
  rawConfig: Record<string, unknown>,
  opts: RouterHarnessOptions = {},
): Promise<RunningRouter> {
  const checked = validateConfig(rawConfig);
  if (!checked.ok) throw new Error(`test config invalid:\n${checked.errors.join('\n')}`);
  const { logs, sink } = logSink();
  const router = new Router({
    config: checked.config,
    logger: createLogger(checked.config.log.level, sink),
    now: opts.now,
    random: opts.random,
    environment: opts.environment ?? {},
  });
  const { data, admin } = await router.start();
  const url = `http://127.0.0.1:${data.port}`;
  const adminUrl = `http://127.0.0.1:${admin.port}`;
  return {
    router,
    url,
    adminUrl,
    logs,
    capacity: async () => (await (await fetch(`${adminUrl}/capacity`)).json()) as CapacityDoc,
    metrics: async () => (await fetch(`${adminUrl}/metrics`)).text(),
    stop: () => router.stop(),
  };
}

export function deploymentOf(doc: CapacityDoc, name: string): CapacityDeployment {
  const d = doc.deployments.find((x) => x.name === name);
  if (d === undefined) throw new Error(`no deployment ${name} on /capacity`);
  return d;
}

export function shareMap(d: CapacityDeployment): Record<string, number> {
  return Object.fromEntries(d.regions.map((r) => [r.region, r.share]));
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * On a manual clock: waits for the router's own re-plan tick at or after `atMs` (the
 * clock's time after an advance), and returns /capacity as of that plan.
 */
export async function capacityPlannedAt(r: RunningRouter, atMs: number): Promise<CapacityDoc> {
  await waitFor(`a plan at ${iso(atMs)}`, () => r.router.state.plannedAtMs >= atMs);
  return r.capacity();
}

/**
 * On a manual clock shared with the telemetry source: moves time on by `ms` in steps of
 * at most `stepMs`, and after each step waits for a successful poll that began after
 * it. A source that keeps delivering stays fresh, as it would with time running (keep
 * stepMs well under staleAfterMs); readings that stopped coming age by the whole of
 * `ms`. Returns /capacity as of the last poll's plan.
 */
export async function advanceWithPolls(
  r: RunningRouter,
  clock: ManualClock,
  ms: number,
  stepMs: number,
): Promise<CapacityDoc> {
  const successes = (): number => {
    const t = r.router.capacity().telemetry;
    return t.polls - t.failures;
  };
  for (let left = ms; left > 0; ) {
    const step = Math.min(stepMs, left);
    left -= step;
    const at = clock.advance(step);
    // Read at the same instant as the advance: the poll in flight (if any) may carry a
    // report made before it; a later successful one cannot. Polls never overlap.
    const before = successes();
    await waitFor(
      `a successful poll begun after the clock moved to ${iso(at)}`,
      () => successes() >= before + 2 && r.router.state.plannedAtMs >= at,
    );
  }
  return r.capacity();
}
