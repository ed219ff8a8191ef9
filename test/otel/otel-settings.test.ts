import { test } from 'node:test';
import assert from 'node:assert/strict';
import { otelSettingsOf } from '../../src/otel/otel-settings.js';
import { operationOf, providerOf, responseModelIn } from '../../src/otel/request-trace.js';

test('off by default: no endpoint, or OTEL_SDK_DISABLED, or both exporters none', () => {
  assert.equal(otelSettingsOf({}), null);
  assert.equal(otelSettingsOf({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_EXPORTER: 'otlp' }), null);
  assert.equal(otelSettingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }), null);
  assert.equal(
    otelSettingsOf({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_METRICS_EXPORTER: 'none',
    }),
    null,
  );
});

test('an endpoint turns both signals on, each at its OTLP/HTTP path; a signal endpoint wins', () => {
  const s = otelSettingsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' });
  assert.equal(s?.tracesUrl, 'http://c:4318/v1/traces');
  assert.equal(s?.metricsUrl, 'http://c:4318/v1/metrics');
  assert.equal(s?.sampler, 'parentbased_always_on');
  assert.equal(s?.spanExportDelayMs, 5000);
  assert.equal(s?.metricExportIntervalMs, 60_000);
  const own = otelSettingsOf({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t/traces', OTEL_METRICS_EXPORTER: 'none' });
  assert.equal(own?.tracesUrl, 'http://t/traces');
  assert.equal(own?.metricsUrl, null);
});

test('what is not supported is named in a warning, never silently used', () => {
  const s = otelSettingsOf({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    OTEL_TRACES_EXPORTER: 'zipkin',
    OTEL_TRACES_SAMPLER: 'jaeger_remote',
    OTEL_METRIC_EXPORT_INTERVAL: '-5',
  });
  assert.equal(s?.tracesUrl, null);
  assert.equal(s?.metricExportIntervalMs, 60_000);
  assert.equal(s?.warnings.length, 4);
});

test('operation and provider from the path; the response model from the first bytes', () => {
  assert.equal(operationOf('/openai/deployments/x/chat/completions?api-version=1'), 'chat');
  assert.equal(operationOf('/v1/responses'), 'chat');
  assert.equal(operationOf('/v1/embeddings'), 'embeddings');
  assert.equal(operationOf('/v1/completions'), 'text_completion');
  assert.equal(operationOf('/v1/images/generations'), 'generate_content');
  assert.equal(providerOf('/openai/deployments/x/embeddings'), 'azure.ai.openai');
  assert.equal(providerOf('/OpenAI/v1/responses'), 'azure.ai.openai');
  assert.equal(providerOf('/v1/chat/completions'), 'openai');
  assert.equal(
    responseModelIn(Buffer.from('{"id":"x","model": "gpt-4o-2024-08-06","choices":[]}')),
    'gpt-4o-2024-08-06',
  );
  assert.equal(responseModelIn(Buffer.from('data: {"id":"x","model":"m"}\n\n')), 'm');
  assert.equal(responseModelIn(Buffer.from('{"model":42}')), null);
  assert.equal(responseModelIn(Buffer.from('{"model":"unterminated')), null);
  assert.equal(responseModelIn(Buffer.from('audio bytes')), null);
});
