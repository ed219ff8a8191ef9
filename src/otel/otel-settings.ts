// Whether OpenTelemetry is on, and how, from the standard OTEL_* environment variables.
// Off unless an OTLP endpoint is named: a router nobody asked to export anything does
// not load the SDK at all, and its data plane only checks a null per request.
//
//   OTEL_SDK_DISABLED=true                       off, whatever else is set
//   OTEL_EXPORTER_OTLP_ENDPOINT                  base URL; traces to /v1/traces, metrics to /v1/metrics
//   OTEL_EXPORTER_OTLP_{TRACES,METRICS}_ENDPOINT a signal's own full URL (wins over the base)
//   OTEL_TRACES_EXPORTER, OTEL_METRICS_EXPORTER  otlp (the default once an endpoint is set) or none
//   OTEL_EXPORTER_OTLP_PROTOCOL                  http/json is what is sent (others: a warning)
//   OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES  the resource (service.name defaults to switchyard)
//   OTEL_TRACES_SAMPLER(_ARG)                    parentbased_always_on (default), always_on, always_off,
//                                                traceidratio, parentbased_traceidratio
//   OTEL_BSP_SCHEDULE_DELAY, OTEL_METRIC_EXPORT_INTERVAL  export periods (ms; 5000 and 60000)
// The exporters read their own OTEL_EXPORTER_OTLP_* headers, timeout and compression.

export type Environment = Readonly<Record<string, string | undefined>>;

export type SamplerName =
  | 'parentbased_always_on'
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_traceidratio';

export interface OtelSettings {
  /** Where spans go; null when traces are off. */
  readonly tracesUrl: string | null;
  /** Where metrics go; null when metrics are off. */
  readonly metricsUrl: string | null;
  readonly sampler: SamplerName;
  /** The ratio for the traceidratio samplers (0..1). */
  readonly samplerRatio: number;
  readonly spanExportDelayMs: number;
  readonly metricExportIntervalMs: number;
  /** Problems worth a warning at start-up (what was ignored, and why). */
  readonly warnings: readonly string[];
}

export const DEFAULT_BSP_SCHEDULE_DELAY_MS = 5000;
export const DEFAULT_METRIC_EXPORT_INTERVAL_MS = 60_000;

const SAMPLERS: readonly SamplerName[] = [
  'parentbased_always_on',
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_traceidratio',
];

function value(env: Environment, name: string): string | null {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? null : v;
}

function signalUrl(
  env: Environment,
  signal: 'TRACES' | 'METRICS',
  exporterVar: string,
  warnings: string[],
): string | null {
  const exporter = (value(env, exporterVar) ?? 'otlp').toLowerCase();
  if (exporter === 'none') return null;
  if (exporter !== 'otlp') {
    warnings.push(
      `${exporterVar}=${exporter} is not supported (otlp or none); ${signal.toLowerCase()} are not exported`,
    );
    return null;
  }
  const own = value(env, `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`);
  if (own !== null) return own;
  const base = value(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (base === null) return null;
  return `${base.replace(/\/+$/, '')}/v1/${signal.toLowerCase()}`;
}

function positive(env: Environment, name: string, fallback: number, warnings: string[]): number {
  const v = value(env, name);
  if (v === null) return fallback;
  const n = Number(v);
  if (Number.isFinite(n) && n > 0) return n;
  warnings.push(`${name}=${v} is not a positive number of milliseconds; ${fallback} is used`);
  return fallback;
}

/** The settings the environment asks for, or null when OpenTelemetry stays off. */
export function otelSettingsOf(env: Environment): OtelSettings | null {
  if (value(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return null;
  const warnings: string[] = [];
  const tracesUrl = signalUrl(env, 'TRACES', 'OTEL_TRACES_EXPORTER', warnings);
  const metricsUrl = signalUrl(env, 'METRICS', 'OTEL_METRICS_EXPORTER', warnings);
  if (tracesUrl === null && metricsUrl === null) return null;
  const protocol = value(env, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  if (protocol !== null && protocol !== 'http/json')
    warnings.push(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol}: switchyard exports OTLP over HTTP as JSON (http/json)`);
  const samplerName = (value(env, 'OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  let sampler: SamplerName = 'parentbased_always_on';
  if ((SAMPLERS as readonly string[]).includes(samplerName)) sampler = samplerName as SamplerName;
  else
    warnings.push(
      `OTEL_TRACES_SAMPLER=${samplerName} is not supported (${SAMPLERS.join(', ')}); parentbased_always_on is used`,
    );
  const arg = Number(value(env, 'OTEL_TRACES_SAMPLER_ARG') ?? '1');
  const samplerRatio = Number.isFinite(arg) && arg >= 0 && arg <= 1 ? arg : 1;
  return {
    tracesUrl,
    metricsUrl,
    sampler,
    samplerRatio,
    spanExportDelayMs: positive(env, 'OTEL_BSP_SCHEDULE_DELAY', DEFAULT_BSP_SCHEDULE_DELAY_MS, warnings),
    metricExportIntervalMs: positive(env, 'OTEL_METRIC_EXPORT_INTERVAL', DEFAULT_METRIC_EXPORT_INTERVAL_MS, warnings),
    warnings,
  };
}
