// Label children for one (deployment, region) pair, made once and reused: the hot path
// never calls labels() (a string join and a map look-up per call).
import type { Counter, Histogram } from 'prom-client';
import type { Metrics } from './metrics.js';

type CounterChild = ReturnType<Counter<'deployment' | 'region' | 'code'>['labels']>;
type HistogramChild = ReturnType<Histogram<'deployment' | 'region'>['labels']>;

export class RouteStats {
  private readonly byCode = new Map<number, CounterChild>();
  private readonly durationChild: HistogramChild;

  constructor(
    private readonly metrics: Metrics,
    readonly deployment: string,
    readonly region: string,
  ) {
    this.durationChild = metrics.duration.labels(deployment, region);
  }

  record(status: number, seconds: number): void {
    let child = this.byCode.get(status);
    if (child === undefined) {
      child = this.metrics.requests.labels(this.deployment, this.region, String(status));
      this.byCode.set(status, child);
    }
    child.inc();
    this.durationChild.observe(seconds);
  }
}
