// Open-loop Poisson clients (the clock in tools/open-loop.ts): each router gets its own
// stream of rate / routers. Every non-2xx answer counts as a failure; an answer without
// x-switchyard-region is one the router gave itself.
//
// The rate may change over the run (a burst), drawn by thinning: arrivals at the highest
// rate, each kept with probability rate(t) / highest, which is an exact Poisson process
// of the varying rate. Each request belongs to a class drawn by its share (a priority, a
// fairness key: the headers it sends), and is counted in its class as well as in total.
// Requests are all alike unless a run gives each router's clients a stream of sized
// requests (the token fleet): then every request's tokens are counted too.
import { exponential, seededRandom } from '../../src/sim/loop-model/random.js';
import { openLoopAgent, tickUntil } from '../../tools/open-loop.js';
import { TOKENS } from './fleets.js';
import type { SizedRequest } from './token-fleet.js';

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
  /** Tokens of the requests sent, and of those served (as the fleet counts them; see SizedRequest). */
  sentTokens: number;
  okTokens: number;
}

/** A class of the clients' requests: its share of them and the headers they carry. */
export interface LoadClass {
  readonly name: string;
  /** Relative weight; shares need not sum to 1. */
  readonly share: number;
  readonly headers: Readonly<Record<string, string>>;
}

export interface ClassCounts extends LoadCounts {
  /** Milliseconds from send to the last byte of every 2xx answer, in order of completion. */
  readonly okLatenciesMs: number[];
}

export interface LoadResult extends LoadCounts {
  /** Per class, in the order given (only when classes were given). */
  readonly classes: Record<string, ClassCounts>;
}

/** The offered rate as a multiple of the base rate, over time measured from the start of the load. */
export type RateShape = (elapsedMs: number) => number;

export interface OpenLoadOptions {
  readonly routers: readonly string[];
  readonly ratePerSecond: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly seed: number;
  /** Multiplies ratePerSecond over time (default 1 throughout); never above `peakFactor`. */
  readonly shape?: RateShape;
  /** The highest value `shape` takes (default 1). */
  readonly peakFactor?: number;
  /** Default: one class with no extra headers. */
  readonly classes?: readonly LoadClass[];
  /** A run never holds more requests than this in flight (a guard, not a limit the load should reach). */
  readonly maxInFlight?: number;
  /** Per router, its clients' requests in order (default: every request the same small chat). */
  readonly requests?: (router: number) => () => SizedRequest;
}

const PATH = '/openai/deployments/chat/chat/completions?api-version=2024-10-21';
const BODY = JSON.stringify({ messages: [{ role: 'user', content: 'hello' }], max_tokens: TOKENS });
const PLAIN_REQUEST: SizedRequest = { body: BODY, tokens: Math.ceil(BODY.length / 4) + TOKENS };
const HEADERS = { 'content-type': 'application/json' };
const PLAIN: readonly LoadClass[] = [{ name: 'all', share: 1, headers: {} }];

function emptyCounts(): LoadCounts {
  return {
    sent: 0,
    ok: 0,
    failed: 0,
    routerRejected: 0,
    backend429: 0,
    status5xx: 0,
    errors: 0,
    byStatus: {},
    sentTokens: 0,
    okTokens: 0,
  };
}

export async function runOpenLoad(opts: OpenLoadOptions): Promise<LoadResult> {
  const counts = emptyCounts();
  const classes = opts.classes ?? PLAIN;
  const perClass: ClassCounts[] = classes.map(() => ({ ...emptyCounts(), okLatenciesMs: [] }));
  const headersOf = classes.map((c) => ({ ...HEADERS, ...c.headers }));
  const totalShare = classes.reduce((a, c) => a + c.share, 0);
  const agent = openLoopAgent();
  const random = seededRandom(opts.seed);
  const maxInFlight = opts.maxInFlight ?? 5000;
  const shape = opts.shape ?? (() => 1);
  const peak = opts.peakFactor ?? 1;
  const perRouterMs = (1000 * opts.routers.length) / (opts.ratePerSecond * peak);
  const endMs = opts.warmupMs + opts.measureMs;
  const next = opts.routers.map(() => exponential(random, perRouterMs));
  const requestsOf = opts.requests ?? (() => () => PLAIN_REQUEST);
  const streams = opts.routers.map((_, i) => requestsOf(i));
  let inFlight = 0;
  const pending = new Set<Promise<void>>();

  // One class draws nothing, so a plain run's arrivals are those of earlier builds of this client.
  const pickClass = (): number => {
    if (classes.length === 1) return 0;
    let x = random() * totalShare;
    for (let i = 0; i < classes.length; i++) {
      x -= (classes[i] as LoadClass).share;
      if (x < 0) return i;
    }
    return classes.length - 1;
  };
  // Both the total and the class's counts.
  const tally = (k: number, f: (c: LoadCounts) => void): void => {
    f(counts);
    f(perClass[k] as ClassCounts);
  };

  const send = (router: number, counted: boolean): void => {
    const k = pickClass();
    const { body, tokens } = (streams[router] as () => SizedRequest)();
    if (inFlight >= maxInFlight) {
      if (counted)
        tally(k, (c) => {
          c.sent++;
          c.sentTokens += tokens;
          c.failed++;
          c.errors++;
        });
      return;
    }
    inFlight++;
    if (counted)
      tally(k, (c) => {
        c.sent++;
        c.sentTokens += tokens;
      });
    const t0 = performance.now();
    const origin = opts.routers[router] as string;
    const p = agent
      .request({ origin, path: PATH, method: 'POST', headers: headersOf[k], body })
      .then(async (res) => {
        await res.body.dump();
        if (!counted) return;
        const status = res.statusCode;
        tally(k, (c) => {
          c.byStatus[status] = (c.byStatus[status] ?? 0) + 1;
        });
        if (status >= 200 && status < 300) {
          tally(k, (c) => {
            c.ok++;
            c.okTokens += tokens;
          });
          (perClass[k] as ClassCounts).okLatenciesMs.push(performance.now() - t0);
          return;
        }
        const own = res.headers['x-switchyard-region'] === undefined;
        tally(k, (c) => {
          c.failed++;
          if (own) c.routerRejected++;
          else if (status === 429) c.backend429++;
          if (status >= 500) c.status5xx++;
        });
      })
      .catch(() => {
        if (!counted) return;
        tally(k, (c) => {
          c.failed++;
          c.errors++;
        });
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
        // Thinning: keep an arrival at the peak rate with probability shape / peak.
        if (peak === 1 || random() * peak < shape(at)) send(i, at >= opts.warmupMs);
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
  return { ...counts, classes: Object.fromEntries(classes.map((c, i) => [c.name, perClass[i] as ClassCounts])) };
}
