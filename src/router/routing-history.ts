// The last few minutes of routing, for the dashboard's charts: per deployment its mode,
// and per region its planned share and the requests it answered per second. Sampled on
// a timer (once a second by default), never from the data plane: a sample reads the
// current plans and the per-route counters the data plane keeps anyway. The ring is
// preallocated, so memory is bounded by samples x regions whatever the traffic.

/** A route's answers, and the tokens they reported (input plus output). */
export interface RouteCount {
  readonly count: number;
  readonly tokens: { readonly total: number };
}

/** What a sample reads of a deployment; DeploymentRuntime has this shape. */
export interface SampledDeployment {
  readonly name: string;
  readonly topology: { readonly boundary: readonly string[]; readonly servable: readonly string[] };
  readonly route: {
    readonly plan: {
      readonly mode: 'normal' | 'conservative';
      readonly regions: ReadonlyArray<{ readonly region: string; readonly share: number }>;
    };
  } | null;
  statsFor(region: string): RouteCount;
  readonly ownAnswers: { readonly count: number };
}

/** The /history document: layout once, then one entry per sample, oldest first. */
export interface HistoryDoc {
  readonly intervalMs: number;
  readonly capacity: number;
  readonly deployments: ReadonlyArray<{ readonly name: string; readonly regions: readonly string[] }>;
  readonly samples: ReadonlyArray<{
    /** Epoch ms. */
    readonly at: number;
    /** Per deployment: 0 normal, 1 conservative. */
    readonly modes: readonly number[];
    /** Per deployment, per region (layout order): planned share. */
    readonly shares: ReadonlyArray<readonly number[]>;
    /** Per deployment, per region: requests answered per second since the previous sample. */
    readonly rates: ReadonlyArray<readonly number[]>;
    /** Per deployment, per region: tokens (input plus output, as the answers reported them) per second. */
    readonly tokenRates: ReadonlyArray<readonly number[]>;
    /** Per deployment: answers the router gave itself (rejections) per second. */
    readonly ownRates: readonly number[];
  }>;
}

export const HISTORY_INTERVAL_MS = 1000;
/** Five minutes at one sample a second. */
export const HISTORY_SAMPLES = 300;

interface Column {
  readonly deployment: SampledDeployment;
  /** Offset of its first region in the per-sample region arrays. */
  readonly offset: number;
  /** Counter per boundary region; null where the region has no backend (never counted). */
  readonly counters: ReadonlyArray<RouteCount | null>;
}

const round = (x: number, places: number): number => {
  const f = 10 ** places;
  return Math.round(x * f) / f;
};

