// OpenTelemetry for the router, with the official SDK: a tracer provider and a meter
// provider of its own (nothing registered globally, no context manager: every span is
// given its parent explicitly), exporting OTLP over HTTP. The GenAI instruments are
// made once here; a request only records on them (request-trace.ts).
//
// Made only when the environment asks for it (otel-settings.ts); otherwise the router
// holds null and the data plane skips every call with one null check.
import { type Histogram, type Meter, type Tracer, ValueType } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { Logger } from 'pino';
import { type Environment, type OtelSettings, otelSettingsOf } from './otel-settings.js';

const SCOPE = 'switchyard';

// The GenAI semantic conventions' advised bucket boundaries.
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** A backend's address as the server.* attributes give it. */
export interface ServerAddress {
  readonly address: string;
  readonly port: number;
}

function samplerOf(settings: OtelSettings): Sampler {
  switch (settings.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(settings.samplerRatio);
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.samplerRatio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

export class GenAiTelemetry {
  /** null when traces are off (metrics only). */
  readonly tracer: Tracer | null;
  /** null when metrics are off (traces only). */
  readonly tokenUsage: Histogram | null;
  readonly operationDuration: Histogram | null;
  readonly timeToFirstToken: Histogram | null;
  readonly propagator = new W3CTraceContextPropagator();
  private readonly servers = new Map<string, ServerAddress>();

  private constructor(
    private readonly tracerProvider: TracerProvider | null,
    private readonly meterProvider: MeterProvider | null,
  ) {
    this.tracer = tracerProvider?.getTracer(SCOPE) ?? null;
    const meter: Meter | null = meterProvider?.getMeter(SCOPE) ?? null;
    this.tokenUsage =
      meter?.createHistogram('gen_ai.client.token.usage', {
        description: 'Number of input and output tokens used, as the answers reported them.',
        unit: '{token}',
        valueType: ValueType.INT,
        advice: { explicitBucketBoundaries: TOKEN_BUCKETS },
      }) ?? null;
    this.operationDuration =
      meter?.createHistogram('gen_ai.client.operation.duration', {
        description: 'Time from the request received to the answer ended, retries and waiting included.',
        unit: 's',
        advice: { explicitBucketBoundaries: DURATION_BUCKETS },
      }) ?? null;
    this.timeToFirstToken =
      meter?.createHistogram('gen_ai.server.time_to_first_token', {
        description: 'Time from the request received to the first answer byte relayed to the client.',
        unit: 's',
        advice: { explicitBucketBoundaries: TTFT_BUCKETS },
      }) ?? null;
  }

  /** OpenTelemetry as the environment asks for it; null when it stays off. */
  static fromEnvironment(env: Environment, logger: Logger): GenAiTelemetry | null {
    const settings = otelSettingsOf(env);
    if (settings === null) return null;
    for (const warning of settings.warnings) logger.warn({ reason: warning }, 'OpenTelemetry setting ignored');
    const resource = defaultResource()
      .merge(resourceFromAttributes({ 'service.name': 'switchyard' }))
      .merge(detectResources({ detectors: [envDetector] }))
      .merge(env.OTEL_SERVICE_NAME ? resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME }) : null);
    const tracerProvider =
      settings.tracesUrl === null
        ? null
        : new TracerProvider({
            resource,
            sampler: samplerOf(settings),
            spanProcessors: [
              new BatchSpanProcessor({
                exporter: new OTLPTraceExporter({ url: settings.tracesUrl }),
                scheduledDelayMillis: settings.spanExportDelayMs,
              }),
            ],
          });
    const meterProvider =
      settings.metricsUrl === null
        ? null
        : new MeterProvider({
            resource,
            readers: [
              new PeriodicExportingMetricReader({
                exporter: new OTLPMetricExporter({ url: settings.metricsUrl }),
                exportIntervalMillis: settings.metricExportIntervalMs,
                exportTimeoutMillis: Math.min(30_000, settings.metricExportIntervalMs),
              }),
            ],
          });
    logger.info(
      { traces: settings.tracesUrl, metrics: settings.metricsUrl, sampler: settings.sampler },
      'OpenTelemetry export on',
    );
    return new GenAiTelemetry(tracerProvider, meterProvider);
  }

  /** server.address and server.port of a backend URL (parsed once per backend). */
  serverOf(url: string): ServerAddress {
    let found = this.servers.get(url);
    if (found === undefined) {
      const u = new URL(url);
      const port = u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
      found = { address: u.hostname, port };
      this.servers.set(url, found);
    }
    return found;
  }

  /** Sends what is buffered (spans, a last metrics export) and stops the exporters. */
  async shutdown(): Promise<void> {
    await Promise.allSettled([this.tracerProvider?.shutdown(), this.meterProvider?.shutdown()]);
  }
}
