// Values used for every optional key the config leaves out. The telemetry sources
// (url, prometheus) and the topology (zones, backends, deployments) have no default:
// they describe the fleet.

import type {
  AdminConfig,
  ConservativeConfig,
  CooldownConfig,
  OutlierConfig,
  PrometheusSourceConfig,
  RetryConfig,
  RoutingConfig,
  SheddingConfig,
  SlowStartConfig,
  LimitsConfig,
  ListenConfig,
  LogConfig,
  ShutdownConfig,
  TelemetryConfig,
  UpstreamConfig,
} from './types.js';

export const DEFAULT_LISTEN: ListenConfig = Object.freeze({ host: '127.0.0.1', port: 8080 });

export const DEFAULT_ADMIN: AdminConfig = Object.freeze({ host: '127.0.0.1', port: 8081, token: null });

export const DEFAULT_TELEMETRY: Omit<TelemetryConfig, 'url'> = Object.freeze({
  prometheus: null,
  // Load headers cost a scan of the answer's header names; they are the only signal
  // that keeps flowing while every polled source is down.
  inBand: true,
  intervalMs: 500,
  timeoutMs: 1000,
  staleAfterMs: 3000,
  minCoverage: 0.75,
  estimateMaxAgeMs: 30_000,
  // About 10,000 reports. Parsing costs the event loop ~20-30 ms per MiB, which every
  // request in flight waits for; raise it only for a fleet that needs more.
  maxBodyBytes: 1024 * 1024,
});

// Where vLLM, SGLang and most exporters put them once a scrape config adds the region.
export const DEFAULT_PROMETHEUS_LABELS: Pick<PrometheusSourceConfig, 'regionLabel' | 'modelLabel'> = Object.freeze({
  regionLabel: 'region',
  modelLabel: 'model',
});

export const DEFAULT_CONSERVATIVE: ConservativeConfig = Object.freeze({ maxShareFactor: 1.5, passiveCapacity: true });

// requestBodyTimeoutMs: a 16 MiB body needs ~4.5 Mbit/s to arrive in time. A client
// slower than that holds a slot (shedding.maxInFlight) for no one's benefit.
// clientReadTimeoutMs: as long as a backend may stay silent (upstream.bodyTimeoutMs).
export const DEFAULT_LIMITS: LimitsConfig = Object.freeze({
  maxBodyBytes: 16 * 1024 * 1024,
  requestBodyTimeoutMs: 30_000,
  clientReadTimeoutMs: 60_000,
});

export const DEFAULT_UPSTREAM: UpstreamConfig = Object.freeze({
  connectTimeoutMs: 2000,
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 60_000,
  keepAliveTimeoutMs: 10_000,
  maxConnectionsPerBackend: 0,
});

// Below the 10 s that `docker stop` (and a compose stop) waits before SIGKILL, so a
// default drain ends before the kill instead of at the same instant.
export const DEFAULT_SHUTDOWN: ShutdownConfig = Object.freeze({ drainMs: 8_000 });

export const DEFAULT_LOG: LogConfig = Object.freeze({ level: 'info', requests: false });

// Envoy's outlier detection defaults (5 consecutive 5xx, 30 s base ejection, 300 s
// max), but a higher ejection cap than its 10%: a boundary often has only 2-4 regions,
// where 10% would never eject anything.
export const DEFAULT_OUTLIER: OutlierConfig = Object.freeze({
  enabled: true,
  windowMs: 10_000,
  minRequests: 10,
  consecutiveFailures: 5,
  failureRate: 0.5,
  status400: true,
  status400MinRate: 0.5,
  status400MinExcess: 0.3,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  maxEjectionPercent: 50,
});

// Envoy's retry budget (20% of active requests, at least 3 concurrent); one retry per
// request, since each attempt of a generation can cost seconds of GPU time.
export const DEFAULT_RETRY: RetryConfig = Object.freeze({
  enabled: true,
  maxAttempts: 2,
  budgetPercent: 20,
  minConcurrent: 3,
  backoffBaseMs: 25,
  backoffMaxMs: 250,
});

// Some platforms answer Retry-After in minutes; a minute is as long as we rest a region.
// A region at its capacity edge answers 429 with a short Retry-After (often 1 s): that
// is a capacity signal, not an outage, and resting the whole region for it moves its
// traffic onto its peers until they answer 429 too. So only a long Retry-After (a
// spent quota) or a region that turns away nearly everything is rested.
export const DEFAULT_COOLDOWN: CooldownConfig = Object.freeze({
  enabled: true,
  maxMs: 60_000,
  minRetryAfterMs: 10_000,
  min429Rate: 0.9,
});

// One request in flight counts as one unit of inUse (concurrency, as vLLM's running
// requests and the simulator report); the smoothing constant is two default telemetry
// intervals, chosen on the fleet model (see docs/routing.md).
export const DEFAULT_ROUTING: RoutingConfig = Object.freeze({
  policy: 'adaptive',
  loadPerRequest: 1,
  smoothingMs: 1000,
  pickByLoad: true,
  staticWeights: Object.freeze({}),
});

export const DEFAULT_SHEDDING: SheddingConfig = Object.freeze({
  maxInFlight: 10_000,
  maxInFlightPerBackend: 0,
  retryAfterS: 1,
});

// Envoy's slow start shape (weight x max(min%, (t/window)^(1/aggression))), HAProxy's idea.
export const DEFAULT_SLOW_START: SlowStartConfig = Object.freeze({
  enabled: true,
  windowMs: 30_000,
  minWeightPercent: 10,
  aggression: 1,
});
