// One proxied request: an undici dispatch handler that streams the upstream response
// straight into the client's ServerResponse, with backpressure both ways, and sends
// the request again (within the retry budget) when an attempt fails before anything
// reached the client.
//
// It implements undici's callback handler (onConnect/onHeaders/onData/onComplete/
// onError) because that is what undici 7's core calls; the newer controller API is
// adapted onto it by a wrapper that also parses headers into an object we don't need.
//
// A request is in exactly one phase; every event handler starts from it:
//
//   phase        event                                        next
//   idle         start, a backend has room                    attempting (sent as that backend wants it)
//                start, every backend of the boundary shed    done       429 Overloaded
//   attempting   headers, retryable status, retry allowed     holding    (answer held back)
//                headers, otherwise                           streaming  (head sent)
//                headers that cannot be relayed               done       502 (upstream aborted)
//                error, backend unreachable, retry allowed    backoff
//                error, otherwise                             done       JSON error (503 if unreachable)
//   holding      chunk that fits the hold limit               holding
//                chunk over the hold limit                    streaming  (retry given up, answer relayed)
//                complete                                     backoff
//                error                                        done       JSON error
//   streaming    complete                                     done
//                error                                        done       client connection destroyed
//   backoff      timer, another region                        attempting
//                timer, none left                             done       held answer, or 503
//   any live     client closed, or stopped reading            aborting   (backoff: done 499 at once)
//   aborting     error or complete                            done       499
//
// Whatever the phase, an answer's load headers (rate limits, ORCA) are read into the
// region's in-band slot when its headers arrive; that records numbers and changes no
// phase.
//
// An attempt (one dispatch to one backend) ends with exactly one onComplete or onError
// from undici, whatever the request's phase; its books (backend and load counts, the
// retry token it ran on, the outcome for resilience) are closed there and only there.
//
// Relaying a chunk (streaming): the first goes through ServerResponse.write, which
// sends the head with it. Node frames every later chunk of a chunked answer with four
// socket writes into a corked socket, uncorked on the next tick, then a writev: most
// of what a stream costs per chunk besides the system call itself. So a later chunk of
// a chunked answer, while this response owns its socket and Node holds nothing back
// for it, is framed here into one buffer and written to the socket itself (see
// writeBody and chunk-relay.ts): at once, or gathered with the other chunks of the same
// upstream read when a stream's chunks come in bunches. Backpressure is the socket's
// then (its 'drain'). The stream's closing event (`data: [DONE]`) still goes through
// Node, so that it leaves with the end of the body in one write.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { Metrics } from '../metrics/metrics.js';
import { errorCodeOf, isTimeoutError, UNREACHABLE_RETRY_AFTER_S, attemptFailureOf } from '../net/undici-errors.js';
import { redactUrl } from '../net/redact-url.js';
import type { OutcomeSink } from '../resilience/outcome.js';
import type { RetryBudget } from '../resilience/retry-budget.js';
import type { DeadlineEntry, DeadlineList } from './deadline-list.js';
import type { DeploymentRuntime } from './deployment-runtime.js';
import { echoTarget } from './echo.js';
import { type RouterErrorCode, sendError } from './errors.js';
import { clientResponseHeaders } from './headers.js';
import { closesStream, framed, MAX_FRAMED_BYTES, RelayBatching } from './chunk-relay.js';
import { readLoadHeaders } from '../telemetry/in-band/load-headers.js';
import { MAX_HELD_BODY_BYTES, isRetryableStatus, retryAfterMsOf } from './retry-policy.js';
import type { Backend, RegionTarget } from './upstream.js';

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

export type Phase = 'idle' | 'attempting' | 'holding' | 'streaming' | 'backoff' | 'aborting' | 'done';

/** A 429/5xx answer held back while a retry is possible; never more than MAX_HELD_BODY_BYTES. */
interface HeldAnswer {
  readonly status: number;
  readonly raw: Buffer[];
  readonly chunks: Buffer[];
  bytes: number;
}