export class RoutingHistory {
  readonly intervalMs: number;
  readonly capacity: number;
  private readonly columns: readonly Column[];
  private readonly width: number;
  private readonly times: Float64Array;
  private readonly modes: Uint8Array;
  private readonly shares: Float32Array;
  private readonly rates: Float32Array;
  private readonly tokenRates: Float32Array;
  private readonly ownRates: Float32Array;
  private readonly lastCounts: Float64Array;
  private readonly lastTokens: Float64Array;
  private readonly lastOwnCounts: Float64Array;
  private lastAtMs: number;
  private next = 0;
  private size = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    deployments: Iterable<SampledDeployment>,
    startMs: number,
    capacity = HISTORY_SAMPLES,
    intervalMs = HISTORY_INTERVAL_MS,
  ) {
    this.intervalMs = intervalMs;
    this.capacity = capacity;
    let offset = 0;
    const columns: Column[] = [];
    for (const d of deployments) {
      const servable = new Set(d.topology.servable);
      columns.push({
        deployment: d,
        offset,
        counters: d.topology.boundary.map((r) => (servable.has(r) ? d.statsFor(r) : null)),
      });
      offset += d.topology.boundary.length;
    }
    this.columns = columns;
    this.width = offset;
    this.times = new Float64Array(capacity);
    this.modes = new Uint8Array(capacity * columns.length);
    this.shares = new Float32Array(capacity * offset);
    this.rates = new Float32Array(capacity * offset);
    this.tokenRates = new Float32Array(capacity * offset);
    this.ownRates = new Float32Array(capacity * columns.length);
    this.lastCounts = new Float64Array(offset);
    this.lastTokens = new Float64Array(offset);
    this.lastOwnCounts = new Float64Array(columns.length);
    this.lastAtMs = startMs;
    this.readCounts(this.lastCounts, this.lastTokens, this.lastOwnCounts);
  }

  /** Samples every intervalMs until stop(); the timer never keeps the process alive. */
  start(now: () => number): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => this.sample(now()), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  sample(nowMs: number): void {
    const slot = this.next;
    const seconds = Math.max(nowMs - this.lastAtMs, 1) / 1000;
    this.times[slot] = nowMs;
    const base = slot * this.width;
    this.columns.forEach((col, d) => {
      const plan = col.deployment.route?.plan ?? null;
      this.modes[slot * this.columns.length + d] = plan === null || plan.mode === 'conservative' ? 1 : 0;
      const boundary = col.deployment.topology.boundary;
      for (let i = 0; i < boundary.length; i++) {
        const at = col.offset + i;
        // Plans list the boundary in boundary order; look the region up only if not.
        const planned = plan?.regions[i];
        const share =
          planned === undefined || planned.region === boundary[i]
            ? (planned?.share ?? 0)
            : (plan?.regions.find((r) => r.region === boundary[i])?.share ?? 0);
        this.shares[base + at] = share;
        const counter = col.counters[i] ?? null;
        const count = counter?.count ?? 0;
        this.rates[base + at] = Math.max(0, count - (this.lastCounts[at] as number)) / seconds;
        this.lastCounts[at] = count;
        const tokens = counter?.tokens.total ?? 0;
        this.tokenRates[base + at] = Math.max(0, tokens - (this.lastTokens[at] as number)) / seconds;
        this.lastTokens[at] = tokens;
      }
      const own = col.deployment.ownAnswers.count;
      this.ownRates[slot * this.columns.length + d] = Math.max(0, own - (this.lastOwnCounts[d] as number)) / seconds;
      this.lastOwnCounts[d] = own;
    });
    this.lastAtMs = nowMs;
    this.next = (slot + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** Samples taken after sinceMs (epoch ms), oldest first; all of them for 0. */
  since(sinceMs = 0): HistoryDoc {
    const samples: Array<HistoryDoc['samples'][number]> = [];
    const n = this.columns.length;
    for (let k = 0; k < this.size; k++) {
      const slot = (this.next - this.size + k + this.capacity) % this.capacity;
      const at = this.times[slot] as number;
      if (at <= sinceMs) continue;
      const base = slot * this.width;
      samples.push({
        at,
        modes: Array.from(this.modes.subarray(slot * n, slot * n + n)),
        shares: this.columns.map((c) => c.counters.map((_, i) => round(this.shares[base + c.offset + i] as number, 4))),
        rates: this.columns.map((c) => c.counters.map((_, i) => round(this.rates[base + c.offset + i] as number, 3))),
        tokenRates: this.columns.map((c) =>
          c.counters.map((_, i) => round(this.tokenRates[base + c.offset + i] as number, 1)),
        ),
        ownRates: Array.from(this.ownRates.subarray(slot * n, slot * n + n), (x) => round(x, 3)),
      });
    }
    return {
      intervalMs: this.intervalMs,
      capacity: this.capacity,
      deployments: this.columns.map((c) => ({ name: c.deployment.name, regions: c.deployment.topology.boundary })),
      samples,
    };
  }

  private readCounts(counts: Float64Array, tokens: Float64Array, own: Float64Array): void {
    this.columns.forEach((col, d) => {
      col.counters.forEach((c, i) => {
        counts[col.offset + i] = c?.count ?? 0;
        tokens[col.offset + i] = c?.tokens.total ?? 0;
      });
      own[d] = col.deployment.ownAnswers.count;
    });
  }
}
