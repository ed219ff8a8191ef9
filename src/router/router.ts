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
import { AdmissionGate } from '../proxy/admission-gate.js';
import { HomeCache } from '../proxy/affinity/home-cache.js';
import { DataPlane } from '../proxy/data-plane.js';
import type { Backend, RegionTarget, RegionUpstream } from '../proxy/upstream.js';
import { redactUrl } from '../net/redact-url.js';
import { Resilience } from '../resilience/resilience.js';
import { RETRY_BUDGET_TICK_MS } from '../resilience/retry-budget.js';
import type { PolledSourceName } from '../telemetry/combine.js';
import { OWN_LOAD_SAMPLE_MS, OwnLoad } from '../telemetry/own-load.js';
import type { PollLoop, PollLoopOptions } from '../telemetry/poll-loop.js';
import { TelemetryPoller } from '../telemetry/poller.js';
import { PrometheusPoller } from '../telemetry/prometheus/poller.js';
import { TelemetryStore } from '../telemetry/store.js';
import type { Topology } from '../topology/topology.js';
import type { DeploymentRuntime } from '../proxy/deployment-runtime.js';
import { GenAiTelemetry } from '../otel/gen-ai-telemetry.js';
import type { Environment } from '../otel/otel-settings.js';
import { buildGeneration, type Generation, type GenerationChange, type RouterLifetime } from './generation.js';
import { REGION_STATES, RouteState, type RouteStateOptions } from './route-state.js';
import { RoutingHistory } from './routing-history.js';
import { pollersChanged, restartOnlyChanges, withRunningListeners } from './reload-diff.js';

// Reports cross the staleness line between polls; re-plan often enough to notice.
const MAX_TICK_MS = 250;

