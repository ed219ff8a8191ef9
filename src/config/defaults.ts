// The values every optional key takes when the config leaves it out, as named constants
// for code and tests. They are read off the schema (schema.ts), where each is written
// once; the telemetry sources (url, prometheus) and the topology (zones, backends,
// deployments) have no default: they describe the fleet.
import { configShape } from './schema.js';
import type { TelemetryConfig } from './types.js';
import { deepFreeze } from './validate.js';

const shape = configShape({}, '.');

/** A section as it is when the file leaves it out: every key at its default, frozen. */
function defaultsOf<T extends { parse(value: unknown): unknown }>(section: T, value?: object): ReturnType<T['parse']> {
  return deepFreeze(section.parse(value)) as ReturnType<T['parse']>;
}

export const DEFAULT_LISTEN = defaultsOf(shape.listen);
export const DEFAULT_ADMIN = defaultsOf(shape.admin);
const { url: _url, ...telemetry } = defaultsOf(shape.telemetry, {}) as TelemetryConfig;
export const DEFAULT_TELEMETRY: Omit<TelemetryConfig, 'url'> = Object.freeze(telemetry);
export const DEFAULT_CONSERVATIVE = defaultsOf(shape.conservative);
export const DEFAULT_LIMITS = defaultsOf(shape.limits);
export const DEFAULT_UPSTREAM = defaultsOf(shape.upstream);
export const DEFAULT_SHUTDOWN = defaultsOf(shape.shutdown);
export const DEFAULT_LOG = defaultsOf(shape.log);
export const DEFAULT_OUTLIER = defaultsOf(shape.outlier);
export const DEFAULT_RETRY = defaultsOf(shape.retry);
export const DEFAULT_COOLDOWN = defaultsOf(shape.cooldown);
export const DEFAULT_QUOTA = defaultsOf(shape.quota);
export const DEFAULT_TOKENS = defaultsOf(shape.tokens);
export const DEFAULT_ROUTING = defaultsOf(shape.routing);
export const DEFAULT_SHEDDING = defaultsOf(shape.shedding);
export const DEFAULT_SLOW_START = defaultsOf(shape.slowStart);
export const DEFAULT_ADMISSION = defaultsOf(shape.admission);
export const DEFAULT_AFFINITY = defaultsOf(shape.affinity);
