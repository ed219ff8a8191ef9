// Per-request series kept in plain numbers and handed to prom-client's registry at
// scrape time. prom-client's label children still validate and hash their labels on
// every inc()/observe(); the hot path here only adds to a number in an array.
import type { Registry } from 'prom-client';
import { TenantTokens, TOKEN_KINDS, TokenCounts } from './token-series.js';

// Inference latencies run from milliseconds (errors, cached) to minutes (long streams).
export const DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];

// OpenTelemetry's GenAI semantic conventions recommend these buckets for time to first
// token (gen_ai.server.time_to_first_token); the router's time to first byte is its view of it.
export const TTFB_BUCKETS: readonly number[] = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** A histogram in plain numbers: one array write and two additions per observation. */
export class PlainHistogram {
  /** Non-cumulative: bucketCounts[i] counts values in (bound[i-1], bound[i]]; the last is +Inf. */
  readonly bucketCounts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.bucketCounts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let b = 0;
    while (b < bounds.length && value > (bounds[b] as number)) b++;
    this.bucketCounts[b] = (this.bucketCounts[b] as number) + 1;
    this.sum += value;
    this.count++;
  }
}

/** One (deployment, region) pair's requests by status code, their durations and times to first byte. */
export class RouteCounters {
  readonly codes: number[] = [];
  readonly counts: number[] = [];
  readonly duration = new PlainHistogram(DURATION_BUCKETS);
  /** Request received to the first body byte relayed to the client. */
  readonly firstByte = new PlainHistogram(TTFB_BUCKETS);
  /** Tokens the answers of this route reported. */
  readonly tokens = new TokenCounts();

  constructor(
    readonly deployment: string,
    readonly region: string,
  ) {}

  /** Requests answered on this route. */
  get count(): number {
    return this.duration.count;
  }

  record(status: number, seconds: number): void {
    const codes = this.codes;
    let i = 0;
    while (i < codes.length && codes[i] !== status) i++;
    if (i === codes.length) {
      codes.push(status);
      this.counts.push(1);
    } else {
      this.counts[i] = (this.counts[i] as number) + 1;
    }
    this.duration.observe(seconds);
  }
}

interface SeriesValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** A family whose values are read at scrape time, registered as a custom collector. */
function registerFamily(
  registry: Registry,
  name: string,
  help: string,
  type: 'counter' | 'histogram',
  values: () => SeriesValue[],
): void {
  const family = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: () => ({ name, help, type, aggregator: 'sum', values: values() }),
    reset: () => undefined,
  };
  // The registry reads only name, help, type and get() of what it is given.
  registry.registerMetric(family as unknown as Parameters<Registry['registerMetric']>[0]);
}

const DURATION = 'switchyard_request_duration_seconds';
const FIRST_BYTE = 'switchyard_time_to_first_byte_seconds';

function registerHistogram(
  registry: Registry,
  name: string,
  help: string,
  routes: readonly RouteCounters[],
  of: (r: RouteCounters) => PlainHistogram,
): void {
  registerFamily(registry, name, help, 'histogram', () => {
    const values: SeriesValue[] = [];
    for (const r of routes) {
      const h = of(r);
      if (h.count === 0) continue;
      const labels = { deployment: r.deployment, region: r.region };
      let cumulative = 0;
      h.bounds.forEach((le, i) => {
        cumulative += h.bucketCounts[i] as number;
        values.push({ value: cumulative, labels: { ...labels, le }, metricName: `${name}_bucket` });
      });
      values.push({ value: h.count, labels: { ...labels, le: '+Inf' }, metricName: `${name}_bucket` });
      values.push({ value: h.sum, labels, metricName: `${name}_sum` });
      values.push({ value: h.count, labels, metricName: `${name}_count` });
    }
    return values;
  });
}

/** The per-request families, as custom collectors on a prom-client registry. */
export class RequestSeries {
  private readonly routes: RouteCounters[] = [];
  /** Tokens per deployment and tenant (fairness key, bounded and hashed). */
  readonly tenants = new TenantTokens();

  constructor(registry: Registry) {
    const routes = this.routes;
    registerFamily(
      registry,
      'switchyard_requests_total',
      'Requests answered, by deployment, serving region ("none" when the router answered itself) and HTTP status code.',
      'counter',
      () => {
        const values: SeriesValue[] = [];
        for (const r of routes) {
          r.codes.forEach((code, i) => {
            values.push({ value: r.counts[i] as number, labels: { deployment: r.deployment, region: r.region, code } });
          });
        }
        return values;
      },
    );
    registerFamily(
      registry,
      'switchyard_tokens_total',
      'Tokens the answers reported (usage), by deployment, serving region and kind (input, output, cached: the part of input served from the prompt cache).',
      'counter',
      () => {
        const values: SeriesValue[] = [];
        for (const r of routes) {
          if (r.tokens.answers === 0) continue;
          for (const kind of TOKEN_KINDS)
            values.push({ value: r.tokens[kind], labels: { deployment: r.deployment, region: r.region, kind } });
        }
        return values;
      },
    );
    const tenants = this.tenants;
    registerFamily(
      registry,
      'switchyard_tenant_tokens_total',
      'Tokens the answers reported, by deployment, tenant (t- and 12 hex digits of the SHA-256 of the fairness key, for the first 32 keys seen; "other" after them) and kind.',
      'counter',
      () => {
        const values: SeriesValue[] = [];
        for (const [deployment, byTenant] of tenants.byDeployment) {
          for (const [tenant, counts] of byTenant)
            for (const kind of TOKEN_KINDS) values.push({ value: counts[kind], labels: { deployment, tenant, kind } });
        }
        return values;
      },
    );
    registerHistogram(
      registry,
      DURATION,
      'Time from request received to response end (streams included), by deployment and region.',
      routes,
      (r) => r.duration,
    );
    registerHistogram(
      registry,
      FIRST_BYTE,
      "Time from request received to the first response body byte sent to the client (the router's view of time to first token), by deployment and region.",
      routes,
      (r) => r.firstByte,
    );
  }

  /** A route's counters; made once per (deployment, region), off the hot path. */
  route(deployment: string, region: string): RouteCounters {
    const found = this.routes.find((r) => r.deployment === deployment && r.region === region);
    if (found !== undefined) return found;
    const r = new RouteCounters(deployment, region);
    this.routes.push(r);
    return r;
  }
}
