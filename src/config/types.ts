// The validated, defaulted and frozen configuration. Everything downstream reads this
// shape only; raw YAML/JSON never leaves src/config.

export type DeploymentType = 'global' | 'datazone' | 'regional';

export interface ListenConfig {
  readonly host: string;
  /** 0 means "any free port". */
  readonly port: number;
}

export interface AdminConfig extends ListenConfig {
  /**
   * When set, every admin path but /healthz and /readyz requires
   * `Authorization: Bearer <token>`; ${NAME} is expanded from the environment at load.
   */
  readonly token: string | null;
}

export interface BackendTlsConfig {
  /** The file as the config names it (for messages); null: Node's bundled roots. */
  readonly caFile: string | null;
  /** The PEM text of caFile, read when the config is loaded; it replaces the default roots. */
  readonly ca: string | null;
  /** The name sent in SNI and checked against the certificate; null: the URL's host. */
  readonly servername: string | null;
  /** false accepts any certificate (testing only). */
  readonly rejectUnauthorized: boolean;
}

export interface BackendConfig {
  readonly region: string;
  /** Origin only (scheme://host:port), no path; validated as http(s). */
  readonly url: string;
  /**
   * Set on every request to this backend, replacing a client header of the same name.
   * Names lower-cased, ${NAME} expanded at load. The values are secrets (api-key): never
   * logged or shown. Empty when none.
   */
  readonly headers: Readonly<Record<string, string>>;
  /** Deployment name -> this backend's name for it (its Azure deployment name). Empty when none. */
  readonly deploymentNames: Readonly<Record<string, string>>;
  /** Connection settings for an https backend; null for Node's defaults (and always for http). */
  readonly tls: BackendTlsConfig | null;
}

export interface DeploymentConfig {
  readonly name: string;
  readonly model: string;
  readonly type: DeploymentType;
  /** Set only for type datazone. */
  readonly zone: string | null;
  /** Set only for type regional. */
  readonly region: string | null;
}

/**
 * A Prometheus-compatible HTTP API as a load source: two instant queries per interval,
 * each answering one sample per (region, model), told apart by two labels.
 */
export interface PrometheusSourceConfig {
  /** Base URL of the HTTP API (scheme, host, port, and a path prefix if any); queries go to {url}/api/v1/query. */
  readonly url: string;
  /** PromQL whose samples are each region's capacity for a model. */
  readonly capacityQuery: string;
  /** PromQL whose samples are each region's load for a model, in the capacity's unit. */
  readonly inUseQuery: string;
  /** The sample label that names the region. */
  readonly regionLabel: string;
  /** The sample label that names the model. */
  readonly modelLabel: string;
}

export interface TelemetryConfig {
  /** The JSON capacity report, polled with GET; null when another source feeds the router. */
  readonly url: string | null;
  /** Prometheus as a load source; null when not used. */
  readonly prometheus: PrometheusSourceConfig | null;
  /**
   * Read load headers on backend answers (rate limits, ORCA endpoint-load-metrics) and
   * ask backends for ORCA; they refine a region's figures between polls and keep them
   * alive while the other sources are stale.
   */
  readonly inBand: boolean;
  /** How often the polled sources (url, prometheus) are polled. */
  readonly intervalMs: number;
  /** A poll that has not answered by then is abandoned and counted as failed. */
  readonly timeoutMs: number;
  readonly staleAfterMs: number;
  readonly minCoverage: number;
  /**
   * How long a region's last known headroom is still used as its estimate once its
   * report has gone stale; after that the median of the fresh regions is used.
   */
  readonly estimateMaxAgeMs: number;
  /** A telemetry body larger than this, counted while it arrives, fails the poll as too_large. */
  readonly maxBodyBytes: number;
}

export interface ConservativeConfig {
  readonly maxShareFactor: number;
  /**
   * Steer shares inside the conservative caps by what the router sees itself
   * (429 rate, latency) when telemetry cannot be trusted.
   */
  readonly passiveCapacity: boolean;
}

/** Passive outlier detection per (model, region), from the router's own outcomes. */
export interface OutlierConfig {
  readonly enabled: boolean;
  /** Sliding window for failure and 400 rates. */
  readonly windowMs: number;
  /** Attempts a region needs in the window before its rates are judged. */
  readonly minRequests: number;
  /** Connect errors, timeouts and 5xx in a row that eject at once. */
  readonly consecutiveFailures: number;
  /** (connect errors + timeouts + 5xx) / attempts in the window that ejects. */
  readonly failureRate: number;
  /** Detect service-side 400 anomalies (a region's 400 rate far above its peers'). */
  readonly status400: boolean;
  /** The region's 400 rate must reach this... */
  readonly status400MinRate: number;
  /** ...and exceed the peer regions' 400 rate for the same model by this much. */
  readonly status400MinExcess: number;
  /** First ejection lasts this; each repeat adds it again, up to maxEjectionMs. */
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  /** Never eject more than this percentage of a deployment's servable regions. */
  readonly maxEjectionPercent: number;
}

