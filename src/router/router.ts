// The composition root of one router: topology, upstream pools, telemetry poller,
// planner loop, data-plane and admin listeners, an orderly drain on stop, and a
// reload that swaps in a new config without dropping a request (reload()).
import type { CapacityDocument } from '../admin/capacity-document.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config, ConfigResult, TelemetryConfig } from '../config/index.js';
import { Metrics } from '../metrics/metrics.js';
import { withAdminToken } from '../admin/admin-auth.js';
import { adminHandler } from '../admin/admin-server.js';
import { renderCapacity } from '../admin/capacity-view.js';
import { DataPlane, type DataPlaneOptions } from '../proxy/data-plane.js';
import { ModelCatalog } from '../proxy/model-catalog.js';
import { Backend, type RegionTarget, RegionUpstream } from '../proxy/upstream.js';
import { redactUrl } from '../net/redact-url.js';
import { Resilience } from '../resilience/resilience.js';
import type { PolledSourceName } from '../telemetry/combine.js';
import { InBandLoad } from '../telemetry/in-band/in-band-load.js';
import { OWN_LOAD_SAMPLE_MS, OwnLoad } from '../telemetry/own-load.js';
import type { PollLoop, PollLoopOptions } from '../telemetry/poll-loop.js';
import { TelemetryPoller } from '../telemetry/poller.js';
import { PrometheusPoller } from '../telemetry/prometheus/poller.js';
import { TelemetryStore } from '../telemetry/store.js';
import { buildTopology, type Topology } from '../topology/topology.js';
import { DeploymentRuntime } from '../proxy/deployment-runtime.js';
import { REGION_STATES, RouteState, type RouteStateOptions } from './route-state.js';
import { RoutingHistory } from './routing-history.js';
import { pollersChanged, poolKey, restartOnlyChanges, withRunningListeners } from './reload-diff.js';

// Reports cross the staleness line between polls; re-plan often enough to notice.
const MAX_TICK_MS = 250;

export interface RouterOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly random?: () => number;
}

export interface RouterAddresses {
  readonly data: AddressInfo;
  readonly admin: AddressInfo;
}

/** The polled sources' URLs as /capacity shows them: userinfo and query values redacted. */
function sourceUrlsOf(telemetry: TelemetryConfig): Readonly<Record<PolledSourceName, string | null>> {
  return {
    json: telemetry.url === null ? null : redactUrl(telemetry.url),
    prometheus: telemetry.prometheus === null ? null : redactUrl(telemetry.prometheus.url),
  };
}

function polledSourcesOf(telemetry: TelemetryConfig): PolledSourceName[] {
  const polled: PolledSourceName[] = [];
  if (telemetry.url !== null) polled.push('json');
  if (telemetry.prometheus !== null) polled.push('prometheus');
  return polled;
}

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

export class Router {
  // The parts made from the config are replaced whole by a reload; readers take them
  // as they are at the time.
  config: Config;
  topology: Topology;
  readonly metrics = new Metrics();
  readonly store: TelemetryStore;
  deployments: ReadonlyMap<string, DeploymentRuntime>;
  upstreams: ReadonlyMap<string, RegionUpstream>;
  readonly state: RouteState<RegionTarget>;
  readonly resilience: Resilience;
  readonly ownLoad: OwnLoad;
  /** The last minutes of shares, modes and request rates, for the dashboard. */
  history: RoutingHistory;
  private readonly logger: Logger;
  private readonly now: () => number;
  /** When this router was made (its first plan): the wait for the first telemetry starts here. */
  private readonly startedAtMs: number;
  private readonly random: () => number;
  /** The polled sources (the JSON report, Prometheus), each on its own interval; a reload may replace them. */
  private pollers: readonly PollLoop[];
  /** The in-band source's slots; null when telemetry.inBand is off. */
  private inBand: InBandLoad | null;
  private readonly dataPlane: DataPlane;
  private readonly dataServer: Server;
  private readonly adminServer: Server;
  private adminHandle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Backends removed by a reload whose pools are not closed yet (their last requests run). */
  private readonly retiring = new Set<Promise<void>>();
  private tick: NodeJS.Timeout | null = null;
  private sampler: NodeJS.Timeout | null = null;
  private ready = false;
  private draining = false;
  private stopping: Promise<void> | null = null;
  private replanPending = false;

