// The fleet model: regional backends that admit up to their capacity and answer 429
// beyond it, a telemetry service that reports each region's true load, open-loop
// Poisson clients, and one or more independent routers running the real planner,
// selector and resilience code. No sockets and no wall clock: a run is a pure function
// of its options and seed, so tests can run hundreds of plan cycles in milliseconds
// and fail on oscillation or on rejections the router causes itself.
import { backgroundLoad, type LoadFn } from '../background.js';
import { EventQueue } from './event-queue.js';
import { ModelRouter } from './model-router.js';
import { exponential, type Random, seededRandom } from './random.js';
import { RETRY_BUDGET_TICK_MS } from '../../resilience/retry-budget.js';

export interface ModelRegion {
  readonly region: string;
  /** Concurrent requests the region admits, other tenants' load included. */
  readonly capacity: number;
  /** Other tenants' concurrent load (default 0). */
  readonly background?: number;
  /** When set, the background follows the simulator's sine wave with this period. */
  readonly wavePeriodMs?: number;
  /** Service time of one request (default: the options' serviceMs). */
  readonly serviceMs?: number;
}

export interface FleetModelOptions {
  readonly regions: readonly ModelRegion[];
  /** Offered load as a fraction of the capacity left by the background. */
  readonly load: number;
  /** Independent routers; the clients are split evenly between them. */
  readonly routers: number;
  readonly durationMs: number;
  /** Figures are taken after this (default 5 s). */
  readonly warmupMs?: number;
  readonly seed: number;
  /** Default service time (ms): the simulator's 100 ms to first token + 16 tokens x 25 ms. */
  readonly serviceMs?: number;
  /** Telemetry measurement to arrival at a router (default 1 ms). */
  readonly reportDelayMs?: number;
  /** Network time of an answer that carries no work, e.g. a 429 (default 1 ms). */
  readonly rttMs?: number;
  /** Router config merged over the model's defaults (routing, cooldown, retry, telemetry, ...). */
  readonly config?: Record<string, unknown>;
  /** Keep a time series of shares and utilisation every plan tick (for charts). */
  readonly series?: boolean;
}

export interface ModelRegionResult {
  readonly region: string;
  readonly utilisationMean: number;
  readonly utilisationStd: number;
  readonly shareMean: number;
  /**
   * The largest load of other clients router 0's plans weighed for the region (the
   * reports' inUse net of its own requests, smoothed), after the warm-up; null when no
   * plan had a figure. With one router and no background it should stay near 0.
   */
  readonly othersLoadMax: number | null;
}

export interface SeriesPoint {
  readonly t: number;
  readonly shares: readonly number[];
  readonly utilisation: readonly number[];
}

export interface FleetModelResult {
  readonly sent: number;
  readonly succeeded: number;
  /** Client requests that got no 2xx: router rejections plus backends' final 429s. */
  readonly failed: number;
  readonly routerRejected: number;
  /** Of those, the ones answered while some region of the fleet had a free slot. */
  readonly rejectedWithRoom: number;
  readonly backend429: number;
  /** Backend attempts per client request. */
  readonly attemptsPerRequest: number;
  /** Completed requests per second over the capacity left by the background. */
  readonly goodput: number;
  /** Mean over plans of the fraction of traffic moved (half the sum of |share change|), router 0. */
  readonly shareSwing: number;
  /** The largest such move between two consecutive plans: a flip moves (nearly) everything. */
  readonly maxShareSwing: number;
  /** Longest time (ms) any router held a region at share 0 while its utilisation was below 0.7. */
  readonly longestIdleZeroShareMs: number;
  readonly regions: readonly ModelRegionResult[];
  readonly series: readonly SeriesPoint[];
}

interface Region {
  readonly name: string;
  readonly capacity: number;
  readonly serviceMs: number;
  readonly background: LoadFn;
  inFlight: number;
}

interface Request {
  readonly router: ModelRouter;
  attempts: number;
  tried: Set<string> | null;
}

const MODEL = 'm';
const TICK_MS = 250;
const SAMPLE_MS = 25;

function routerConfig(regions: readonly ModelRegion[], overrides: Record<string, unknown>): Record<string, unknown> {
  const telemetry = { url: 'http://127.0.0.1:9/telemetry', intervalMs: 500, staleAfterMs: 3000, timeoutMs: 1000 };
  return {
    listen: { host: '127.0.0.1', port: 0 },
    admin: { host: '127.0.0.1', port: 0 },
    zones: { all: regions.map((r) => r.region) },
    backends: regions.map((r, i) => ({ region: r.region, url: `http://127.0.0.1:${10_000 + i}` })),
    deployments: [{ name: 'chat', model: MODEL, type: 'global' }],
    ...overrides,
    telemetry: { ...telemetry, ...(overrides.telemetry as Record<string, unknown> | undefined) },
  };
}

