// One proxied request: an undici dispatch handler that streams the upstream response
// straight into the client's ServerResponse, with backpressure both ways, and sends
// the request again (within the retry budget) when an attempt fails before anything
// reached the client.
//
// It implements undici's callback handler (onConnect/onHeaders/onData/onComplete/
// onError) because that is what undici 7's core calls; the newer controller API is
// adapted onto it by a wrapper that also parses headers into an object we don't need.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.js';
import type { DeploymentRuntime } from '../router/deployment-runtime.js';
import type { RetryBudget } from '../resilience/retry-budget.js';
import type { Backend, RegionUpstream } from './upstream.js';
import { redactUrl } from '../redact-url.js';
import { UNREACHABLE_RETRY_AFTER_S, attemptFailureOf } from './attempt-failure.js';
import type { DeadlineEntry, DeadlineList } from './deadline-list.js';
import { echoTarget } from './echo.js';
import { clientResponseHeaders } from './headers.js';
import { sendError, type RouterErrorCode } from './errors.js';
import { CONNECT_ERRORS, MAX_HELD_BODY_BYTES, isRetryableStatus, retryAfterMsOf } from './retry-policy.js';

/**
 * What the data plane learns from each attempt; resilience feeds on it. Positional
 * arguments, so reporting an attempt makes no object on the hot path.
 * status: HTTP status, or 0 when the attempt failed before a response.
 * headersSeconds: time to response headers, null without a response.
 * written: undici had begun writing the request to the backend (see attempt-failure.ts);
 * a failure before that is either a connect failure or no backend outcome at all.
 * Undefined (callers that cannot tell) judges a failure by its error code alone.
 */
export type OutcomeSink = (
  model: string,
  backend: Backend,
  status: number,
  errorCode: string | null,
  retryAfterMs: number | null,
  headersSeconds: number | null,
  written?: boolean,
) => void;

export interface ForwardEnv {
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly random: () => number;
  readonly now: () => number;
  readonly onOutcome: OutcomeSink | null;
  readonly retry: { readonly enabled: boolean; readonly maxAttempts: number; readonly budget: RetryBudget };
  readonly maxInFlightPerBackend: number;
  readonly shedRetryAfterS: number;
  /** log.requests: one line per answered request. */
  readonly accessLog: boolean;
  /** Requests in flight in the router (the retry budget is a share of them). */
  readonly requestsInFlight: () => number;
  /** Called once per request when it is over, whatever the outcome. */
  readonly onDone: () => void;
  /** Clients whose socket is full: cut when they drain nothing for limits.clientReadTimeoutMs. */
  readonly readStalls: DeadlineList;
}

function errorCodeOf(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : err.name;
}

function mapUpstreamError(code: string): RouterErrorCode {
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'UpstreamConnectTimeout';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'UpstreamTimeout';
  if (CONNECT_ERRORS.has(code)) return 'UpstreamUnavailable';
  return 'UpstreamError';
}

const CLIENT_CLOSED = 'client closed the connection';

// The response's listeners are module-level functions that find their call on the
// response: no closures per request.
const kCall = Symbol('switchyard.proxyCall');
type CallResponse = ServerResponse & { [kCall]?: ProxyCall };

function onResponseDrain(this: CallResponse): void {
  this[kCall]?.resume();
}

function onResponseClose(this: CallResponse): void {
  this[kCall]?.clientClosed();
}

export class ProxyCall implements Dispatcher.DispatchHandler, DeadlineEntry {
  deadlineAt = 0;
  deadlinePrev: DeadlineEntry | null = null;
  deadlineNext: DeadlineEntry | null = null;
  deadlineListed = false;
  private backend: Backend | null = null;
  private region: RegionUpstream | null = null;
  private abortUpstream: ((err?: Error) => void) | null = null;
  private resumeUpstream: (() => void) | null = null;
  private status = 0;
  private retryAfterMs: number | null = null;
  private headersSeconds: number | null = null;
  private responded = false;
  /** The current attempt's request has begun to be written to its backend. */
  private written = false;
  private clientGone = false;
  private done = false;
  private attempts = 0;
  private attemptStart = 0;
  /** Regions already tried, made on the first retry only. */
  private tried: Set<string> | null = null;
  /** A retry budget token taken for the next attempt, not yet handed to it. */
  private pendingToken = false;
  /** The current attempt runs on a budget token (released when it ends). */
  private attemptIsRetry = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /** A 429/5xx answer held back while a retry is possible. */
  private held: { status: number; raw: Buffer[]; chunks: Buffer[]; bytes: number } | null = null;

