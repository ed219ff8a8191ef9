// Per-request series kept in plain numbers and handed to prom-client's registry at
// scrape time. prom-client's label children still validate and hash their labels on
// every inc()/observe(); the hot path here only adds to a number in an array.
import type { Registry } from 'prom-client';

// Inference latencies run from milliseconds (errors, cached) to minutes (long streams).
export const DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];

/** One (deployment, region) pair's requests by status code, and their durations. */
export class RouteCounters {
  readonly codes: number[] = [];
  readonly counts: number[] = [];
  /** Non-cumulative: bucketCounts[i] counts durations in (bound[i-1], bound[i]]; the last is +Inf. */
  readonly bucketCounts = new Float64Array(DURATION_BUCKETS.length + 1);
  sum = 0;
  count = 0;

  constructor(
    readonly deployment: string,
    readonly region: string,
  ) {}

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
    let b = 0;
    while (b < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[b] as number)) b++;
    this.bucketCounts[b] = (this.bucketCounts[b] as number) + 1;
    this.sum += seconds;
    this.count++;
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

/** The two families, as custom collectors on a prom-client registry. */
export class RequestSeries {
  private readonly routes: RouteCounters[] = [];

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
          r.codes.forEach((code, i) =>
            values.push({ value: r.counts[i] as number, labels: { deployment: r.deployment, region: r.region, code } }),
          );
        }
        return values;
      },
    );
    registerFamily(
      registry,
      DURATION,
      'Time from request received to response end (streams included), by deployment and region.',
      'histogram',
      () => {
        const values: SeriesValue[] = [];
        for (const r of routes) {
          if (r.count === 0) continue;
          const labels = { deployment: r.deployment, region: r.region };
          let cumulative = 0;
          DURATION_BUCKETS.forEach((le, i) => {
            cumulative += r.bucketCounts[i] as number;
            values.push({ value: cumulative, labels: { ...labels, le }, metricName: `${DURATION}_bucket` });
          });
          values.push({ value: r.count, labels: { ...labels, le: '+Inf' }, metricName: `${DURATION}_bucket` });
          values.push({ value: r.sum, labels, metricName: `${DURATION}_sum` });
          values.push({ value: r.count, labels, metricName: `${DURATION}_count` });
        }
        return values;
      },
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