  constructor(opts: RouterOptions) {
    const { config, logger } = opts;
    this.config = config;
    this.logger = logger;
    this.now = opts.now ?? Date.now;
    this.startedAtMs = this.now();
    const random = opts.random ?? Math.random;
    this.random = random;
    this.topology = buildTopology(config);
    const telemetry = config.telemetry;
    this.store = new TelemetryStore(
      new Set(this.topology.regions),
      new Set(config.deployments.map((d) => d.model)),
      polledSourcesOf(telemetry),
      telemetry.inBand,
    );
    this.inBand = telemetry.inBand ? new InBandLoad() : null;

    const upstreams = new Map<string, RegionUpstream>();
    for (const [region, backends] of this.topology.backendsByRegion) {
      upstreams.set(
        region,
        new RegionUpstream(
          region,
          backends.map((b) => new Backend(b, config.upstream)),
        ),
      );
    }
    this.upstreams = upstreams;
    // A report's `at` is matched against this router's in-flight history for as long
    // as the report can stand in for its region.
    this.ownLoad = new OwnLoad(Math.max(config.telemetry.staleAfterMs, config.telemetry.estimateMaxAgeMs));
    this.deployments = new Map(
      this.topology.deployments.map((d) => [
        d.name,
        new DeploymentRuntime(d, this.metrics, upstreams, this.ownLoad, this.inBand),
      ]),
    );

    this.resilience = new Resilience({
      config,
      metrics: this.metrics,
      logger,
      now: this.now,
      requestReplan: () => this.replanSoon(),
      ownLoad: this.ownLoad,
    });
    this.state = new RouteState(this.routeStateOptions(config));
    this.state.rebuild(this.now());
    this.history = new RoutingHistory(this.deployments.values(), this.now());

    this.pollers = this.makePollers(config);
    this.warnUnverified(config);
    this.dataPlane = new DataPlane(this.dataPlaneOptions(config));
    this.dataServer = createServer({ keepAliveTimeout: 65_000 }, this.dataPlane.handle);
    // Without this listener Node answers 100 Continue before the handler sees the request.
    this.dataServer.on('checkContinue', this.dataPlane.handleExpectContinue);
    this.dataServer.on('connect', this.dataPlane.handleConnect);
    this.adminHandle = this.makeAdminHandler(config);
    this.adminServer = createServer((req, res) => this.adminHandle(req, res));
  }

  /** A backend whose certificate is not checked is worth a line at every load. */
  private warnUnverified(config: Config): void {
    for (const b of config.backends) {
      if (b.tls !== null && !b.tls.rejectUnauthorized) {
        this.logger.warn(
          { region: b.region, backend: redactUrl(b.url), reason: 'tls.rejectUnauthorized is false' },
          'backend certificate not verified',
        );
      }
    }
  }

  /** One poll loop per configured polled source, all feeding the store. */
  private makePollers(config: Config): PollLoop[] {
    const telemetry = config.telemetry;
    const options: PollLoopOptions = {
      intervalMs: telemetry.intervalMs,
      timeoutMs: telemetry.timeoutMs,
      maxBodyBytes: telemetry.maxBodyBytes,
      store: this.store,
      metrics: this.metrics,
      logger: this.logger,
      now: this.now,
      onPolled: () => this.replan(),
    };
    const pollers: PollLoop[] = [];
    if (telemetry.url !== null) pollers.push(new TelemetryPoller({ ...options, url: telemetry.url }));
    if (telemetry.prometheus !== null) {
      pollers.push(new PrometheusPoller({ ...options, prometheus: telemetry.prometheus }));
    }
    return pollers;
  }