  constructor(
    private readonly env: ForwardEnv,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly deployment: DeploymentRuntime,
    private readonly body: Buffer | null,
    private readonly headers: string[],
    private readonly startedAt: number,
  ) {
    (res as CallResponse)[kCall] = this;
    res.once('close', onResponseClose);
  }

  /** The client's socket drained: let undici read the upstream again. */
  resume(): void {
    this.env.readStalls.remove(this);
    this.resumeUpstream?.();
  }

  /**
   * The client drained nothing for limits.clientReadTimeoutMs. Closing its connection
   * runs the client-gone path: the upstream request is aborted and the slot freed.
   */
  onDeadline(): void {
    this.env.logger.debug(
      { deployment: this.deployment.name, region: this.region?.region ?? null, reason: 'client stopped reading' },
      'client disconnected',
    );
    this.res.destroy();
  }

  clientClosed(): void {
    if (this.res.writableFinished || this.done) return;
    this.clientGone = true;
    this.env.metrics.clientAborts.labels(this.deployment.name).inc();
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.dropPendingToken();
      this.finish(499);
      return;
    }
    // An abandoned generation keeps a GPU busy: stop it upstream too.
    this.abortUpstream?.(new Error(CLIENT_CLOSED));
  }

  start(region: RegionUpstream): void {
    const backend = region.pickBackend(this.env.now());
    const limit = this.env.maxInFlightPerBackend;
    if (limit > 0 && backend.inFlight >= limit) {
      this.shedAt(region);
      return;
    }
    this.region = region;
    this.backend = backend;
    this.attempts++;
    this.attemptIsRetry = this.pendingToken;
    this.pendingToken = false;
    this.status = 0;
    this.written = false;
    this.retryAfterMs = null;
    this.headersSeconds = null;
    this.abortUpstream = null;
    this.held = null;
    this.attemptStart = performance.now();
    backend.acquire();
    backend.pool.dispatch(
      {
        path: this.req.url ?? '/',
        method: this.req.method as Dispatcher.HttpMethod,
        headers: this.headers,
        body: this.body,
      },
      this,
    );
  }

  onConnect(abort: (err?: Error) => void): void {
    // undici calls this right before it writes the request: from here on, a failure
    // may follow a request the backend received.
    this.written = true;
    this.abortUpstream = abort;
    if (this.clientGone) abort(new Error(CLIENT_CLOSED));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.resumeUpstream = resume;
    this.headersSeconds = (performance.now() - this.attemptStart) / 1000;
    if (statusCode === 429 || statusCode === 503) this.retryAfterMs = retryAfterMsOf(rawHeaders, this.env.now());
    if (this.clientGone) return false;
    if (isRetryableStatus(statusCode) && this.mayRetry()) {
      this.held = { status: statusCode, raw: rawHeaders, chunks: [], bytes: 0 };
      return true;
    }
    try {
      this.res.writeHead(statusCode, clientResponseHeaders(rawHeaders, (this.region as RegionUpstream).region));
    } catch (err) {
      // Node refuses a header it cannot send (e.g. a control character): the upstream
      // answer cannot be relayed, so the client gets a clear 502 instead.
      this.abortUpstream?.(err as Error);
      this.env.logger.warn(
        {
          deployment: this.deployment.name,
          region: this.region?.region,
          err: (err as Error).message,
          reason: 'unrelayable response headers',
        },
        'upstream error',
      );
      return false;
    }
    this.responded = true;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.clientGone) return false;
    const held = this.held;
    if (held !== null) {
      if (held.bytes + chunk.length <= MAX_HELD_BODY_BYTES) {
        held.chunks.push(chunk);
        held.bytes += chunk.length;
        return true;
      }
      // Too large to hold: give up the retry and relay the answer as it comes, so that
      // an endless error body can neither fill memory nor keep the client waiting.
      if (!this.relayHeld(held)) return false;
    }
    const ok = this.res.write(chunk);
    if (!ok) {
      this.res.once('drain', onResponseDrain);
      this.env.readStalls.add(this, performance.now());
    }
    return ok;
  }

  /** Sends a held answer's head and body so far; false when the client is gone. */
  private relayHeld(held: { status: number; raw: Buffer[]; chunks: Buffer[] }): boolean {
    this.held = null;
    this.dropPendingToken();
    try {
      this.res.writeHead(held.status, clientResponseHeaders(held.raw, (this.region as RegionUpstream).region));
    } catch (err) {
      this.abortUpstream?.(err as Error);
      return false;
    }
    this.responded = true;
    for (const c of held.chunks) this.res.write(c);
    return true;
  }

  onComplete(): void {
    this.finishAttempt(this.status, null);
    if (this.held !== null) {
      this.retryLater(`status-${this.status}`);
      return;
    }
    this.res.end();
    this.finish(this.status);
  }

  onError(err: Error): void {
    const code = errorCodeOf(err);
    if (this.clientGone) {
      this.finishAttempt(0, 'ClientClosed');
      this.dropPendingToken();
      this.finish(499);
      return;
    }
    this.finishAttempt(this.status, code);
    const region = this.region as RegionUpstream;
    const failure = attemptFailureOf(code, this.written);
    if (this.responded) {
      // Headers are out: the only honest signal left is a broken stream.
      this.env.logger.warn(
        {
          deployment: this.deployment.name,
          region: region.region,
          backend: this.backend?.url,
          err: code,
          reason: 'upstream failed mid-response',
        },
        'upstream error',
      );
      this.res.destroy(err);
      this.finish(this.status);
      return;
    }
    if (failure === 'refused-request' || failure === 'not-sent') {
      // No backend saw anything: not an upstream error, and for a refused request the
      // client's to fix.
      this.held = null;
      this.dropPendingToken();
      const refused = failure === 'refused-request';
      this.env.logger.debug(
        { deployment: this.deployment.name, region: region.region, err: code, reason: 'request not sent' },
        'upstream request not sent',
      );
      this.finish(
        sendError(
          this.res,
          refused ? 'InvalidRequest' : 'UpstreamError',
          refused ? `the request cannot be forwarded: ${err.message}` : `the request was not sent: ${code}`,
        ),
      );
      return;
    }
    this.env.metrics.upstreamErrors.labels(region.region, code).inc();
    // Only a request that provably never reached a backend is sent again.
    if (this.held === null && failure === 'unreachable' && this.mayRetry()) {
      this.retryLater('connect-error');
      return;
    }
    this.held = null;
    this.dropPendingToken();
    if (failure === 'unreachable' && code !== 'UND_ERR_CONNECT_TIMEOUT') {
      this.unreachable(`region ${region.region} refused the connection (${code})`);
      return;
    }
    const routerCode = mapUpstreamError(code);
    this.env.logger.warn(
      {
        deployment: this.deployment.name,
        region: region.region,
        backend: this.backend?.url,
        err: code,
        status: routerCode,
      },
      'upstream request failed',
    );
    this.finish(sendError(this.res, routerCode, `upstream in region ${region.region} failed: ${code}`));
  }

  /** Takes a budget token for one more attempt, when one is allowed and useful. */
  private mayRetry(): boolean {
    const retry = this.env.retry;
    if (!retry.enabled || this.attempts >= retry.maxAttempts) return false;
    const tried = (this.tried ??= new Set()).add((this.region as RegionUpstream).region);
    const route = this.deployment.route;
    if (route === null || !route.hasOther(tried)) return false;
    if (!retry.budget.tryAcquire(this.env.requestsInFlight())) {
      this.env.metrics.retryBudgetExhausted.labels(this.deployment.name).inc();
      return false;
    }
    this.pendingToken = true;
    return true;
  }

  private retryLater(reason: string): void {
    const delay = this.env.retry.budget.backoffMs(this.attempts, this.env.random());
    if (delay <= 0) {
      this.retryNow(reason);
      return;
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.retryNow(reason);
    }, delay);
  }

  private retryNow(reason: string): void {
    if (this.clientGone) return;
    // The current route: a cooldown or ejection from the failed attempt counts already.
    const other = this.deployment.route?.pickOther(this.tried as Set<string>, this.env.random()) ?? null;
    if (other === null) {
      this.dropPendingToken();
      this.giveUp();
      return;
    }
    this.env.metrics.retries.labels(this.deployment.name, reason).inc();
    this.start(other);
  }

  /** No attempt left: the client gets the last upstream answer, or a router error. */
  private giveUp(): void {
    const held = this.held;
    const region = (this.region as RegionUpstream).region;
    if (held === null) {
      this.unreachable(`no region of the boundary could be reached (last: ${region})`);
      return;
    }
    this.held = null;
    const headers = clientResponseHeaders(held.raw, region);
    // The held body may have been cut at MAX_HELD_BODY_BYTES: let Node frame it anew.
    for (let i = headers.length - 2; i >= 0; i -= 2) {
      if ((headers[i] as string).toLowerCase() === 'content-length') headers.splice(i, 2);
    }
    this.responded = true;
    this.res.writeHead(held.status, headers);
    for (const chunk of held.chunks) this.res.write(chunk);
    this.res.end();
    this.finish(held.status);
  }

  /**
   * Every region tried refused the connection: nothing reached a backend, and no
   * eligible region can take the request now. The contract's answer for that is 503
   * with Retry-After, not a gateway error.
   */
  private unreachable(message: string): void {
    this.finish(sendError(this.res, 'NoRegionAvailable', message, UNREACHABLE_RETRY_AFTER_S));
  }

  private shedAt(region: RegionUpstream): void {
    (this.tried ??= new Set()).add(region.region);
    const other = this.deployment.route?.pickOther(this.tried, this.env.random()) ?? null;
    if (other !== null) {
      this.start(other);
      return;
    }
    this.dropPendingToken();
    this.env.metrics.shed.labels('backend').inc();
    this.region = region;
    this.finish(
      sendError(
        this.res,
        'Overloaded',
        `every backend of the boundary is at shedding.maxInFlightPerBackend (${this.env.maxInFlightPerBackend})`,
        this.env.shedRetryAfterS,
      ),
    );
  }

  private dropPendingToken(): void {
    if (this.pendingToken) {
      this.pendingToken = false;
      this.env.retry.budget.release();
    }
  }

  private finishAttempt(status: number, errorCode: string | null): void {
    const backend = this.backend as Backend;
    backend.release();
    if (this.attemptIsRetry) {
      this.attemptIsRetry = false;
      this.env.retry.budget.release();
    }
    this.env.onOutcome?.(
      this.deployment.topology.model,
      backend,
      status,
      errorCode,
      this.retryAfterMs,
      this.headersSeconds,
      this.written,
    );
  }

  private finish(status: number): void {
    if (this.done) return;
    this.done = true;
    this.env.readStalls.remove(this);
    this.res.removeListener('close', onResponseClose);
    const seconds = (performance.now() - this.startedAt) / 1000;
    const region = this.region;
    (region === null ? this.deployment.ownAnswers : this.deployment.statsFor(region.region)).record(status, seconds);
    if (this.env.accessLog) {
      this.env.logger.info(
        {
          deployment: this.deployment.name,
          region: region?.region ?? null,
          status,
          attempts: this.attempts,
          ms: Math.round(seconds * 1000),
          method: this.req.method,
          path: echoTarget(redactUrl(this.req.url ?? '')),
        },
        'request',
      );
    }
    this.env.onDone();
  }
}
