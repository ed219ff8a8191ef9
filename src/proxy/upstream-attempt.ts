// One attempt of a proxied request: one dispatch to one backend, as undici's handler.
// It implements undici's controller API (onRequestStart, onResponseStart,
// onResponseData, onResponseEnd, onResponseError) and reports each event to the
// request that made it (ProxyCall), which decides what the event means for the client.
//
// The attempt keeps its own books and closes them exactly once, on undici's
// onResponseEnd or onResponseError, whatever the request has meanwhile become: the
// backend's and the load cell's in-flight counts, the retry-budget token it ran on,
// and the outcome that resilience judges the backend by.
//
// The retry-safety rule rests on one fact (see net/undici-errors.ts): undici calls
// onRequestStart once the connection is up, right before it writes the first byte of
// the request; a failure before it means nothing reached the backend. Tests pin that
// order against the undici in use.
import type { Dispatcher } from 'undici';
import { errorCodeOf, isUnsolicitedContinue, UNSOLICITED_CONTINUE } from '../net/undici-errors.js';
import type { DispatchSink, OutcomeSink, RefundSink } from '../resilience/outcome.js';
import type { RetryBudget } from '../resilience/retry-budget.js';
import { readLoadHeaders } from '../telemetry/in-band/load-headers.js';
import { type RateLimitReading, readRateLimits } from '../telemetry/in-band/rate-limits.js';
import { retryAfterMsOf } from './retry-policy.js';
import type { Backend, RegionTarget } from './upstream.js';

/** The request an attempt reports to. Every call names the attempt: a request ignores events of attempts it has left behind. */
export interface AttemptOwner {
  attemptStarted(attempt: UpstreamAttempt): void;
  attemptHead(attempt: UpstreamAttempt, status: number, rawHeaders: readonly Buffer[]): void;
  attemptData(attempt: UpstreamAttempt, chunk: Buffer): void;
  attemptEnded(attempt: UpstreamAttempt): void;
  attemptFailed(attempt: UpstreamAttempt, err: Error, code: string): void;
}

/** What an attempt needs of the router. */
export interface AttemptEnv {
  readonly now: () => number;
  readonly onOutcome: OutcomeSink | null;
  /** Charges quota windows as a request leaves (absent: no quota books). */
  readonly onDispatch?: DispatchSink | null;
  /** Takes the charge back when the region refuses the request. */
  readonly onRefused?: RefundSink | null;
  readonly retry: { readonly budget: RetryBudget };
}

/** Recorded as the attempt's error when the client went away first: not the backend's doing. */
export const CLIENT_CLOSED_CODE = 'ClientClosed';

export class UpstreamAttempt implements Dispatcher.DispatchHandler, RateLimitReading {
  /** The final status (0 until one arrives). */
  status = 0;
  /** undici has begun writing the request to the backend: from here on it may have it. */
  written = false;
  /** The backend began an answer (its first bytes arrived), final or not. */
  answering = false;
  /**
   * A 400 that says nothing of the backend's health: encrypted reasoning made in another
   * region, tried here because its home was unknown. Not reported to resilience.
   */
  unjudged400 = false;
  private retryAfterMs: number | null = null;
  /** The answer's x-ratelimit-* headers (-1: not sent); rateLimited says whether it sent any. */
  limitRequests = -1;
  remainingRequests = -1;
  limitTokens = -1;
  remainingTokens = -1;
  private rateLimited = false;
  private headersSeconds: number | null = null;
  private controller: Dispatcher.DispatchController | null = null;
  /** Set before undici's onRequestStart: abort as soon as there is something to abort. */
  private abortReason: Error | null = null;
  /** The client went away: the outcome is the client's, not the backend's. */
  private clientGone = false;
  private open = true;
  private readonly startedAt = performance.now();
  /** When it left (env.now()), and what its region's load cell charged for it (see LoadCell.add). */
  private readonly sentAtMs: number;
  private readonly charged: number;

