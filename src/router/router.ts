// The composition root of one router: topology, upstream pools, telemetry poller,
// planner loop, data-plane and admin listeners, and an orderly drain on stop.
import type { CapacityDocument } from '../admin/capacity-document.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config/types.js';
import { Metrics } from '../metrics/metrics.js';
import { withAdminToken } from '../admin/admin-auth.js';
import { adminHandler } from '../admin/admin-server.js';
import { renderCapacity } from '../admin/capacity-view.js';
import { DataPlane } from '../proxy/data-plane.js';
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
import { RouteState } from './route-state.js';
import { RoutingHistory } from './routing-history.js';

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
  readonly config: Config;
  readonly topology: Topology;
  readonly metrics = new Metrics();
  readonly store: TelemetryStore;
  readonly deployments: ReadonlyMap<string, DeploymentRuntime>;
  readonly upstreams: ReadonlyMap<string, RegionUpstream>;
  readonly state: RouteState<RegionTarget>;
  readonly resilience: Resilience;
  readonly ownLoad: OwnLoad;
  /** The last minutes of shares, modes and request rates, for the dashboard. */
  readonly history: RoutingHistory;
  private readonly logger: Logger;
  private readonly now: () => number;
  /** The polled sources (the JSON report, Prometheus), each on its own interval. */
  private readonly pollers: readonly PollLoop[];
  /** The in-band source's slots; null when telemetry.inBand is off. */
  private readonly inBand: InBandLoad | null;
  private readonly dataPlane: DataPlane;
  private readonly dataServer: Server;
  private readonly adminServer: Server;
  private tick: NodeJS.Timeout | null = null;
  private sampler: NodeJS.Timeout | null = null;
  private ready = false;
  private draining = false;
  private stopping: Promise<void> | null = null;
  private replanPending = false;
  /** The polled sources' URLs as /capacity shows them: credentials redacted. */
  private readonly sourceUrlsShown: Readonly<Record<PolledSourceName, string | null>>;

  constructor(opts: RouterOptions) {
    const { config, logger } = opts;
    this.config = config;
    this.logger = logger;
    this.now = opts.now ?? Date.now;
    const random = opts.random ?? Math.random;
    this.topology = buildTopology(config);
    const telemetry = config.telemetry;
    this.sourceUrlsShown = {
      json: telemetry.url === null ? null : redactUrl(telemetry.url),
      prometheus: telemetry.prometheus === null ? null : redactUrl(telemetry.prometheus.url),
    };
    const polled: PolledSourceName[] = [];
    if (telemetry.url !== null) polled.push('json');
    if (telemetry.prometheus !== null) polled.push('prometheus');
    this.store = new TelemetryStore(
      new Set(this.topology.regions),
      new Set(config.deployments.map((d) => d.model)),
      polled,
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
    this.state = new RouteState({
      config,
      topology: this.topology,
      deployments: this.deployments,
      store: this.store,
      ownLoad: this.ownLoad,
      metrics: this.metrics,
      logger,
      resilience: this.resilience,
      inBand: this.inBand,
    });
    this.state.rebuild(this.now());
    this.history = new RoutingHistory(this.deployments.values(), this.now());

    const pollOptions: PollLoopOptions = {
      intervalMs: telemetry.intervalMs,
      timeoutMs: telemetry.timeoutMs,
      maxBodyBytes: telemetry.maxBodyBytes,
      store: this.store,
      metrics: this.metrics,
      logger,
      now: this.now,
      onPolled: () => this.replan(),
    };
    const pollers: PollLoop[] = [];
    if (telemetry.url !== null) pollers.push(new TelemetryPoller({ ...pollOptions, url: telemetry.url }));
    if (telemetry.prometheus !== null) {
      pollers.push(new PrometheusPoller({ ...pollOptions, prometheus: telemetry.prometheus }));
    }
    this.pollers = pollers;

    this.dataPlane = new DataPlane({
      deployments: this.deployments,
      maxBodyBytes: config.limits.maxBodyBytes,
      requestBodyTimeoutMs: config.limits.requestBodyTimeoutMs,
      clientReadTimeoutMs: config.limits.clientReadTimeoutMs,
      env: {
        metrics: this.metrics,
        logger,
        random,
        now: this.now,
        onOutcome: this.resilience.onOutcome,
        retry: { enabled: config.retry.enabled, maxAttempts: config.retry.maxAttempts, budget: this.resilience.budget },
        maxInFlightPerBackend: config.shedding.maxInFlightPerBackend,
        shedRetryAfterS: config.shedding.retryAfterS,
        accessLog: config.log.requests,
      },
      maxInFlight: config.shedding.maxInFlight,
      isDraining: () => this.draining,
      askLoadMetrics: telemetry.inBand,
    });
    this.dataServer = createServer({ keepAliveTimeout: 65_000 }, this.dataPlane.handle);
    // Without this listener Node answers 100 Continue before the handler sees the request.
    this.dataServer.on('checkContinue', this.dataPlane.handleExpectContinue);
    this.adminServer = createServer(
      withAdminToken(
        config.admin.token,
        adminHandler({
          capacity: () => this.capacity(),
          history: (sinceMs) => this.history.since(sinceMs),
          registry: this.metrics.registry,
          beforeScrape: () => this.refreshScrapeGauges(),
          isReady: () => this.ready,
        }),
      ),
    );
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
      sourceUrls: this.sourceUrlsShown,
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
    const tickMs = Math.min(MAX_TICK_MS, this.config.telemetry.intervalMs);
    this.tick = setInterval(() => this.replan(), tickMs);
    this.sampler = setInterval(() => this.ownLoad.sample(this.now()), OWN_LOAD_SAMPLE_MS);
    this.sampler.unref();
    this.history.start(this.now);
    this.ready = true;
    return { data, admin };
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