  private dataPlaneOptions(config: Config): DataPlaneOptions {
    return {
      deployments: this.deployments,
      catalog: new ModelCatalog(
        config.deployments.map((d) => d.name),
        Math.floor(this.now() / 1000),
      ),
      maxBodyBytes: config.limits.maxBodyBytes,
      requestBodyTimeoutMs: config.limits.requestBodyTimeoutMs,
      clientReadTimeoutMs: config.limits.clientReadTimeoutMs,
      env: {
        metrics: this.metrics,
        logger: this.logger,
        random: this.random,
        now: this.now,
        onOutcome: this.resilience.onOutcome,
        retry: { enabled: config.retry.enabled, maxAttempts: config.retry.maxAttempts, budget: this.resilience.budget },
        maxInFlightPerBackend: config.shedding.maxInFlightPerBackend,
        shedRetryAfterS: config.shedding.retryAfterS,
        accessLog: config.log.requests,
      },
      maxInFlight: config.shedding.maxInFlight,
      isDraining: () => this.draining,
      askLoadMetrics: config.telemetry.inBand,
    };
  }

  private makeAdminHandler(config: Config): (req: IncomingMessage, res: ServerResponse) => void {
    return withAdminToken(
      config.admin.token,
      adminHandler({
        capacity: () => this.capacity(),
        history: (sinceMs) => this.history.since(sinceMs),
        registry: this.metrics.registry,
        beforeScrape: () => this.refreshScrapeGauges(),
        isReady: () => this.ready,
      }),
    );
  }

  /**
   * The outcome of re-reading the config file (SIGHUP): a valid config is swapped in,
   * an invalid one is logged with every problem and the running one kept. Either way
   * it is counted in switchyard_config_reloads_total.
   */
  reloadWith(result: ConfigResult, source: string): boolean {
    if (this.draining) return false;
    if (!result.ok) {
      this.metrics.configReloads.labels('error').inc();
      this.logger.error(
        { source, problems: result.errors, reason: 'invalid config' },
        'config reload rejected; the running config keeps serving',
      );
      return false;
    }
    this.reload(result.config);
    this.metrics.configReloads.labels('ok').inc();
    return true;
  }

  /**
   * Swaps in a new config, synchronously: no request runs halfway through it. The
   * listeners stay (a new address is logged and ignored until a restart); requests in
   * flight, streams included, finish where they are; a retry after the reload takes
   * the new routes; pools of backends the config no longer has close once their last
   * request ends. What the router learnt (ejections, cooldowns, smoothed loads, the
   * telemetry held for regions and models that remain) carries over.
   */
  reload(next: Config): void {
    const running = this.config;
    for (const change of restartOnlyChanges(running, next)) {
      this.logger.warn({ ...change, reason: 'listeners are bound at start' }, 'config change ignored until restart');
    }
    const config = withRunningListeners(running, next);
    this.config = config;
    this.logger.level = config.log.level;
    this.warnUnverified(config);
    this.topology = buildTopology(config);
    // Answers' load headers keep feeding the same slots unless the source was switched.
    if (running.telemetry.inBand !== config.telemetry.inBand) {
      this.inBand = config.telemetry.inBand ? new InBandLoad() : null;
    }
    this.store.retain(
      new Set(this.topology.regions),
      new Set(config.deployments.map((d) => d.model)),
      polledSourcesOf(config.telemetry),
      config.telemetry.inBand,
    );

    const removedBackends = this.reloadUpstreams(running, config);
    const removedDeployments = this.reloadDeployments();
    this.resilience.reconfigure(config);
    this.state.reconfigure(this.routeStateOptions(config));
    this.replan();
    this.dataPlane.reconfigure(this.dataPlaneOptions(config));
    this.adminHandle = this.makeAdminHandler(config);
    this.forgetSeries(removedDeployments, removedBackends);

    // The history ring is laid out for one set of deployments and regions.
    this.history.stop();
    this.history = new RoutingHistory(this.deployments.values(), this.now());
    if (this.ready) this.history.start(this.now);

    if (pollersChanged(running.telemetry, config.telemetry)) {
      for (const poller of this.pollers) void poller.stop();
      this.pollers = this.makePollers(config);
      if (this.ready) for (const poller of this.pollers) poller.start();
    }
    if (this.ready && running.telemetry.intervalMs !== config.telemetry.intervalMs) this.startTick();
    this.logger.info(
      {
        deployments: config.deployments.length,
        backends: config.backends.length,
        removedDeployments: removedDeployments.map((d) => d.name),
        removedBackends: removedBackends.map((b) => redactUrl(b.url)),
      },
      'config reloaded',
    );
  }

