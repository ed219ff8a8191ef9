// Long-lived per-backend and per-region state: one undici keep-alive pool per backend,
// its in-flight count, its request settings, and the backend choice inside a region.
import { Pool } from 'undici';
import type { BackendConfig, UpstreamConfig } from '../config/types.js';
import type { RouteTarget } from '../selector/deployment-route.js';
import { BackendSettings } from './backend-settings.js';
import type { InBandSlot } from '../telemetry/in-band/slot.js';

export class Backend {
  readonly region: string;
  readonly url: string;
  readonly pool: Pool;
  /** Its entry in the config in force (a reload may change its headers and names). */
  config: BackendConfig;
  /** Headers and deployment names of its own; null when it has none. Replaced on a reload. */
  settings: BackendSettings | null;
  inFlight = 0;
  /** Connect failures in a row; at the outlier threshold the backend is skipped for a while. */
  connectFailures = 0;
  /** The backend is skipped (unless its region has no other) until then (ms since epoch). */
  ejectedUntilMs = 0;
  /** Set once a reload removed the backend: called when its last request ends. */
  private onIdle: (() => void) | null = null;

  constructor(config: BackendConfig, upstream: UpstreamConfig) {
    this.region = config.region;
    this.url = config.url;
    this.config = config;
    this.settings = BackendSettings.of(config);
    const tls = config.tls;
    this.pool = new Pool(config.url, {
      connections: upstream.maxConnectionsPerBackend === 0 ? null : upstream.maxConnectionsPerBackend,
      connectTimeout: upstream.connectTimeoutMs,
      headersTimeout: upstream.headersTimeoutMs,
      bodyTimeout: upstream.bodyTimeoutMs,
      keepAliveTimeout: upstream.keepAliveTimeoutMs,
      // A backend's `Keep-Alive: timeout=N` hint replaces keepAliveTimeout (less
      // keepAliveTimeoutThreshold, 2 s, for transit), capped by keepAliveMaxTimeout,
      // 600 s by default: a backend saying 30 s kept idle connections 28 s. Capped by
      // our setting, a shorter hint still wins (the backend would close first) and a
      // longer one does not.
      keepAliveMaxTimeout: upstream.keepAliveTimeoutMs,
      pipelining: 1,
      // undici hands these to tls.connect for every connection of the pool.
      ...(tls === null
        ? {}
        : {
            connect: {
              rejectUnauthorized: tls.rejectUnauthorized,
              ...(tls.ca === null ? {} : { ca: tls.ca }),
              ...(tls.servername === null ? {} : { servername: tls.servername }),
            },
          }),
    });
  }

  /** A reload kept the backend (same pool): new headers and names from the next attempt on. */
  reconfigure(config: BackendConfig): void {
    this.config = config;
    this.settings = BackendSettings.of(config);
  }

  // The in-flight gauge is read from this count at scrape time, not updated per request.
  acquire(): void {
    this.inFlight++;
  }

  release(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.onIdle !== null) this.onIdle();
  }

  /**
   * The backend is out of the config: no new request picks it (the routes no longer
   * list it), and once the requests it still serves (streams included) have ended its
   * pool is closed. Resolves when the pool is closed.
   */
  retire(): Promise<void> {
    return new Promise((resolve) => {
      const close = (): void => {
        this.onIdle = null;
        this.pool.close().then(resolve, resolve);
      };
      if (this.inFlight === 0) close();
      else this.onIdle = close;
    });
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