export interface RouterOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly random?: () => number;
  /** Where the OTEL_* variables are read (OpenTelemetry export, off unless they ask for it); process.env by default. */
  readonly environment?: Environment;
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
  readonly metrics = new Metrics();
  readonly store: TelemetryStore;
  readonly state: RouteState<RegionTarget>;
  readonly resilience: Resilience;
  readonly ownLoad: OwnLoad;
  /** Where stored objects live, as this router has learned (see proxy/affinity). */
  readonly homes: HomeCache;
  /** The last minutes of shares, modes and request rates, for the dashboard. */
  history: RoutingHistory;
  /** Everything the running config implies; a reload swaps it whole (see generation.ts). */
  private gen: Generation;
  /** What every generation shares. */
  private readonly lifetime: RouterLifetime;
  private readonly logger: Logger;
  private readonly now: () => number;
  /** When this router was made (its first plan): the wait for the first telemetry starts here. */
  private readonly startedAtMs: number;
  /** The polled sources (the JSON report, Prometheus), each on its own interval; a reload may replace them. */
  private pollers: readonly PollLoop[];
  private readonly dataPlane: DataPlane;
  private readonly dataServer: Server;
  private readonly adminServer: Server;
  private adminHandle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Backends removed by a reload whose pools are not closed yet (their last requests run). */
  private readonly retiring = new Set<Promise<void>>();
  private tick: NodeJS.Timeout | null = null;
  /** Moves the retry budget's rate window on (its own job: re-planning does not move it). */
  private budgetTick: NodeJS.Timeout | null = null;
  private sampler: NodeJS.Timeout | null = null;
  private ready = false;
  private draining = false;
  private stopping: Promise<void> | null = null;
  private replanPending = false;

  constructor(opts: RouterOptions) {
    const { config, logger } = opts;
    this.logger = logger;
    this.now = opts.now ?? Date.now;
    this.startedAtMs = this.now();
    // A report's `at` is matched against this router's in-flight history for as long
    // as the report can stand in for its region.
    this.ownLoad = new OwnLoad(Math.max(config.telemetry.staleAfterMs, config.telemetry.estimateMaxAgeMs));
    this.resilience = new Resilience({
      config,
      metrics: this.metrics,
      logger,
      now: this.now,
      requestReplan: () => this.replanSoon(),
      ownLoad: this.ownLoad,
    });
    this.homes = new HomeCache(config.affinity.cacheSize);
    this.metrics.affinityCacheSize = () => this.homes.size;
    this.lifetime = {
      homes: this.homes,
      metrics: this.metrics,
      logger,
      ownLoad: this.ownLoad,
      resilience: this.resilience,
      now: this.now,
      random: opts.random ?? Math.random,
      isDraining: () => this.draining,
      gate: new AdmissionGate({ metrics: this.metrics, logger, now: this.now, random: opts.random ?? Math.random }),
      otel: GenAiTelemetry.fromEnvironment(opts.environment ?? process.env, logger),
    };
    this.gen = buildGeneration(config, this.lifetime, null).generation;
    const telemetry = config.telemetry;
    this.store = new TelemetryStore(
      new Set(this.gen.topology.regions),
      new Set(config.deployments.map((d) => d.model)),
      polledSourcesOf(telemetry),
      telemetry.inBand,
    );
    this.state = new RouteState(this.routeStateOptions());
    this.state.rebuild(this.now());
    this.history = new RoutingHistory(this.gen.deployments.values(), this.now());

    this.pollers = this.makePollers(config);
    this.warnUnverified(config);
    this.dataPlane = new DataPlane(this.gen.dataPlane);
    this.dataServer = createServer({ keepAliveTimeout: 65_000 }, this.dataPlane.handle);
    // Without this listener Node answers 100 Continue before the handler sees the request.
    this.dataServer.on('checkContinue', this.dataPlane.handleExpectContinue);
    this.dataServer.on('connect', this.dataPlane.handleConnect);
    this.adminHandle = this.makeAdminHandler(config);
    this.adminServer = createServer((req, res) => this.adminHandle(req, res));
  }

  // What the running generation holds, for readers that take it as it is at the time.
  get config(): Config {
    return this.gen.config;
  }

  get topology(): Topology {
    return this.gen.topology;
  }

  get deployments(): ReadonlyMap<string, DeploymentRuntime> {
    return this.gen.deployments;
  }

  get upstreams(): ReadonlyMap<string, RegionUpstream> {
    return this.gen.upstreams;
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
    const change = buildGeneration(config, this.lifetime, this.gen);
    this.gen = change.generation;
    this.adopt(running, change);
  }

  /** What a new generation sets in motion, in this order: a re-plan comes before any request. */
  private adopt(running: Config, { generation, removedBackends, removedDeployments }: GenerationChange): void {
    const { config, topology } = generation;
    this.logger.level = config.log.level;
    this.warnUnverified(config);
    this.store.retain(
      new Set(topology.regions),
      new Set(config.deployments.map((d) => d.model)),
      polledSourcesOf(config.telemetry),
      config.telemetry.inBand,
    );
    this.retire(removedBackends);
    this.resilience.reconfigure(config);
    this.state.reconfigure(this.routeStateOptions());
    this.replan();
    this.dataPlane.reconfigure(generation.dataPlane);
    this.adminHandle = this.makeAdminHandler(config);
    for (const d of removedDeployments) this.lifetime.gate.removed(d);
    this.forgetSeries(removedDeployments, removedBackends);

    // The history ring is laid out for one set of deployments and regions.
    this.history.stop();
    this.history = new RoutingHistory(generation.deployments.values(), this.now());
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

  /** Removed backends' pools close once their last requests end. */
  private retire(backends: readonly Backend[]): void {
    for (const b of backends) {
      const closing = b.retire().then(() => {
        this.retiring.delete(closing);
        this.logger.info({ region: b.region, backend: redactUrl(b.url) }, 'removed backend closed');
      });
      this.retiring.add(closing);
    }
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

  private routeStateOptions(): RouteStateOptions<RegionTarget> {
    const { config, topology, deployments, inBand } = this.gen;
    return {
      config,
      topology,
      deployments,
      store: this.store,
      ownLoad: this.ownLoad,
      metrics: this.metrics,
      logger: this.logger,
      resilience: this.resilience,
      inBand,
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
    // New routes may have room (a report, a load header, a cooldown's end).
    this.lifetime.gate.replanned();
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
      homes: this.homes,
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
    const budget = this.resilience.budget;
    this.budgetTick = setInterval(() => budget.tick(this.now()), RETRY_BUDGET_TICK_MS);
    this.budgetTick.unref();
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
    if (this.budgetTick !== null) clearInterval(this.budgetTick);
    if (this.sampler !== null) clearInterval(this.sampler);
    this.history.stop();
    // Requests waiting for room would only wait out the drain: they are answered now.
    this.dataPlane.shutDownWaiting();
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
    this.lifetime.gate.close();
    await Promise.all(this.pollers.map((p) => p.stop()));
    await Promise.all([...this.upstreams.values()].flatMap((u) => u.backends.map((b) => b.pool.destroy())));
    // Removed backends whose last requests were cut by the drain deadline.
    await Promise.all(this.retiring);
    await new Promise<void>((resolve) => {
      this.adminServer.close(() => resolve());
      this.adminServer.closeAllConnections();
    });
    // The last spans and a final metrics export go out before the process may exit.
    await this.lifetime.otel?.shutdown();
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
