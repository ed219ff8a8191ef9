// The part of autocannon 9's programmatic API the load benchmark uses (the package
// ships no types and adding @types/autocannon would be a new dependency).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';
  import type { Writable } from 'node:stream';

  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    amount?: number;
    overallRate?: number;
    connectionRate?: number;
    pipelining?: number;
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    title?: string;
    /** Leave latency recording to autocannon for non-2xx too (default true). */
    excludeErrorStats?: boolean;
  }

  interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p99: number;
    p99_9?: number;
    p999?: number;
  }

  interface Result {
    title?: string;
    url: string;
    latency: Histogram;
    requests: Histogram;
    throughput: Histogram;
    errors: number;
    timeouts: number;
    mismatches: number;
    non2xx: number;
    resets: number;
    duration: number;
    start: Date;
    finish: Date;
    connections: number;
    '1xx': number;
    '2xx': number;
    '3xx': number;
    '4xx': number;
    '5xx': number;
    statusCodeStats: Record<string, { count: number }>;
  }

  interface Instance extends EventEmitter {
    stop(): void;
    opts: Options;
  }

  interface TrackOptions {
    outputStream?: Writable;
    renderProgressBar?: boolean;
    renderResultsTable?: boolean;
    renderLatencyTable?: boolean;
    progressBarString?: string;
  }

  interface Autocannon {
    (opts: Options, cb: (err: Error | null, result: Result) => void): Instance;
    /** Without a callback the instance is also a promise of the result. */
    (opts: Options): Instance & PromiseLike<Result>;
    track(instance: Instance, opts?: TrackOptions): void;
  }

  const autocannon: Autocannon;
  export default autocannon;
  export type { Instance, Options, Result, TrackOptions };
}
