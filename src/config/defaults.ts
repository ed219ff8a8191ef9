// Values used for every optional key the config leaves out. telemetry.url and the
// topology (zones, backends, deployments) have no default: they describe the fleet.

import type {
  ConservativeConfig,
  LimitsConfig,
  ListenConfig,
  LogConfig,
  ShutdownConfig,
  TelemetryConfig,
  UpstreamConfig,
} from './types.js';

export const DEFAULT_LISTEN: ListenConfig = Object.freeze({ host: '127.0.0.1', port: 8080 });

export const DEFAULT_ADMIN: ListenConfig = Object.freeze({ host: '127.0.0.1', port: 8081 });

export const DEFAULT_TELEMETRY: Omit<TelemetryConfig, 'url'> = Object.freeze({
  intervalMs: 500,
  timeoutMs: 1000,
  staleAfterMs: 3000,
  minCoverage: 0.75,
  estimateMaxAgeMs: 30_000,
});

export const DEFAULT_CONSERVATIVE: ConservativeConfig = Object.freeze({ maxShareFactor: 1.5 });

export const DEFAULT_LIMITS: LimitsConfig = Object.freeze({ maxBodyBytes: 16 * 1024 * 1024 });

export const DEFAULT_UPSTREAM: UpstreamConfig = Object.freeze({
  connectTimeoutMs: 2000,
  headersTimeoutMs: 60_000,
  bodyTimeoutMs: 60_000,
  keepAliveTimeoutMs: 10_000,
  maxConnectionsPerBackend: 0,
});

export const DEFAULT_SHUTDOWN: ShutdownConfig = Object.freeze({ drainMs: 10_000 });

export const DEFAULT_LOG: LogConfig = Object.freeze({ level: 'info' });
