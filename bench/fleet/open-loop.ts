// Open-loop Poisson clients: requests are sent on a precomputed schedule, whether or
// not earlier ones have been answered (a closed loop would slow down exactly when the
// router misbehaves and hide it). Each router gets its own stream of rate / routers.
// Every non-2xx answer counts as a failure; an answer without x-switchyard-region is
// one the router gave itself.
import { Agent } from 'undici';
import { exponential, seededRandom } from '../../src/sim/loop-model/random.js';
import { TOKENS } from './fleets.js';

export interface LoadCounts {
  sent: number;
  ok: number;
  failed: number;
  routerRejected: number;
  backend429: number;
  status5xx: number;
  /** Transport failures (connection refused or reset): should stay 0. */
  errors: number;
  byStatus: Record<string, number>;
}

export interface OpenLoadOptions {
  readonly routers: readonly string[];
  readonly ratePerSecond: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly seed: number;
  /** A run never holds more requests than this in flight (a guard, not a limit the load should reach). */
  readonly maxInFlight?: number;
}

/** Keep-alive, one request per connection at a time, as many connections as the load needs. */
export function openLoopAgent(): Agent {
  return new Agent({ connections: null, pipelining: 1, keepAliveTimeout: 30_000 });
}

/**
 * Calls `step` with the milliseconds since the start, about every millisecond, until it
 * returns true: the clock of an open-loop schedule (each step sends what has come due).
 */
export function tickUntil(step: (elapsedMs: number) => boolean): Promise<void> {
  const t0 = performance.now();
  return new Promise<void>((resolve) => {
    const tick = (): void => {
      if (step(performance.now() - t0)) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
}

const PATH = '/openai/deployments/chat/chat/completions?api-version=2024-10-21';
const BODY = JSON.stringify({ messages: [{ role: 'user', content: 'hello' }], max_tokens: TOKENS });
const HEADERS = { 'content-type': 'application/json' };

export async function runOpenLoad(opts: OpenLoadOptions): Promise<LoadCounts> {
  const counts: LoadCounts = {
    sent: 0,
    ok: 0,
    failed: 0,
    routerRejected: 0,
    backend429: 0,
    status5xx: 0,
    errors: 0,
    byStatus: {},
  };
  const agent = openLoopAgent();
  const random = seededRandom(opts.seed);
  const maxInFlight = opts.maxInFlight ?? 5000;
  const perRouterMs = (1000 * opts.routers.length) / opts.ratePerSecond;
  const endMs = opts.warmupMs + opts.measureMs;
  const next = opts.routers.map(() => exponential(random, perRouterMs));
  let inFlight = 0;
  const pending = new Set<Promise<void>>();

  const send = (origin: string, counted: boolean): void => {
    if (inFlight >= maxInFlight) {
      if (counted) {
        counts.sent++;
        counts.failed++;
        counts.errors++;
      }
      return;
    }
    inFlight++;
    if (counted) counts.sent++;
    const p = agent
      .request({ origin, path: PATH, method: 'POST', headers: HEADERS, body: BODY })
      .then(async (res) => {
        await res.body.dump();
        if (!counted) return;
        const status = res.statusCode;
        counts.byStatus[status] = (counts.byStatus[status] ?? 0) + 1;
        if (status >= 200 && status < 300) {
          counts.ok++;
          return;
        }
        counts.failed++;
        if (res.headers['x-switchyard-region'] === undefined) counts.routerRejected++;
        else if (status === 429) counts.backend429++;
        if (status >= 500) counts.status5xx++;
      })
      .catch(() => {
        if (!counted) return;
        counts.failed++;
        counts.errors++;
      })
      .finally(() => {
        inFlight--;
        pending.delete(p);
      });
    pending.add(p);
  };

  await tickUntil((now) => {
    for (let i = 0; i < opts.routers.length; i++) {
      while ((next[i] as number) <= now && (next[i] as number) < endMs) {
        const at = next[i] as number;
        send(opts.routers[i] as string, at >= opts.warmupMs);
        next[i] = at + exponential(random, perRouterMs);
      }
    }
    return next.every((t) => t >= endMs);
  });
  // Every request sent gets its answer (bounded by the router's own timeouts).
  const deadline = setTimeout(() => agent.destroy(), 30_000);
  await Promise.allSettled([...pending]);
  clearTimeout(deadline);
  await agent.close();
  return counts;
}