export function runFleetModel(opts: FleetModelOptions): FleetModelResult {
  const clock = new EventQueue(0);
  const now = (): number => clock.now;
  const random: Random = seededRandom(opts.seed);
  const serviceMs = opts.serviceMs ?? 500;
  const rttMs = opts.rttMs ?? 1;
  const warmupMs = opts.warmupMs ?? 5000;
  const regions: Region[] = opts.regions.map((r) => ({
    name: r.region,
    capacity: r.capacity,
    serviceMs: r.serviceMs ?? serviceMs,
    background: backgroundLoad(r.background ?? 0, r.wavePeriodMs ?? null, r.region, now),
    inFlight: 0,
  }));
  const byName = new Map(regions.map((r) => [r.name, r]));
  const config = routerConfig(opts.regions, opts.config ?? {});
  const routers = Array.from(
    { length: opts.routers },
    () => new ModelRouter(config, now, (run) => clock.at(clock.now, run)),
  );
  const telemetry = (routers[0] as ModelRouter).config.telemetry;
  const maxAttempts = (routers[0] as ModelRouter).config.retry.enabled
    ? (routers[0] as ModelRouter).config.retry.maxAttempts
    : 1;

  // Capacity for the clients, in requests per second, and the offered rate.
  const capacityRate = opts.regions.reduce(
    (sum, r) => sum + (r.capacity - (r.background ?? 0)) / ((r.serviceMs ?? serviceMs) / 1000),
    0,
  );
  const ratePerRouter = (opts.load * capacityRate) / opts.routers;

  let sent = 0;
  let succeeded = 0;
  let routerRejected = 0;
  let rejectedWithRoom = 0;
  let backend429 = 0;
  let attempts = 0;
  const counting = (): boolean => clock.now >= warmupMs;

  const fail = (kind: 'router' | 'backend'): void => {
    if (!counting()) return;
    if (kind === 'router') routerRejected++;
    else backend429++;
  };

  const attempt = (req: Request, target: { region: string; load: { inFlight: number } }): void => {
    const router = req.router;
    const region = byName.get(target.region) as Region;
    req.attempts++;
    if (counting()) attempts++;
    const isRetry = req.attempts > 1;
    target.load.inFlight++;
    const admitted = region.inFlight + region.background() < region.capacity;
    if (admitted) {
      region.inFlight++;
      clock.after(region.serviceMs, () => {
        region.inFlight--;
        target.load.inFlight--;
        if (isRetry) router.resilience.budget.release();
        router.outcome(region.name, 200, null, region.serviceMs / 1000);
        router.requestsInFlight--;
        if (counting()) succeeded++;
      });
      return;
    }
    clock.after(rttMs, () => {
      target.load.inFlight--;
      if (isRetry) router.resilience.budget.release();
      router.outcome(region.name, 429, 1000, rttMs / 1000);
      retryOrFail(req, region.name);
    });
  };

  const retryOrFail = (req: Request, failed: string): void => {
    const router = req.router;
    const route = router.deployment.route;
    const tried = (req.tried ??= new Set()).add(failed);
    const budget = router.resilience.budget;
    if (
      req.attempts >= maxAttempts ||
      route === null ||
      !route.hasOther(tried) ||
      !budget.tryAcquire(router.requestsInFlight)
    ) {
      router.requestsInFlight--;
      fail('backend');
      return;
    }
    clock.after(budget.backoffMs(req.attempts, random()), () => {
      const other = router.deployment.route?.pickOther(tried, random) ?? null;
      if (other === null) {
        budget.release();
        router.requestsInFlight--;
        fail('backend');
        return;
      }
      attempt(req, other);
    });
  };

  const arrive = (router: ModelRouter): void => {
    if (counting()) sent++;
    const target = router.deployment.route?.pick(random) ?? null;
    if (target === null) {
      fail('router');
      if (counting() && regions.some((r) => r.inFlight + r.background() < r.capacity - 1e-9)) rejectedWithRoom++;
      return;
    }
    router.requestsInFlight++;
    router.resilience.budget.requests++;
    attempt({ router, attempts: 0, tried: null }, target);
  };

  const reportsAt = (atMs: number) =>
    regions.map((r) => ({
      region: r.name,
      model: MODEL,
      capacity: r.capacity,
      inUse: Math.round(r.inFlight + r.background()),
      atMs,
    }));

  // Each router: Poisson arrivals, its own telemetry phase, plan ticks, budget ticks and load samples.
  const tickMs = Math.min(TICK_MS, telemetry.intervalMs);
  routers.forEach((router) => {
    const next = (): void => {
      arrive(router);
      clock.after(exponential(random, 1000 / ratePerRouter), next);
    };
    if (ratePerRouter > 0) clock.after(exponential(random, 1000 / ratePerRouter), next);
    const poll = (): void => {
      const reports = reportsAt(clock.now);
      clock.after(opts.reportDelayMs ?? 1, () => router.receiveReports(reports));
      clock.after(telemetry.intervalMs, poll);
    };
    clock.after(random() * telemetry.intervalMs, poll);
    const sample = (): void => {
      router.ownLoad.sample(clock.now);
      clock.after(SAMPLE_MS, sample);
    };
    clock.after(random() * SAMPLE_MS, sample);
    const tick = (): void => {
      router.replan();
      clock.after(tickMs, tick);
    };
    clock.after(random() * tickMs, tick);
    // The retry budget's window moves on its own tick, as in the router.
    const budgetTick = (): void => {
      router.resilience.budget.tick(clock.now);
      clock.after(RETRY_BUDGET_TICK_MS, budgetTick);
    };
    budgetTick();
  });

  // Observation: shares of every router and true utilisation, every tick.
  const names = regions.map((r) => r.name);
  const observer = new Observer(names, routers, opts.series === true);
  const observe = (): void => {
    const util = regions.map((r) => (r.inFlight + r.background()) / r.capacity);
    if (counting()) observer.record(clock.now, util);
    clock.after(tickMs, observe);
  };
  clock.after(tickMs, observe);

  clock.runUntil(opts.durationMs);

  const seconds = (opts.durationMs - warmupMs) / 1000;
  const failed = routerRejected + backend429;
  return {
    sent,
    succeeded,
    failed,
    routerRejected,
    rejectedWithRoom,
    backend429,
    attemptsPerRequest: sent === 0 ? 0 : attempts / sent,
    goodput: seconds <= 0 ? 0 : succeeded / seconds / capacityRate,
    ...observer.summary(),
  };
}