export interface RetryConfig {
  readonly enabled: boolean;
  /** Attempts per request, the first included. */
  readonly maxAttempts: number;
  /** Retries in flight may be at most this percentage of requests in flight... */
  readonly budgetPercent: number;
  /** ...or this many, whichever is larger. */
  readonly minConcurrent: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

export interface CooldownConfig {
  /** Rest a region that asks for it (see below) for its Retry-After / retry-after-ms. */
  readonly enabled: boolean;
  /** Upper bound on a cooldown, whatever the upstream asks for. */
  readonly maxMs: number;
  /**
   * A 429 whose Retry-After is at least this rests the whole region at once (a quota
   * spent); a shorter one only says "full right now" and caps its estimated room.
   */
  readonly minRetryAfterMs: number;
  /** A region whose 429 rate over the outlier window reaches this rests too. */
  readonly min429Rate: number;
}

export type RoutingPolicy = 'adaptive' | 'static' | 'round-robin' | 'reported-headroom';

export interface RoutingConfig {
  /**
   * adaptive: the telemetry-driven loop. The others are baselines for benchmarks and
   * incident replays (and a fallback for operators): static, fixed weights per region;
   * round-robin, every region in turn; reported-headroom, shares proportional to the
   * reported headroom as it is, a region without fresh data counted as zero, never
   * conservative (the naive telemetry router).
   */
  readonly policy: RoutingPolicy;
  /** How many telemetry units one of this router's requests in flight adds to inUse; 0 turns the correction off. */
  readonly loadPerRequest: number;
  /** Time constant for smoothing the other clients' load; 0 = none. */
  readonly smoothingMs: number;
  /** Use the router's in-flight counts at pick time (normal mode): a second draw when a region is short of room. */
  readonly pickByLoad: boolean;
  /** Policy static: weight per region (regions not listed weigh 1). */
  readonly staticWeights: Readonly<Record<string, number>>;
}

export interface SheddingConfig {
  /** Requests in flight across the router (streams included); 0 = unbounded. */
  readonly maxInFlight: number;
  /** Requests in flight per backend; 0 = unbounded. */
  readonly maxInFlightPerBackend: number;
  /** Retry-After (s) on a shed request. */
  readonly retryAfterS: number;
}

export interface SlowStartConfig {
  readonly enabled: boolean;
  /** A recovered region gets its full weight back over this window. */
  readonly windowMs: number;
  /** Its weight starts at this percentage, never lower. */
  readonly minWeightPercent: number;
  /** 1 ramps linearly; higher values give weight back faster at first. */
  readonly aggression: number;
}

export interface LimitsConfig {
  readonly maxBodyBytes: number;
  /** A request body not fully received this long after the request arrived gets 408. */
  readonly requestBodyTimeoutMs: number;
  /**
   * A client that drains nothing of a response for this long while the router has data
   * waiting for it is disconnected, and its upstream request aborted.
   */
  readonly clientReadTimeoutMs: number;
}

export interface UpstreamConfig {
  readonly connectTimeoutMs: number;
  /** Time to the upstream's response headers (time to first token for streams). */
  readonly headersTimeoutMs: number;
  /** Longest silence between two body chunks (SSE streams included). */
  readonly bodyTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** Upper bound of connections per backend; 0 means unbounded. */
  readonly maxConnectionsPerBackend: number;
}

export interface ShutdownConfig {
  /** How long in-flight requests (streams included) may run after SIGTERM/SIGINT. */
  readonly drainMs: number;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface LogConfig {
  readonly level: LogLevel;
  /** One "request" line per answered request (off by default: it costs on the hot path). */
  readonly requests: boolean;
}

export interface Config {
  readonly listen: ListenConfig;
  readonly admin: AdminConfig;
  /** Data zone -> its regions (a region is in at most one zone). */
  readonly zones: Readonly<Record<string, readonly string[]>>;
  readonly backends: readonly BackendConfig[];
  readonly deployments: readonly DeploymentConfig[];
  readonly telemetry: TelemetryConfig;
  readonly conservative: ConservativeConfig;
  readonly limits: LimitsConfig;
  readonly upstream: UpstreamConfig;
  readonly shutdown: ShutdownConfig;
  readonly log: LogConfig;
  readonly outlier: OutlierConfig;
  readonly retry: RetryConfig;
  readonly cooldown: CooldownConfig;
  readonly routing: RoutingConfig;
  readonly shedding: SheddingConfig;
  readonly slowStart: SlowStartConfig;
}