  /** New upstreams: backends whose pool would be the same are kept, the others retired. */
  private reloadUpstreams(running: Config, config: Config): Backend[] {
    const kept = new Map<string, Backend>();
    for (const upstream of this.upstreams.values()) {
      for (const b of upstream.backends) kept.set(poolKey(b.config, running.upstream), b);
    }
    const upstreams = new Map<string, RegionUpstream>();
    for (const [region, backends] of this.topology.backendsByRegion) {
      const list = backends.map((b) => {
        const key = poolKey(b, config.upstream);
        const old = kept.get(key);
        if (old === undefined) return new Backend(b, config.upstream);
        kept.delete(key);
        old.reconfigure(b);
        return old;
      });
      upstreams.set(region, new RegionUpstream(region, list));
    }
    this.upstreams = upstreams;
    const removed = [...kept.values()];
    for (const b of removed) {
      const closing = b.retire().then(() => {
        this.retiring.delete(closing);
        this.logger.info({ region: b.region, backend: redactUrl(b.url) }, 'removed backend closed');
      });
      this.retiring.add(closing);
    }
    return removed;
  }

  /** Deployments that remain keep their runtime (requests in flight retry on its new route); removed ones lose their route. */
  private reloadDeployments(): DeploymentRuntime[] {
    const previous = this.deployments;
    const deployments = new Map<string, DeploymentRuntime>();
    for (const d of this.topology.deployments) {
      const runtime = previous.get(d.name);
      if (runtime === undefined) {
        deployments.set(d.name, new DeploymentRuntime(d, this.metrics, this.upstreams, this.ownLoad, this.inBand));
      } else {
        runtime.reconfigure(d, this.upstreams, this.ownLoad, this.inBand);
        deployments.set(d.name, runtime);
      }
    }
    const removed = [...previous.values()].filter((d) => !deployments.has(d.name));
    // A request in flight for a removed deployment finishes its attempt; it is not retried.
    for (const d of removed) d.route = null;
    this.deployments = deployments;
    return removed;
  }

  /** Gauges of what the config no longer has would otherwise stay at their last value. */
  private forgetSeries(deployments: readonly DeploymentRuntime[], backends: readonly Backend[]): void {
    const m = this.metrics;
    for (const d of deployments) {
      m.mode.remove(d.name);
      m.coverage.remove(d.name);
      for (const region of d.topology.boundary) {
        m.share.remove(d.name, region);
        m.weightFactor.remove(d.name, region);
        for (const state of REGION_STATES) m.regionState.remove(d.name, region, state);
      }
    }
    for (const b of backends) m.inFlight.remove(b.region, b.url);
  }

  private routeStateOptions(config: Config): RouteStateOptions<RegionTarget> {
    return {
      config,
      topology: this.topology,
      deployments: this.deployments,
      store: this.store,
      ownLoad: this.ownLoad,
      metrics: this.metrics,
      logger: this.logger,
      resilience: this.resilience,
      inBand: this.inBand,
      startedAtMs: this.startedAtMs,
    };
  }

  /** Requests accepted by the data plane and not yet answered (streams included). */
  get requestsInFlight(): number {
    return this.dataPlane.active;
  }

  /** Re-plan now (telemetry arrived, a passive signal changed a region's state). */
  replan(): void {
    this.state.rebuild(this.now());
  }

  /** Several outcomes in one tick cost one re-plan. */
  private replanSoon(): void {
    if (this.replanPending) return;
    this.replanPending = true;
    setImmediate(() => {
      this.replanPending = false;
      if (!this.draining) this.replan();
    });
  }

