// Long-lived per-backend and per-region state: one undici keep-alive pool per backend,
// its in-flight count, and the backend choice inside a region.
import { Pool } from 'undici';
import type { BackendConfig, UpstreamConfig } from '../config/types.js';
import type { RouteTarget } from '../selector/deployment-route.js';
import type { InBandSlot } from '../telemetry/in-band/slot.js';

export class Backend {
  readonly region: string;
  readonly url: string;
  readonly pool: Pool;
  inFlight = 0;
  /** Connect failures in a row; at the outlier threshold the backend is skipped for a while. */
  connectFailures = 0;
  /** The backend is skipped (unless its region has no other) until then (ms since epoch). */
  ejectedUntilMs = 0;
  constructor(config: BackendConfig, upstream: UpstreamConfig) {
    this.region = config.region;
    this.url = config.url;
    this.pool = new Pool(config.url, {
      connections: upstream.maxConnectionsPerBackend === 0 ? null : upstream.maxConnectionsPerBackend,
      connectTimeout: upstream.connectTimeoutMs,
      headersTimeout: upstream.headersTimeoutMs,
      bodyTimeout: upstream.bodyTimeoutMs,
      keepAliveTimeout: upstream.keepAliveTimeoutMs,
      pipelining: 1,
    });
  }

  // The in-flight gauge is read from this count at scrape time, not updated per request.
  acquire(): void {
    this.inFlight++;
  }

  release(): void {
    this.inFlight--;
  }
}

export class RegionUpstream {
  readonly region: string;
  readonly backends: readonly Backend[];
  private next = 0;

  constructor(region: string, backends: readonly Backend[]) {
    this.region = region;
    this.backends = backends;
  }

  /**
   * Least in flight among the backends not ejected; ties go round robin so idle
   * backends share the load evenly. If every backend is ejected, they all count.
   */
  pickBackend(nowMs: number): Backend {
    const list = this.backends;
    const n = list.length;
    const start = this.next;
    this.next = start + 1 === n ? 0 : start + 1;
    if (n === 1) return list[0] as Backend;
    let best: Backend | null = null;
    for (let k = 0; k < n; k++) {
      let i = start + k;
      if (i >= n) i -= n;
      const b = list[i] as Backend;
      if (b.ejectedUntilMs > nowMs) continue;
      if (best === null || b.inFlight < best.inFlight) best = b;
    }
    return best ?? (list[start] as Backend);
  }
}

/** What a route picks: a region's upstream, and this router's load cell for the deployment's model there. */
export interface RegionTarget extends RouteTarget {
  readonly upstream: RegionUpstream;
  /** Where answers' load headers for the model there are recorded; null when telemetry.inBand is off. */
  readonly inBand: InBandSlot | null;
}
