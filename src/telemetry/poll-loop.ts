// What every polled source shares: one poll at a time on an interval (the next starts
// an interval after the previous one started, or at once if it overran), a deadline
// per poll, and one way to take the result in. A poll that fails in any way keeps the
// last good readings in the store; it is logged and counted, never thrown.
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.js';
import type { PolledSourceName } from './combine.js';
import { PollFailure } from './http-get.js';
import type { CapacityReport } from './report.js';
import type { TelemetryStore } from './store.js';

// While a failure repeats, say so at most this often instead of every interval.
const REPEAT_LOG_MS = 30_000;

export interface PollLoopOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Bytes of body read at most per answer; counted while reading, whatever Content-Length says. */
  readonly maxBodyBytes: number;
  readonly store: TelemetryStore;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly now: () => number;
  /** After every poll, successful or not: the router rebuilds its plans. */
  readonly onPolled: () => void;
}

/** One report dropped for a bad field; the others of the poll are used. */
export interface Rejection {
  readonly index: number;
  readonly reason: string;
  readonly detail: string;
}

export interface PollResult {
  readonly reports: CapacityReport[];
  readonly rejected: readonly Rejection[];
}

export abstract class PollLoop {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: AbortController | null = null;
  private stopped = false;
  private lastFailure: { key: string; loggedAt: number; repeats: number } | null = null;
  private lastRejectLogAt = -Infinity;

  /** source: the store's and the metrics' name for it; shownAs: the source in logs, secrets redacted. */
  protected constructor(
    protected readonly source: PolledSourceName,
    protected readonly shownAs: string,
    protected readonly opts: PollLoopOptions,
  ) {}

  /** Fetches and parses one answer; throws PollFailure (anything else counts as malformed). */
  protected abstract poll(signal: AbortSignal): Promise<PollResult>;

  /** Releases the connections. */
  protected abstract close(): Promise<void>;

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.inFlight?.abort();
    await this.close();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const started = this.opts.now();
      void this.pollOnce().finally(() => {
        this.opts.onPolled();
        this.schedule(Math.max(0, this.opts.intervalMs - (this.opts.now() - started)));
      });
    }, delayMs);
  }

  /** One poll; resolves whatever happens. Exposed for tests. */
  async pollOnce(): Promise<void> {
    const { store, metrics, now } = this.opts;
    metrics.polls.labels(this.source).inc();
    const controller = new AbortController();
    this.inFlight = controller;
    const deadline = setTimeout(() => controller.abort(), this.opts.timeoutMs);
    try {
      const result = await this.poll(controller.signal);
      const receivedAt = now();
      const ingest = store.recordSuccess(result.reports, receivedAt, this.source);
      if (ingest.ignored > 0) metrics.reportsIgnored.labels(this.source).inc(ingest.ignored);
      for (const r of result.rejected) metrics.reportsRejected.labels(this.source, r.reason).inc();
      this.logRejected(result.rejected, receivedAt);
      if (this.lastFailure !== null) {
        this.opts.logger.info(
          { source: this.shownAs, kind: this.source, failures: this.lastFailure.repeats },
          'telemetry polls recovered',
        );
        this.lastFailure = null;
      }
    } catch (err) {
      if (this.stopped) return;
      const failure = err instanceof PollFailure ? err : new PollFailure('malformed', (err as Error).message);
      store.recordFailure(`${failure.reason}: ${failure.message}`, now(), this.source);
      metrics.pollFailures.labels(this.source, failure.reason).inc();
      this.logFailure(failure);
    } finally {
      clearTimeout(deadline);
      this.inFlight = null;
    }
  }

  private logRejected(rejected: readonly Rejection[], at: number): void {
    if (rejected.length === 0 || at - this.lastRejectLogAt < REPEAT_LOG_MS) return;
    this.lastRejectLogAt = at;
    this.opts.logger.warn(
      {
        source: this.shownAs,
        kind: this.source,
        rejected: rejected.length,
        examples: rejected.slice(0, 3),
        reason: 'invalid report',
      },
      'telemetry reports rejected',
    );
  }

  private logFailure(failure: PollFailure): void {
    const at = this.opts.now();
    const key = `${failure.reason}:${failure.message}`;
    const last = this.lastFailure;
    if (last !== null && last.key === key) {
      last.repeats++;
      if (at - last.loggedAt < REPEAT_LOG_MS) return;
      last.loggedAt = at;
    } else {
      this.lastFailure = { key, loggedAt: at, repeats: 1 };
    }
    this.opts.logger.warn(
      {
        source: this.shownAs,
        kind: this.source,
        reason: failure.reason,
        err: failure.message,
        failures: this.lastFailure?.repeats ?? 1,
      },
      'telemetry poll failed; keeping last good data',
    );
  }
}