  capacity(): CapacityDocument {
    return renderCapacity({
      resilience: this.resilience,
      requestsInFlight: this.dataPlane.active,
      config: this.config,
      nowMs: this.now(),
      plannedAtMs: this.state.plannedAtMs,
      sourceUrls: sourceUrlsOf(this.config.telemetry),
      sourceStatus: this.state.sourceStatus,
      sourceStatuses: this.state.sourceStatuses,
      store: this.store,
      deployments: this.deployments.values(),
      upstreams: this.upstreams,
    });
  }

  async start(): Promise<RouterAddresses> {
    // With port 0 the "listening" lines are how scripts find the ports: they are
    // written at any log level but silent.
    const lifecycle = this.logger.level === 'silent' ? this.logger : this.logger.child({}, { level: 'info' });
    const data = await listen(this.dataServer, this.config.listen.host, this.config.listen.port);
    lifecycle.info({ listener: 'data', host: data.address, port: data.port }, 'listening');
    const admin = await listen(this.adminServer, this.config.admin.host, this.config.admin.port);
    lifecycle.info({ listener: 'admin', host: admin.address, port: admin.port }, 'listening');
    for (const poller of this.pollers) poller.start();
    this.startTick();
    this.sampler = setInterval(() => this.ownLoad.sample(this.now()), OWN_LOAD_SAMPLE_MS);
    this.sampler.unref();
    this.history.start(this.now);
    this.ready = true;
    return { data, admin };
  }

  private startTick(): void {
    if (this.tick !== null) clearInterval(this.tick);
    const tickMs = Math.min(MAX_TICK_MS, this.config.telemetry.intervalMs);
    this.tick = setInterval(() => this.replan(), tickMs);
  }

  /**
   * Stops accepting, lets in-flight requests (streams included) finish for up to
   * shutdown.drainMs, then closes whatever is left. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.drainAndClose();
    return this.stopping;
  }

  private async drainAndClose(): Promise<void> {
    this.draining = true;
    this.ready = false;
    if (this.tick !== null) clearInterval(this.tick);
    if (this.sampler !== null) clearInterval(this.sampler);
    this.history.stop();
    const closed = new Promise<void>((resolve) => this.dataServer.close(() => resolve()));
    this.dataServer.closeIdleConnections();
    const deadline = this.now() + this.config.shutdown.drainMs;
    this.logger.info({ inFlight: this.dataPlane.active, drainMs: this.config.shutdown.drainMs }, 'draining');
    await new Promise<void>((resolve) => {
      const check = (): void => {
        this.dataServer.closeIdleConnections();
        if (this.dataPlane.active === 0 || this.now() >= deadline) resolve();
        else setTimeout(check, 20);
      };
      check();
    });
    if (this.dataPlane.active > 0)
      this.logger.warn({ inFlight: this.dataPlane.active }, 'drain time over; closing remaining requests');
    this.dataServer.closeAllConnections();
    await closed;
    this.dataPlane.close();
    await Promise.all(this.pollers.map((p) => p.stop()));
    await Promise.all([...this.upstreams.values()].flatMap((u) => u.backends.map((b) => b.pool.destroy())));
    // Removed backends whose last requests were cut by the drain deadline.
    await Promise.all(this.retiring);
    await new Promise<void>((resolve) => {
      this.adminServer.close(() => resolve());
      this.adminServer.closeAllConnections();
    });
    this.logger.info('stopped');
  }

  private refreshScrapeGauges(): void {
    const now = this.now();
    for (const r of this.store.reports())
      this.metrics.telemetryAge.labels(r.region, r.model).set(Math.max(0, now - r.atMs) / 1000);
    this.metrics.retryBudgetInFlight.set(this.resilience.budget.inFlight);
    for (const upstream of this.upstreams.values()) {
      for (const b of upstream.backends) this.metrics.inFlight.labels(b.region, b.url).set(b.inFlight);
    }
  }
}
