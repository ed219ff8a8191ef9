// The validated, defaulted and frozen configuration. Everything downstream reads this
// shape only; raw YAML/JSON never leaves src/config. The types follow from the schema
// (schema.ts), which says what each key means.
import type { z } from 'zod';
import type { configSchema } from './schema.js';

type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

export type Config = DeepReadonly<z.output<ReturnType<typeof configSchema>>>;

export type ListenConfig = Config['listen'];
export type AdminConfig = Config['admin'];
export type BackendConfig = Config['backends'][number];
export type BackendTlsConfig = NonNullable<BackendConfig['tls']>;
export type DeploymentConfig = Config['deployments'][number];
export type DeploymentType = DeploymentConfig['type'];
export type TelemetryConfig = Config['telemetry'];
export type PrometheusSourceConfig = NonNullable<TelemetryConfig['prometheus']>;
export type ConservativeConfig = Config['conservative'];
export type LimitsConfig = Config['limits'];
export type UpstreamConfig = Config['upstream'];
export type ShutdownConfig = Config['shutdown'];
export type LogConfig = Config['log'];
export type LogLevel = LogConfig['level'];
export type OutlierConfig = Config['outlier'];
export type RetryConfig = Config['retry'];
export type CooldownConfig = Config['cooldown'];
export type QuotaConfig = Config['quota'];
export type RoutingConfig = Config['routing'];
export type RoutingPolicy = RoutingConfig['policy'];
export type CapacityUnit = RoutingConfig['capacityUnit'];
export type TokensConfig = Config['tokens'];
export type SheddingConfig = Config['shedding'];
export type SlowStartConfig = Config['slowStart'];
export type AdmissionConfig = Config['admission'];
export type DeploymentAdmissionConfig = NonNullable<DeploymentConfig['admission']>;
export type AffinityConfig = Config['affinity'];
