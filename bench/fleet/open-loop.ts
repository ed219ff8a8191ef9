// Open-loop Poisson clients (the clock in tools/open-loop.ts): each router gets its own
// stream of rate / routers. Every non-2xx answer counts as a failure; an answer without
// x-switchyard-region is one the router gave itself.
import { exponential, seededRandom } from '../../src/sim/loop-model/random.js';
import { openLoopAgent, tickUntil } from '../../tools/open-loop.js';
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