function mapUpstreamError(code: string, unreachable: boolean): RouterErrorCode {
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'UpstreamConnectTimeout';
  if (isTimeoutError(code)) return 'UpstreamTimeout';
  if (unreachable) return 'UpstreamUnavailable';
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

/** What writeBody reads of Node's ServerResponse and socket (fields Node has long had; absent: Node's path). */
type RelayResponse = ServerResponse & { readonly chunkedEncoding?: boolean; readonly outputData?: unknown[] };
type RelaySocket = Socket & { readonly _httpMessage?: unknown; [kCall]?: ProxyCall | null };

function onSocketDrain(this: RelaySocket): void {
  const call = this[kCall];
  this[kCall] = null;
  call?.resume();
}

function onResponseClose(this: CallResponse): void {
  this[kCall]?.clientClosed();
}

function onRetryTimer(call: ProxyCall, reason: string): void {
  call.retryNow(reason);
}

export class ProxyCall implements Dispatcher.DispatchHandler, DeadlineEntry {
  deadlineAt = 0;
  deadlinePrev: DeadlineEntry | null = null;
  deadlineNext: DeadlineEntry | null = null;
  deadlineListed = false;

  private phase: Phase = 'idle';
  /** The region answering (or last asked); null until the first attempt, or when shed at once. */
  private target: RegionTarget | null = null;
  private backend: Backend | null = null;
  // The current attempt, reset by start().
  private abortUpstream: ((err?: Error) => void) | null = null;
  private resumeUpstream: (() => void) | null = null;
  private status = 0;
  private retryAfterMs: number | null = null;
  private headersSeconds: number | null = null;
  /** undici has begun writing the request to the backend (see net/undici-errors.ts). */
  private written = false;
  private attemptStart = 0;
  /** Between start() and undici's onComplete/onError: an attempt ends once, whatever a dispatcher does. */
  private attemptOpen = false;
  private held: HeldAnswer | null = null;
  // The request as a whole.
  private attempts = 0;
  private firstByteSent = false;
  /** Regions already tried, made on the first retry only. */
  private tried: Set<string> | null = null;
  /** A retry budget token taken for the next attempt; it passes to that attempt when it starts. */
  private reservedToken = false;
  /** The current attempt runs on a budget token, released when the attempt ends. */
  private attemptToken = false;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Waiting for 'drain' of the client's response or of its socket (chunks written to it directly). */
  private drainOn: 'response' | RelaySocket | null = null;
  /** Made at the first chunk written to the socket directly. */
  private batching: RelayBatching | null = null;

  constructor(
    private readonly env: ForwardEnv,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly deployment: DeploymentRuntime,
    private readonly body: Buffer | null,
    private readonly headers: string[],
    private readonly startedAt: number,
    /** Byte range of the body's "model" value when the body named the deployment; -1 when the path did. */
    private readonly modelStart = -1,
    private readonly modelEnd = -1,
  ) {
    (res as CallResponse)[kCall] = this;
    res.once('close', onResponseClose);
  }

  /** For tests and logs: where the request is in its life. */
  get currentPhase(): Phase {
    return this.phase;
  }

  /** The client's socket drained: let undici read the upstream again. */
  resume(): void {
    this.drainOn = null;
    this.env.readStalls.remove(this);
    this.resumeUpstream?.();
  }

  /**
   * The client drained nothing for limits.clientReadTimeoutMs. Closing its connection
   * runs the client-gone path: the upstream request is aborted and the slot freed.
   */
  onDeadline(): void {
    this.env.logger.debug(
      { deployment: this.deployment.name, region: this.target?.region ?? null, reason: 'client stopped reading' },
      'client disconnected',
    );
    this.res.destroy();
  }

  clientClosed(): void {
    if (this.phase === 'done' || this.phase === 'aborting' || this.res.writableFinished) return;
    this.env.metrics.clientAborts.labels(this.deployment.name).inc();
    if (this.phase === 'backoff') {
      // No attempt is running: nothing to abort upstream.
      if (this.retryTimer !== null) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.finish(499);
      return;
    }
    this.phase = 'aborting';
    // An abandoned generation keeps a GPU busy: stop it upstream too. Before onConnect
    // there is nothing to abort yet; onConnect does it.
    this.abortUpstream?.(new Error(CLIENT_CLOSED));
  }

  /** Sends the request to a region (the first attempt, or a retry). */
  start(target: RegionTarget): void {
    const backend = target.upstream.pickBackend(this.env.now());
    const limit = this.env.maxInFlightPerBackend;
    if (limit > 0 && backend.inFlight >= limit) {
      this.shedAt(target);
      return;
    }
    this.phase = 'attempting';
    this.target = target;
    this.backend = backend;
    this.attempts++;
    if (this.attempts === 1) this.env.retry.budget.requests++;
    this.attemptToken = this.reservedToken;
    this.reservedToken = false;
    this.status = 0;
    this.written = false;
    this.retryAfterMs = null;
    this.headersSeconds = null;
    this.abortUpstream = null;
    this.resumeUpstream = null;
    this.held = null;
    this.attemptStart = performance.now();
    this.attemptOpen = true;
    backend.acquire();
    target.load.inFlight++;
    const path = this.req.url ?? '/';
    const settings = backend.settings;
    if (settings === null) {
      backend.pool.dispatch(
        { path, method: this.req.method as Dispatcher.HttpMethod, headers: this.headers, body: this.body },
        this,
      );
      return;
    }
    // Each attempt starts from the client's request: a retry to another backend gets
    // that backend's headers and names, never the previous one's.
    const own = settings.apply(this.deployment.name, path, this.headers, this.body, this.modelStart, this.modelEnd);
    backend.pool.dispatch(
      { path: own.path, method: this.req.method as Dispatcher.HttpMethod, headers: own.headers, body: own.body },
      this,
    );
  }

  onConnect(abort: (err?: Error) => void): void {
    // undici calls this right before it writes the request: from here on, a failure
    // may follow a request the backend received.
    this.written = true;
    this.abortUpstream = abort;
    if (this.phase === 'aborting' || this.phase === 'done') abort(new Error(CLIENT_CLOSED));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true;
    this.status = statusCode;
    const slot = (this.target as RegionTarget).inBand;
    if (slot !== null) readLoadHeaders(rawHeaders, slot, this.env.now());
    this.resumeUpstream = resume;
    this.headersSeconds = (performance.now() - this.attemptStart) / 1000;
    if (statusCode === 429 || statusCode === 503) this.retryAfterMs = retryAfterMsOf(rawHeaders, this.env.now());
    if (this.phase !== 'attempting') return false;
    if (isRetryableStatus(statusCode) && this.reserveRetry(true)) {
      this.phase = 'holding';
      this.held = { status: statusCode, raw: rawHeaders, chunks: [], bytes: 0 };
      return true;
    }
    return this.sendHead(statusCode, rawHeaders);
  }

  onData(chunk: Buffer): boolean {
    if (this.phase === 'holding') {
      const held = this.held as HeldAnswer;
      if (held.bytes + chunk.length <= MAX_HELD_BODY_BYTES) {
        held.chunks.push(chunk);
        held.bytes += chunk.length;
        return true;
      }
      // Too large to hold: give up the retry and relay the answer as it comes, so that
      // an endless error body can neither fill memory nor keep the client waiting.
      this.held = null;
      this.releaseReservedToken();
      if (!this.sendHead(held.status, held.raw)) return false;
      for (const c of held.chunks) this.writeBody(c);
    }
    if (this.phase !== 'streaming') return false;
    return this.writeBody(chunk);
  }

  onComplete(): void {
    if (!this.attemptOpen) return;
    this.endAttempt(this.status, null);
    switch (this.phase) {
      case 'holding':
        this.phase = 'backoff';
        this.retrySoon(`status-${this.status}`);
        return;
      case 'streaming':
        this.res.end();
        this.finish(this.status);
        return;
      case 'aborting':
        this.finish(499);
        return;
      default:
        // done: the router already answered (headers it could not relay).
        return;
    }
  }

  onError(err: Error): void {
    if (!this.attemptOpen) return;
    const code = errorCodeOf(err);
    const phase = this.phase;
    if (phase === 'aborting') {
      this.endAttempt(0, 'ClientClosed');
      this.finish(499);
      return;
    }
    this.endAttempt(this.status, code);
    if (phase === 'done') return;
    const region = (this.target as RegionTarget).region;
    if (phase === 'streaming') {
      // Headers are out: the only honest signal left is a broken stream.
      this.env.logger.warn(
        {
          deployment: this.deployment.name,
          region,
          backend: this.backend?.url,
          code,
          err,
          reason: 'upstream failed mid-response',
        },
        'upstream error',
      );
      this.res.destroy(err);
      this.finish(this.status);
      return;
    }
    const failure = attemptFailureOf(code, this.written);
    if (failure === 'refused-request' || failure === 'not-sent') {
      // No backend saw anything: not an upstream error, and for a refused request the
      // client's to fix.
      this.env.logger.debug(
        { deployment: this.deployment.name, region, code, err, reason: 'request not sent' },
        'upstream request not sent',
      );
      const refused = failure === 'refused-request';
      this.answer(
        refused ? 'InvalidRequest' : 'UpstreamError',
        refused ? `the request cannot be forwarded: ${err.message}` : `the request was not sent: ${code}`,
      );
      return;
    }
    this.env.metrics.upstreamErrors.labels(region, code).inc();
    // Only a request that provably never reached a backend is sent again.
    if (phase === 'attempting' && failure === 'unreachable' && this.reserveRetry(false)) {
      this.phase = 'backoff';
      this.retrySoon('connect-error');
      return;
    }
    if (failure === 'unreachable' && code !== 'UND_ERR_CONNECT_TIMEOUT') {
      this.unreachable(`region ${region} could not be connected to (${code})`);
      return;
    }
    const routerCode = mapUpstreamError(code, failure === 'unreachable');
    this.env.logger.warn(
      { deployment: this.deployment.name, region, backend: this.backend?.url, code, err, status: routerCode },
      'upstream request failed',
    );
    this.answer(routerCode, `upstream in region ${region} failed: ${code}`);
  }

  /** Runs a retry after the jittered backoff (no timer when it is 0). Phase backoff. */
  private retrySoon(reason: string): void {
    const delay = this.env.retry.budget.backoffMs(this.attempts, this.env.random());
    if (delay <= 0) {
      this.retryNow(reason);
      return;
    }
    this.retryTimer = setTimeout(onRetryTimer, delay, this, reason);
  }

  /** The backoff is over: another region, or the last answer. (Called by the retry timer.) */
  retryNow(reason: string): void {
    this.retryTimer = null;
    if (this.phase !== 'backoff') return;
    // The current route: a cooldown or ejection from the failed attempt counts already.
    const other = this.deployment.route?.pickOther(this.tried as Set<string>, this.env.random) ?? null;
    if (other === null) {
      this.giveUp();
      return;
    }
    this.env.metrics.retries.labels(this.deployment.name, reason).inc();
    this.start(other);
  }

  /** No attempt left: the client gets the held upstream answer, or a 503. */
  private giveUp(): void {
    const held = this.held;
    this.held = null;
    if (held === null) {
      this.unreachable(`no region of the boundary could be reached (last: ${this.target?.region ?? 'none'})`);
      return;
    }
    // Held answers are whole (an answer too large to hold is relayed instead), so their
    // own framing, Content-Length included, still holds.
    if (!this.sendHead(held.status, held.raw)) return;
    for (const chunk of held.chunks) this.writeBody(chunk);
    this.res.end();
    this.finish(held.status);
  }

  /**
   * Sends the upstream's status and headers. Node refuses a header it cannot send (a
   * control character, say): then the answer cannot be relayed, the client gets a 502,
   * and the upstream request is stopped. False in that case.
   */
  private sendHead(status: number, raw: Buffer[]): boolean {
    const region = (this.target as RegionTarget).region;
    try {
      this.res.writeHead(status, clientResponseHeaders(raw, region));
    } catch (err) {
      this.env.logger.warn(
        {
          deployment: this.deployment.name,
          region,
          err,
          reason: 'unrelayable response headers',
        },
        'upstream error',
      );
      this.answer('UpstreamError', `the answer of region ${region} cannot be relayed: ${(err as Error).message}`);
      this.abortUpstream?.(err as Error);
      return false;
    }
    this.phase = 'streaming';
    return true;
  }

  private writeBody(chunk: Buffer): boolean {
    const res = this.res as RelayResponse;
    if (this.firstByteSent) {
      const socket = res.socket as RelaySocket | null | undefined;
      if (
        res.chunkedEncoding === true &&
        socket != null &&
        socket._httpMessage === res &&
        res.outputData?.length === 0 &&
        socket.writable &&
        chunk.length <= MAX_FRAMED_BYTES &&
        chunk.length > 0 &&
        !closesStream(chunk)
      ) {
        (this.batching ??= new RelayBatching()).beforeWrite(socket);
        const ok = socket.write(framed(chunk));
        if (!ok && this.drainOn === null) {
          this.drainOn = socket;
          socket[kCall] = this;
          socket.once('drain', onSocketDrain);
          this.env.readStalls.add(this, performance.now());
        }
        return ok;
      }
    } else {
      this.firstByteSent = true;
      const region = (this.target as RegionTarget).region;
      this.deployment.statsFor(region).firstByte.observe((performance.now() - this.startedAt) / 1000);
    }
    const ok = res.write(chunk);
    if (!ok && this.drainOn === null) {
      this.drainOn = 'response';
      res.once('drain', onResponseDrain);
      this.env.readStalls.add(this, performance.now());
    }
    return ok;
  }

  /**
   * Takes a budget token for one more attempt, when one is allowed and useful.
   * answered: the failed attempt reached its backend (see RetryBudget).
   */
  private reserveRetry(answered: boolean): boolean {
    const retry = this.env.retry;
    if (!retry.enabled || this.attempts >= retry.maxAttempts) return false;
    const tried = (this.tried ??= new Set()).add((this.target as RegionTarget).region);
    const route = this.deployment.route;
    if (route === null || !route.hasOther(tried)) return false;
    if (!retry.budget.tryAcquire(this.env.requestsInFlight(), answered)) {
      this.env.metrics.retryBudgetExhausted.labels(this.deployment.name).inc();
      return false;
    }
    this.reservedToken = true;
    return true;
  }

  /** Idempotent: a reserved token no attempt will use goes back to the budget. */
  private releaseReservedToken(): void {
    if (!this.reservedToken) return;
    this.reservedToken = false;
    this.env.retry.budget.release();
  }

  /**
   * No region tried could be connected to: nothing reached a backend, and no
   * eligible region can take the request now. The contract's answer for that is 503
   * with Retry-After, not a gateway error.
   */
  private unreachable(message: string): void {
    this.answer('NoRegionAvailable', message, UNREACHABLE_RETRY_AFTER_S);
  }

  private shedAt(target: RegionTarget): void {
    (this.tried ??= new Set()).add(target.region);
    const other = this.deployment.route?.pickOther(this.tried, this.env.random) ?? null;
    if (other !== null) {
      this.start(other);
      return;
    }
    this.env.metrics.shed.labels('backend').inc();
    this.target = target;
    this.answer(
      'Overloaded',
      `every backend of the boundary is at shedding.maxInFlightPerBackend (${this.env.maxInFlightPerBackend})`,
      this.env.shedRetryAfterS,
    );
  }

  /** The router's own answer (a JSON error), which ends the request. */
  private answer(code: RouterErrorCode, message: string, retryAfterS: number | null = null): void {
    this.held = null;
    this.finish(sendError(this.res, code, message, retryAfterS));
  }

  /** Closes the books of the attempt undici has just ended. Called once per attempt. */
  private endAttempt(status: number, errorCode: string | null): void {
    this.attemptOpen = false;
    const backend = this.backend as Backend;
    backend.release();
    (this.target as RegionTarget).load.inFlight--;
    if (this.attemptToken) {
      this.attemptToken = false;
      this.env.retry.budget.release();
    }
    this.abortUpstream = null;
    this.resumeUpstream = null;
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

  /** Ends the request once: counts it, logs it, and gives its slot back. */
  private finish(status: number): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.releaseReservedToken();
    this.env.readStalls.remove(this);
    this.res.removeListener('close', onResponseClose);
    const drainOn = this.drainOn;
    if (drainOn !== null) {
      this.drainOn = null;
      // The socket outlives the request (keep-alive): nothing of this call stays on it.
      if (drainOn === 'response') this.res.removeListener('drain', onResponseDrain);
      else {
        drainOn.removeListener('drain', onSocketDrain);
        drainOn[kCall] = null;
      }
    }
    const seconds = (performance.now() - this.startedAt) / 1000;
    const region = this.target;
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