  constructor(
    private readonly owner: AttemptOwner,
    private readonly env: AttemptEnv,
    private readonly model: string,
    readonly target: RegionTarget,
    readonly backend: Backend,
    /** The attempt runs on a retry-budget token, returned when it ends. */
    private readonly onToken: boolean,
    /** The request's token estimate (0: none made). */
    private readonly tokens: number,
  ) {
    backend.acquire();
    const now = env.now();
    this.sentAtMs = now;
    this.charged = target.load.add(tokens, now);
    env.onDispatch?.(model, target.region, tokens);
  }

  /**
   * The answer reported its usage (prompt + output tokens): a per-minute charge
   * becomes what the service counted rather than the estimate.
   */
  usageReported(tokens: number): void {
    this.target.load.correct(this.charged, tokens, this.sentAtMs, this.env.now());
  }

  get region(): string {
    return this.target.region;
  }

  /** Stops the attempt (undici then calls onResponseError); before onRequestStart, as soon as it comes. */
  abort(reason: Error): void {
    if (this.controller === null) this.abortReason ??= reason;
    else this.controller.abort(reason);
  }

  /** The client is gone: stop the attempt, and record it as the client's doing. */
  abortForClient(reason: Error): void {
    this.clientGone = true;
    this.abort(reason);
  }

  pause(): void {
    this.controller?.pause();
  }

  resume(): void {
    this.controller?.resume();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.written = true;
    this.controller = controller;
    if (this.abortReason !== null) {
      controller.abort(this.abortReason);
      return;
    }
    this.owner.attemptStarted(this);
  }

  onResponseStarted(): void {
    this.answering = true;
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, unknown>,
  ): void {
    // An interim answer (102, 103): the final one follows.
    if (statusCode < 200) return;
    this.status = statusCode;
    const raw = rawHeadersOf(controller, headers);
    const slot = this.target.inBand;
    if (slot !== null) readLoadHeaders(raw, slot, this.env.now());
    if (this.env.onDispatch != null) this.rateLimited = readRateLimits(raw, this);
    this.headersSeconds = (performance.now() - this.startedAt) / 1000;
    if (statusCode === 429 || statusCode === 503) this.retryAfterMs = retryAfterMsOf(raw, this.env.now());
    this.owner.attemptHead(this, statusCode, raw);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.owner.attemptData(this, chunk);
  }

  onResponseEnd(): void {
    if (!this.open) return;
    this.close(this.status, null);
    this.owner.attemptEnded(this);
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    if (!this.open) return;
    const code =
      this.status === 0 && this.answering && isUnsolicitedContinue(err) ? UNSOLICITED_CONTINUE : errorCodeOf(err);
    if (this.clientGone) this.close(0, CLIENT_CLOSED_CODE);
    else this.close(this.status, code);
    this.owner.attemptFailed(this, err, code);
  }

  /** Ends the books; the outcome goes to resilience unless it says nothing of the backend. */
  private close(status: number, errorCode: string | null): void {
    this.open = false;
    this.controller = null;
    this.backend.release();
    const load = this.target.load;
    load.release(this.charged);
    // The service charges a request it serves, not one it refuses or never got.
    if (status < 200 || status >= 300) {
      load.correct(this.charged, 0, this.sentAtMs, this.env.now());
      this.env.onRefused?.(this.model, this.target.region, this.tokens, this.sentAtMs);
    }
    if (this.onToken) this.env.retry.budget.release();
    if (errorCode === UNSOLICITED_CONTINUE) return;
    if (status === 400 && this.unjudged400) return;
    this.env.onOutcome?.(
      this.model,
      this.backend,
      status,
      errorCode,
      this.retryAfterMs,
      this.headersSeconds,
      this.written,
      this.rateLimited ? this : null,
    );
  }
}

/**
 * The answer's headers as undici read them off the wire (name, value, ...), which keeps
 * duplicates and the backend's spelling. undici's HTTP/1 client always provides them;
 * the parsed object is the fallback for a dispatcher that does not.
 */
function rawHeadersOf(controller: Dispatcher.DispatchController, parsed: Record<string, unknown>): readonly Buffer[] {
  const raw = controller.rawHeaders;
  if (Array.isArray(raw) && (raw.length === 0 || Buffer.isBuffer(raw[0]))) return raw as Buffer[];
  const out: Buffer[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    for (const v of Array.isArray(value) ? value : [value]) out.push(Buffer.from(name), Buffer.from(String(v)));
  }
  return out;
}
