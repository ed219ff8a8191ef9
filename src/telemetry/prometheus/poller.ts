// A Prometheus-compatible HTTP API (Prometheus, Thanos, Mimir, VictoriaMetrics) as a
// polled source: every interval, the capacity and the in-use instant queries are sent
// together; the poll succeeds when both answer, and their samples are joined by region
// and model. A sample's `at` is what Prometheus returns with it: for an instant query,
// the evaluation time, not the scrape time (docs/telemetry.md says what that means).
import type { PrometheusSourceConfig } from '../../config/types.js';
import { Pool } from 'undici';
import { redactUrl } from '../../net/redact-url.js';
import { getLimitedText } from '../http-get.js';
import { PollLoop, type PollLoopOptions, type PollResult } from '../poll-loop.js';
import { joinSamples } from './join.js';
import { parseVectorAnswer } from './vector.js';

export interface PrometheusPollerOptions extends PollLoopOptions {
  readonly prometheus: PrometheusSourceConfig;
}

export class PrometheusPoller extends PollLoop {
  // Two connections: both queries of a poll run at once.
  private readonly pool: Pool;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly capacityPath: string;
  private readonly inUsePath: string;

  constructor(private readonly config: PrometheusPollerOptions) {
    super('prometheus', redactUrl(config.prometheus.url), config);
    const url = new URL(config.prometheus.url);
    const { timeoutMs } = config;
    this.pool = new Pool(url.origin, {
      connections: 2,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connectTimeout: timeoutMs,
    });
    const headers: Record<string, string> = { accept: 'application/json' };
    // Credentials in the URL are how most Prometheus front doors take basic auth.
    if (url.username !== '' || url.password !== '') {
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    }
    this.headers = headers;
    const base = `${url.pathname.replace(/\/+$/, '')}/api/v1/query?query=`;
    this.capacityPath = base + encodeURIComponent(config.prometheus.capacityQuery);
    this.inUsePath = base + encodeURIComponent(config.prometheus.inUseQuery);
  }

  protected async poll(signal: AbortSignal): Promise<PollResult> {
    const { timeoutMs, maxBodyBytes, now } = this.config;
    const get = (path: string) =>
      getLimitedText(this.pool, { path, headers: this.headers, signal, timeoutMs, maxBodyBytes, errorBodies: true });
    const [capacity, inUse] = await Promise.all([get(this.capacityPath), get(this.inUsePath)]);
    const receivedAt = now();
    const labels = this.config.prometheus;
    return joinSamples(
      parseVectorAnswer(capacity.status, capacity.text, 'capacityQuery', 'capacity', labels, receivedAt),
      parseVectorAnswer(inUse.status, inUse.text, 'inUseQuery', 'inUse', labels, receivedAt),
    );
  }

  protected close(): Promise<void> {
    return this.pool.destroy();
  }
}
