// Polls the telemetry source on an interval, one poll at a time: the next starts an
// interval after the previous one started, or at once if it overran. A poll that fails
// in any way keeps the last good data in the store; it is logged and counted, never
// thrown.
import { Client, type Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.js';
import { redactUrl } from '../net/redact-url.js';
import { MalformedTelemetryError, parseTelemetryBody } from './parse.js';
import { readLimitedText } from './read-limited.js';
import type { TelemetryStore } from './store.js';
// While a failure repeats, say so at most this often instead of every interval.
const REPEAT_LOG_MS = 30_000;

export interface PollerOptions {
  readonly url: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Bytes of body read at most; counted while reading, whatever Content-Length says. */
  readonly maxBodyBytes: number;
  readonly store: TelemetryStore;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly now: () => number;
  /** After every poll, successful or not: the router rebuilds its plans. */
  readonly onPolled: () => void;
}

type FailureReason = 'connect' | 'timeout' | 'http_status' | 'malformed' | 'too_large';

class PollFailure extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
  }
}

export class TelemetryPoller {
  private readonly client: Client;
  private readonly path: string;
  /** The source as logs show it: credentials and token-like query values redacted. */
  private readonly source: string;
  private timer: NodeJS.Timeout | null = null;
  private inFlight: AbortController | null = null;
  private stopped = false;
  private lastFailure: { key: string; loggedAt: number; repeats: number } | null = null;
  private lastRejectLogAt = -Infinity;

  constructor(private readonly opts: PollerOptions) {
    const url = new URL(opts.url);
    this.client = new Client(url.origin, {
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      connectTimeout: opts.timeoutMs,
    });
    this.path = url.pathname + url.search;
    this.source = redactUrl(opts.url);
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.inFlight?.abort();
    await this.client.destroy();
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
    metrics.polls.inc();
    try {
      const text = await this.fetchText();
      const receivedAt = now();
      const parsed = parseTelemetryBody(text, receivedAt);
      const result = store.recordSuccess(parsed.reports, receivedAt);
      if (result.ignored > 0) metrics.reportsIgnored.inc(result.ignored);
      for (const r of parsed.rejected) metrics.reportsRejected.labels(r.reason).inc();
      if (parsed.rejected.length > 0 && receivedAt - this.lastRejectLogAt >= REPEAT_LOG_MS) {
        this.lastRejectLogAt = receivedAt;
        this.opts.logger.warn(
          {
            source: this.source,
            rejected: parsed.rejected.length,
            examples: parsed.rejected.slice(0, 3),
            reason: 'invalid report',
          },
          'telemetry reports rejected',
        );
      }
      if (this.lastFailure !== null) {
        this.opts.logger.info({ source: this.source, failures: this.lastFailure.repeats }, 'telemetry polls recovered');
        this.lastFailure = null;
      }
    } catch (err) {
      if (this.stopped) return;
      const failure =
        err instanceof PollFailure
          ? err
          : new PollFailure('malformed', err instanceof MalformedTelemetryError ? err.message : String(err));
      store.recordFailure(`${failure.reason}: ${failure.message}`, now());
      metrics.pollFailures.labels(failure.reason).inc();
      this.logFailure(failure);
    }
  }

  private async fetchText(): Promise<string> {
    const controller = new AbortController();
    this.inFlight = controller;
    const deadline = setTimeout(() => controller.abort(), this.opts.timeoutMs);
    try {
      let res: Dispatcher.ResponseData;
      try {
        res = await this.client.request({
          path: this.path,
          method: 'GET',
          signal: controller.signal,
          headers: { accept: 'application/json' },
        });
      } catch (err) {
        throw this.transportFailure(err as Error, controller);
      }
      if (res.statusCode < 200 || res.statusCode >= 300) {
        await res.body.dump();
        throw new PollFailure('http_status', `telemetry source answered HTTP ${res.statusCode}`);
      }
      const limit = this.opts.maxBodyBytes;
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > limit) {
        res.body.destroy();
        throw new PollFailure(
          'too_large',
          `telemetry body of ${declared} bytes exceeds telemetry.maxBodyBytes ${limit}`,
        );
      }
      let read: Awaited<ReturnType<typeof readLimitedText>>;
      try {
        read = await readLimitedText(res.body, limit);
      } catch (err) {
        throw this.transportFailure(err as Error, controller);
      }
      if (!read.ok) throw new PollFailure('too_large', `telemetry body exceeds telemetry.maxBodyBytes ${limit}`);
      return read.text;
    } catch (err) {
      if (err instanceof PollFailure) throw err;
      throw new PollFailure('malformed', (err as Error).message);
    } finally {
      clearTimeout(deadline);
      this.inFlight = null;
    }
  }

  private transportFailure(err: Error, controller: AbortController): PollFailure {
    const code = (err as { code?: string }).code ?? err.name;
    if (
      controller.signal.aborted ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT' ||
      code === 'UND_ERR_CONNECT_TIMEOUT'
    ) {
      return new PollFailure('timeout', `no answer within ${this.opts.timeoutMs} ms`);
    }
    return new PollFailure('connect', `${code}: ${err.message}`);
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
      { source: this.source, reason: failure.reason, err: failure.message, failures: this.lastFailure?.repeats ?? 1 },
      'telemetry poll failed; keeping last good data',
    );
  }
}
