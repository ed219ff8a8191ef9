// The validated, defaulted and frozen configuration. Everything downstream reads this
// shape only; raw YAML/JSON never leaves src/config.

export type DeploymentType = 'global' | 'datazone' | 'regional';

export interface ListenConfig {
  readonly host: string;
  /** 0 means "any free port". */
  readonly port: number;
}

export interface BackendConfig {
  readonly region: string;
  /** Origin only (scheme://host:port), no path; validated as http(s). */
  readonly url: string;
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

export interface TelemetryConfig {
  readonly url: string;
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
}

export interface ConservativeConfig {
  readonly maxShareFactor: number;
}

export interface LimitsConfig {
  readonly maxBodyBytes: number;
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
}

export interface Config {
  readonly listen: ListenConfig;
  readonly admin: ListenConfig;
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
}
