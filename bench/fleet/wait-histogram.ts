// The admission wait of a run, from the routers' own histogram
// (switchyard_admission_wait_seconds on each admin /metrics): scraped when the
// measured window starts and when every answer is in, summed over routers, by
// priority, and subtracted. Only requests that waited are in the histogram; the
// percentiles here are over every request of a class, the ones that never waited
// counted at 0 (so "p99 wait" is what the 99th-percentile request waited).
import { request } from 'undici';

const METRIC = 'switchyard_admission_wait_seconds_bucket';

/** Cumulative counts per upper bound (seconds; Infinity last), for one priority. */
export interface Buckets {
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
}

/** Priority -> its buckets, summed over routers and outcomes. */
export type WaitHistogram = ReadonlyMap<number, Buckets>;

function labelsOf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) out[m[1] as string] = m[2] as string;
  return out;
}

/** The wait histogram in one /metrics text, for `deployment`. */
export function parseWaitHistogram(text: string, deployment: string): Map<number, Buckets> {
  const byPriority = new Map<number, Map<number, number>>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${METRIC}{`)) continue;
    const close = line.lastIndexOf('}');
    const labels = labelsOf(line.slice(METRIC.length + 1, close));
    if (labels.deployment !== deployment || labels.le === undefined || labels.priority === undefined) continue;
    const le = labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.le);
    const value = Number(line.slice(close + 1).trim());
    const priority = Number(labels.priority);
    const buckets = byPriority.get(priority) ?? new Map<number, number>();
    buckets.set(le, (buckets.get(le) ?? 0) + value);
    byPriority.set(priority, buckets);
  }
  const out = new Map<number, Buckets>();
  for (const [priority, buckets] of byPriority) {
    const bounds = [...buckets.keys()].sort((a, b) => a - b);
    out.set(priority, { bounds, counts: bounds.map((b) => buckets.get(b) as number) });
  }
  return out;
}

/** Sum of histograms (routers), or `a - b` with `sign` -1 (a later scrape minus an earlier one). */
export function combine(a: WaitHistogram, b: WaitHistogram, sign: 1 | -1 = 1): Map<number, Buckets> {
  const out = new Map<number, Buckets>();
  for (const priority of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(priority);
    const y = b.get(priority);
    const bounds = x?.bounds ?? y?.bounds ?? [];
    out.set(priority, {
      bounds,
      counts: bounds.map((_, i) => (x?.counts[i] ?? 0) + sign * (y?.counts[i] ?? 0)),
    });
  }
  return out;
}

/** Every router's histogram, summed; null when a router did not answer. */
export async function scrapeWaits(adminUrls: readonly string[], deployment: string): Promise<WaitHistogram | null> {
  let sum: WaitHistogram = new Map();
  for (const url of adminUrls) {
    try {
      const res = await request(`${url}/metrics`, { headersTimeout: 5000, bodyTimeout: 5000 });
      const text = await res.body.text();
      if (res.statusCode !== 200) return null;
      sum = combine(sum, parseWaitHistogram(text, deployment));
    } catch {
      return null;
    }
  }
  return sum;
}

/** The buckets of the given priorities together (all of them when `priorities` is null). */
export function merged(h: WaitHistogram, priorities: ((p: number) => boolean) | null): Buckets | null {
  let out: Buckets | null = null;
  for (const [p, b] of h) {
    if (priorities !== null && !priorities(p)) continue;
    out = out === null ? b : { bounds: out.bounds, counts: out.counts.map((c, i) => c + (b.counts[i] ?? 0)) };
  }
  return out;
}

export interface WaitFigures {
  /** Requests of the class that answered (the population of the percentiles). */
  readonly requests: number;
  /** Waits observed (a request that every region refused after it was sent waits, and counts, again). */
  readonly waits: number;
  /**
   * Milliseconds, linear within a bucket as Prometheus' histogram_quantile (a bucket's upper
   * end taken as at most the longest possible wait); null when nothing was sent.
   */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** The waits themselves (cumulative, seconds), for shares within a bound (`shareWithin`). */
  readonly buckets: Buckets | null;
}

/**
 * The q-quantile of the waits of `requests` requests, of which those not in `b` waited 0.
 * Interpolated within the bucket it falls in (an upper bound of Infinity gives the bound below).
 */
export function waitQuantileMs(b: Buckets | null, requests: number, q: number, ceilingMs: number): number | null {
  const waits = b === null ? 0 : (b.counts[b.counts.length - 1] ?? 0);
  const population = Math.max(requests, waits);
  if (population === 0) return null;
  const rank = q * population;
  const zeros = population - waits;
  if (rank <= zeros || b === null) return 0;
  let below = zeros;
  let lower = 0;
  for (let i = 0; i < b.bounds.length; i++) {
    const upper = b.bounds[i] as number;
    const inBucket = zeros + (b.counts[i] as number) - below;
    if (below + inBucket >= rank) {
      const top = Math.max(lower, Math.min(upper, ceilingMs / 1000));
      return (lower + ((top - lower) * (rank - below)) / Math.max(1, inBucket)) * 1000;
    }
    below += inBucket;
    lower = upper;
  }
  return lower * 1000;
}

/**
 * `ceilingMs`: the longest wait there can be (maxWaitMs and one deadline sweep): a wait
 * that ran out lands in the bucket above maxWaitMs, and interpolating up to that bucket's
 * end (5 s above 3 s) would show waits that cannot have happened.
 */
export function waitFigures(b: Buckets | null, requests: number, ceilingMs: number): WaitFigures {
  return {
    requests,
    waits: b === null ? 0 : (b.counts[b.counts.length - 1] ?? 0),
    p50Ms: waitQuantileMs(b, requests, 0.5, ceilingMs),
    p99Ms: waitQuantileMs(b, requests, 0.99, ceilingMs),
    buckets: b,
  };
}

/**
 * The share of the requests that waited at most `boundMs`, exact when the bound is one of
 * the histogram's (0.5 s and 3 s are); null when it is not, or nothing was measured.
 */
export function shareWithin(w: WaitFigures | null | undefined, boundMs: number): number | null {
  if (w == null) return null;
  const population = Math.max(w.requests, w.waits);
  if (population === 0) return null;
  if (w.buckets == null) return w.waits === 0 ? 1 : null;
  const i = w.buckets.bounds.findIndex((x) => Math.abs(x * 1000 - boundMs) < 1e-6);
  if (i < 0) return null;
  return (population - w.waits + (w.buckets.counts[i] as number)) / population;
}