/** Share swing, idle regions held at share 0, utilisation, from samples every tick. */
class Observer {
  private swingSum = 0;
  private swingCount = 0;
  private swingMax = 0;
  private previous: number[] | null = null;
  private readonly zeroSince: Array<Array<number | null>>;
  private longestZero = 0;
  private readonly utilSum: number[];
  private readonly utilSq: number[];
  private readonly shareSum: number[];
  private readonly othersMax: Array<number | null>;
  private samples = 0;
  readonly series: SeriesPoint[] = [];

  constructor(
    private readonly names: readonly string[],
    private readonly routers: readonly ModelRouter[],
    private readonly keepSeries: boolean,
  ) {
    this.zeroSince = routers.map(() => names.map(() => null));
    this.utilSum = names.map(() => 0);
    this.utilSq = names.map(() => 0);
    this.shareSum = names.map(() => 0);
    this.othersMax = names.map(() => null);
  }

  private sharesOf(router: ModelRouter): number[] {
    const plan = router.deployment.route?.plan;
    return this.names.map((n) => plan?.regions.find((r) => r.region === n)?.share ?? 0);
  }

  record(t: number, util: readonly number[]): void {
    const shares = this.sharesOf(this.routers[0] as ModelRouter);
    const previous = this.previous;
    if (previous !== null) {
      let moved = 0;
      shares.forEach((s, i) => {
        moved += Math.abs(s - (previous[i] as number));
      });
      this.swingSum += moved / 2;
      this.swingMax = Math.max(this.swingMax, moved / 2);
      this.swingCount++;
    }
    this.previous = shares;
    const plan = (this.routers[0] as ModelRouter).deployment.route?.plan;
    this.names.forEach((n, i) => {
      const others = plan?.regions.find((r) => r.region === n)?.othersLoad ?? null;
      if (others !== null) this.othersMax[i] = Math.max(this.othersMax[i] ?? 0, others);
    });
    this.routers.forEach((router, k) => {
      const mine = k === 0 ? shares : this.sharesOf(router);
      const since = this.zeroSince[k] as Array<number | null>;
      mine.forEach((s, i) => {
        if (s === 0 && (util[i] as number) < 0.7) {
          const start = since[i] ?? t;
          since[i] = start;
          this.longestZero = Math.max(this.longestZero, t - start);
        } else since[i] = null;
      });
    });
    util.forEach((u, i) => {
      this.utilSum[i] = (this.utilSum[i] as number) + u;
      this.utilSq[i] = (this.utilSq[i] as number) + u * u;
      this.shareSum[i] = (this.shareSum[i] as number) + (shares[i] as number);
    });
    this.samples++;
    if (this.keepSeries) this.series.push({ t, shares, utilisation: [...util] });
  }

  summary(): Pick<FleetModelResult, 'shareSwing' | 'maxShareSwing' | 'longestIdleZeroShareMs' | 'regions' | 'series'> {
    const n = Math.max(1, this.samples);
    return {
      shareSwing: this.swingCount === 0 ? 0 : this.swingSum / this.swingCount,
      maxShareSwing: this.swingMax,
      longestIdleZeroShareMs: this.longestZero,
      regions: this.names.map((region, i) => {
        const mean = (this.utilSum[i] as number) / n;
        return {
          region,
          utilisationMean: mean,
          utilisationStd: Math.sqrt(Math.max(0, (this.utilSq[i] as number) / n - mean * mean)),
          shareMean: (this.shareSum[i] as number) / n,
          othersLoadMax: this.othersMax[i] ?? null,
        };
      }),
      series: this.series,
    };
  }
}
