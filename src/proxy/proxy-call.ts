// One proxied request: its life from the first attempt to the answer the client gets.
// It sends the request to a region (an UpstreamAttempt, undici's handler), relays the
// answer through a ClientWriter with backpressure both ways, and sends the request
// again (within the retry budget) when an attempt fails before anything reached the
// client. Its books: the retry side in RetryBooks, a held-back answer in HeldAnswer.
//
// A request is in exactly one phase, and the phase's type says what exists in it (the
// running attempt, the held answer, the backoff timer). Every event starts from it:
//
//   phase        event                                        next
//   idle         start, a backend has room                    attempting (sent as that backend wants it)
//                start, every backend of the boundary shed    waiting    (when it may wait; else 429 Overloaded)
//                no region has room (admission)               waiting
//   waiting      dispatch (a region has room)                 attempting
//                deadline, eviction, shutdown                 done       the router's answer (429, 503)
//   attempting   head, retryable status, retry allowed        holding    (answer held back)
//                head 400, trial with a region left           holding    (maybe another region's content)
//                head, 400 from a suspect region, retry allowed holding   (once per request)
//                head, 429, may wait again                    holding    (answer held back)
//                head, otherwise                              streaming  (head sent)
//                head that cannot be relayed                  done       502 (upstream aborted)
//                error, backend unreachable, retry allowed    backoff
//                error, otherwise                             done       JSON error (503 if unreachable)
//   holding      chunk that fits the hold limit               holding
//                chunk over the hold limit                    streaming  (retry given up, answer relayed)
//                end, a retry reserved                        backoff
//                end of a trial's 400, foreign content        attempting (the next region, at once)
//                end, a 429 that may wait again               waiting
//                end, otherwise                               done       the held answer
//                error                                        done       JSON error
//   streaming    end                                          done
//                error                                        done       client connection destroyed
//   backoff      timer, another region                        attempting
//                timer, none left, 429 and may wait           waiting
//                timer, none left                             done       held answer, or 503
//   any live     client closed, or stopped reading            aborting   (backoff, waiting: done 499 at once)
//   aborting     error or end                                 done       499
//
// Events of an attempt the request has left (it answered the client itself meanwhile)
// are ignored: the attempt closes its own books whatever the phase.
//
// A request bound to stored state (ClientRequest.home) never changes region: "another
// region" is its home again (retries and budget as for any request), and where others
// would get 503 NoRegionAvailable it gets 503 HomeRegionUnavailable.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { Metrics } from '../metrics/metrics.js';
import type { TokenCounts } from '../metrics/token-series.js';
import type { GenAiTelemetry } from '../otel/gen-ai-telemetry.js';
import { RequestTrace } from '../otel/request-trace.js';
import { redactUrl } from '../net/redact-url.js';
import {
  attemptFailureOf,
  isTimeoutError,
  UNREACHABLE_RETRY_AFTER_S,
  UNSOLICITED_CONTINUE,
} from '../net/undici-errors.js';
import type { DispatchSink, OutcomeSink, RefundSink } from '../resilience/outcome.js';
import type { AnswerLearner } from './affinity/answer-learner.js';
import { ClientWriter, type WriterOwner } from './client-writer.js';
import type { DeadlineList } from './deadline-list.js';
import type { WaitingCall, WaitingPlace } from './deployment-admission.js';
import type { DeploymentRuntime } from './deployment-runtime.js';
import { echoTarget } from './echo.js';
import { type RouterErrorCode, sendError } from './errors.js';
import { clientResponseHeaders } from './headers.js';
import { HeldAnswer } from './held-answer.js';
import { RetryBooks, type RetryEnv } from './retry-books.js';
import { isRetryableStatus } from './retry-policy.js';
import { type AttemptOwner, UpstreamAttempt } from './upstream-attempt.js';
import { carriesUsage, type Usage, UsageScan } from './usage-scan.js';
import type { RegionTarget } from './upstream.js';

/**
 * Admission's side of a request that may wait for room (see admission-gate.ts; this
 * file knows it only by this interface).
 */
export interface AdmissionDesk {
  /** Every region refused the request: it waits again when it may (true), else false. */
  requeue(call: ProxyCall): boolean;
}

/** How many times a request may be sent from the queue (a request every region refuses comes back). */
export const MAX_QUEUE_DISPATCHES = 5;

export interface ForwardEnv {
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly random: () => number;
  readonly now: () => number;
  readonly onOutcome: OutcomeSink | null;
  readonly onDispatch?: DispatchSink | null;
  readonly onRefused?: RefundSink | null;
  /** Whether a request's tokens fit in the region's quota window (null: no tokens-per-minute limit configured). */
  readonly quotaFits?: ((model: string, region: string, tokens: number) => boolean) | null;
  readonly retry: RetryEnv;
  readonly maxInFlightPerBackend: number;
  readonly shedRetryAfterS: number;
  /** log.requests: one line per answered request. */
  readonly accessLog: boolean;
  /** Requests in flight in the router (the retry budget is a share of them). */
  readonly requestsInFlight: () => number;
  /** Called once per request when it is over, whatever the outcome (with its deployment, when known). */
  readonly onDone: (deployment: DeploymentRuntime | null) => void;
  readonly admission: AdmissionDesk;
  /** Whether a 400 from the region may be the region's fault (outlier.status400; see Resilience). */
  readonly suspect400: (model: string, region: string) => boolean;
  /** Clients whose socket is full: cut when they drain nothing for limits.clientReadTimeoutMs. */
  readonly readStalls: DeadlineList;
  /** OpenTelemetry export; null when it is off (the default). */
  readonly otel: GenAiTelemetry | null;
}

/** The request as it arrived, and what every attempt sends. */
export interface ClientRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly deployment: DeploymentRuntime;
  readonly body: Buffer | null;
  /** The headers every attempt starts from (a backend's own settings are applied per attempt). */
  readonly headers: string[];
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  /** Byte range of the body's "model" value when the body named the deployment; -1 when the path did. */
  readonly modelStart: number;
  readonly modelEnd: number;
  /** Admission: the request may wait for room (waiting is on, and it is not sheddable). */
  readonly canWait: boolean;
  readonly priority: number;
  readonly fairnessKey: string;
  /** When it must have left the queue (ms, env.now()'s clock). */
  readonly waitDeadlineMs: number;
  /**
   * Bound to stored state: the home region, the only one it may go to (a retry goes
   * there again; its failure is HomeRegionUnavailable). Null for every other request.
   */
  readonly home: RegionTarget | null;
  /** Learns the homes of the objects a successful answer names; null unless the request creates some. */
  readonly learner: AnswerLearner | null;
  /** Encrypted reasoning of unknown home: a 400 invalid_encrypted_content sends it to the next region. */
  readonly trial: boolean;
  /**
   * Its cost in tokens as the service charges it on arrival (prompt + most it may
   * answer, token-estimate.ts); 0 when the deployment needs no estimate.
   */
  readonly tokens: number;
}

/** A pinned request's retry budget check: its one region is always "another" try. */
const SAME_REGION = { hasOther: (): boolean => true };

/** The error code of the service's answer to encrypted content made in another region. */
const FOREIGN_SEALED = Buffer.from('invalid_encrypted_content');

type State =
  | { readonly phase: 'idle' }
  | { readonly phase: 'waiting'; readonly place: WaitingPlace }
  | { readonly phase: 'attempting'; readonly attempt: UpstreamAttempt }
  // retry: a retry was reserved for when the answer ends; without one the request may wait again.
  | { readonly phase: 'holding'; readonly attempt: UpstreamAttempt; readonly held: HeldAnswer; readonly retry: boolean }
  | { readonly phase: 'streaming'; readonly attempt: UpstreamAttempt }
  // held: the last attempt's answer held back, null when it failed without one.
  | { readonly phase: 'backoff'; readonly held: HeldAnswer | null; timer: NodeJS.Timeout | null }
  | { readonly phase: 'aborting'; readonly attempt: UpstreamAttempt }
  | { readonly phase: 'done' };
type Backoff = Extract<State, { phase: 'backoff' }>;
export type Phase = State['phase'];

const IDLE: State = { phase: 'idle' };
const DONE: State = { phase: 'done' };

const CLIENT_CLOSED = 'client closed the connection';

function mapUpstreamError(code: string, unreachable: boolean): RouterErrorCode {
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'UpstreamConnectTimeout';
  if (isTimeoutError(code)) return 'UpstreamTimeout';
  if (unreachable) return 'UpstreamUnavailable';
  return 'UpstreamError';
}

/** The attempt the request is waiting on, in the phases that have one. */
function runningAttempt(state: State): UpstreamAttempt | null {
  switch (state.phase) {
    case 'attempting':
    case 'holding':
    case 'streaming':
    case 'aborting':
      return state.attempt;
    default:
      return null;
  }
}

function onRetryTimer(call: ProxyCall, reason: string): void {
  call.retryNow(reason);
}

export class ProxyCall implements AttemptOwner, WriterOwner, WaitingCall {
  private state: State = IDLE;
  /** The region answering, or last asked (or shed); null before the first. */
  private region: RegionTarget | null = null;
  private readonly books: RetryBooks;
  private readonly writer: ClientWriter;
  /** Times the request was sent from the admission queue. */
  private queueDispatches = 0;
  /** A 400 from a suspect region was retried elsewhere (once per request). */
  private retried400 = false;
  /** When it first started waiting (ms, env.now()); -1 if it never did. */
  waitingSinceMs = -1;
  /** The end of a relayed 2xx JSON or SSE answer, for the usage it reports; null for any other. */
  private usage: UsageScan | null = null;
  /** The newest attempt: the usage its answer reports corrects its region's token books. */
  private lastAttempt: UpstreamAttempt | null = null;
  /** Its spans and GenAI metrics; null while OpenTelemetry is off. */
  private readonly trace: RequestTrace | null;

  constructor(
    private readonly env: ForwardEnv,
    private readonly request: ClientRequest,
  ) {
    this.books = new RetryBooks(env.retry);
    this.writer = new ClientWriter(this, request.res, env.readStalls);
    const otel = env.otel;
    this.trace =
      otel === null
        ? null
        : new RequestTrace(
            otel,
            request.req.headers,
            request.req.url ?? '/',
            request.deployment.name,
            request.startedAt,
          );
  }

  /** For tests and logs: where the request is in its life. */
  get currentPhase(): Phase {
    return this.state.phase;
  }

  get deployment(): DeploymentRuntime {
    return this.request.deployment;
  }

  get priority(): number {
    return this.request.priority;
  }

  get fairnessKey(): string {
    return this.request.fairnessKey;
  }

  get waitDeadlineMs(): number {
    return this.request.waitDeadlineMs;
  }

  /** Its token estimate (0 when none was made): admission sends it only where it fits. */
  get tokens(): number {
    return this.request.tokens;
  }

  get bodyBytes(): number {
    return this.request.body?.length ?? 0;
  }

  /** Admission holds the request (phase waiting) until dispatch() or refuse(). */
  wait(place: WaitingPlace): void {
    if (this.waitingSinceMs < 0) this.waitingSinceMs = this.env.now();
    this.trace?.waiting();
    // A retry token is not held while waiting: other requests' retries may use it.
    this.books.releaseReserved();
    this.state = { phase: 'waiting', place };
  }

  /** A region has room for a waiting request: it is sent there, every region triable again. */
  dispatch(target: RegionTarget): void {
    if (this.state.phase !== 'waiting') return;
    this.queueDispatches++;
    this.books.forgetTried();
    this.start(target, this.queueDispatches > 1 ? 'requeued' : null);
  }

  /** Admission answers a waiting request itself (deadline, eviction, shutdown). */
  refuse(code: RouterErrorCode, message: string, retryAfterS: number): void {
    if (this.state.phase !== 'waiting' && this.state.phase !== 'idle') return;
    this.answer(code, message, retryAfterS);
  }

  /** Whether the request may go back to the queue after every region refused it. */
  private mayWaitAgain(): boolean {
    const request = this.request;
    return request.canWait && this.queueDispatches < MAX_QUEUE_DISPATCHES && this.env.now() < request.waitDeadlineMs;
  }

  /** Sends the request to a region (the first attempt, or a retry for `reason`). */
  start(target: RegionTarget, reason: string | null = null): void {
    const env = this.env;
    const request = this.request;
    const fits = env.quotaFits;
    if (fits != null && request.tokens > 0 && request.home === null && reason !== 'quota-short') {
      if (!fits(request.deployment.topology.model, target.region, request.tokens)) {
        this.quotaShort(target);
        return;
      }
    }
    const backend = target.upstream.pickBackend(env.now());
    const limit = env.maxInFlightPerBackend;
    if (limit > 0 && backend.inFlight >= limit) {
      this.shedAt(target);
      return;
    }
    const deployment = request.deployment;
    this.region = target;
    const token = this.books.startAttempt();
    const attempt = new UpstreamAttempt(this, env, deployment.topology.model, target, backend, token, request.tokens);
    this.lastAttempt = attempt;
    // Set before dispatching: undici may report an error synchronously.
    this.state = { phase: 'attempting', attempt };
    const path = request.req.url ?? '/';
    const method = request.req.method as Dispatcher.HttpMethod;
    const settings = backend.settings;
    const trace = this.trace;
    const headers =
      trace === null ? request.headers : trace.attemptStarted(target.region, backend.url, reason, request.headers);
    if (settings === null) {
      backend.pool.dispatch({ path, method, headers, body: request.body }, attempt);
      return;
    }
    // Each attempt starts from the client's request: a retry to another backend gets
    // that backend's headers and names, never the previous one's.
    const own = settings.apply(deployment.name, path, headers, request.body, request.modelStart, request.modelEnd);
    backend.pool.dispatch({ path: own.path, method, headers: own.headers, body: own.body }, attempt);
  }

  // ---- Events of the attempt -------------------------------------------------------

  attemptStarted(attempt: UpstreamAttempt): void {
    // The client left (or the router answered) before undici had anything to abort.
    if (this.state.phase !== 'attempting' || runningAttempt(this.state) !== attempt) {
      attempt.abort(new Error(CLIENT_CLOSED));
    }
  }

  attemptHead(attempt: UpstreamAttempt, status: number, rawHeaders: readonly Buffer[]): void {
    const state = this.state;
    if (state.phase !== 'attempting' || state.attempt !== attempt) return;
    this.trace?.attemptHead(status);
    if (status === 400 && this.request.trial) {
      // Most likely another region's encrypted reasoning: the region is not at fault.
      attempt.unjudged400 = true;
      if (this.untriedRegion(attempt.region) !== null) {
        this.state = { phase: 'holding', attempt, held: new HeldAnswer(status, rawHeaders), retry: false };
        return;
      }
    } else if (status === 400 && this.retry400(attempt)) {
      this.state = { phase: 'holding', attempt, held: new HeldAnswer(status, rawHeaders), retry: true };
      return;
    }
    if (isRetryableStatus(status)) {
      const retry = this.reserveRetry(attempt, true);
      if (retry || (status === 429 && this.mayWaitAgain())) {
        this.state = { phase: 'holding', attempt, held: new HeldAnswer(status, rawHeaders), retry };
        return;
      }
    }
    this.sendHead(attempt, status, rawHeaders);
  }

  attemptData(attempt: UpstreamAttempt, chunk: Buffer): void {
    const state = this.state;
    if (runningAttempt(state) !== attempt) return;
    if (state.phase === 'holding') {
      const held = state.held;
      if (held.add(chunk)) return;
      // Too large to hold: give up the retry and relay the answer as it comes.
      this.books.releaseReserved();
      if (!this.sendHead(attempt, held.status, held.rawHeaders)) return;
      for (const c of held.chunks) this.relay(attempt, c);
      this.relay(attempt, chunk);
      return;
    }
    if (state.phase === 'streaming') this.relay(attempt, chunk);
  }

  attemptEnded(attempt: UpstreamAttempt): void {
    const state = this.state;
    if (runningAttempt(state) !== attempt) return;
    this.trace?.attemptEnded(null);
    switch (state.phase) {
      case 'holding':
        if (attempt.status === 400 && this.request.trial) this.tryNextRegion(state.held, attempt.region);
        else if (state.retry) this.backOff(state.held, `status-${attempt.status}`);
        else this.refused(state.held);
        return;
      case 'streaming':
        this.writer.end();
        this.finish(attempt.status);
        return;
      case 'aborting':
        this.finish(499);
        return;
      default:
        return;
    }
  }

  attemptFailed(attempt: UpstreamAttempt, err: Error, code: string): void {
    const state = this.state;
    if (runningAttempt(state) !== attempt) return;
    this.trace?.attemptEnded(code);
    const deployment = this.request.deployment.name;
    const region = attempt.region;
    if (state.phase === 'aborting') {
      this.finish(499);
      return;
    }
    if (state.phase === 'streaming') {
      // Headers are out: the only honest signal left is a broken stream.
      this.env.logger.warn(
        {
          deployment,
          region,
          backend: redactUrl(attempt.backend.url),
          code,
          err,
          reason: 'upstream failed mid-response',
        },
        'upstream error',
      );
      this.request.res.destroy(err);
      this.trace?.streamBroken(code);
      this.finish(attempt.status);
      return;
    }
    if (code === UNSOLICITED_CONTINUE) {
      this.env.metrics.upstreamErrors.labels(region, code).inc();
      this.env.logger.warn(
        { deployment, region, backend: redactUrl(attempt.backend.url), code, reason: 'unsolicited 100 Continue' },
        'upstream request failed',
      );
      this.answer(
        'UpstreamError',
        `region ${region} answered with an interim 100 Continue the request did not ask for, which the router cannot relay`,
      );
      return;
    }
    const failure = attemptFailureOf(code, attempt.written);
    if (failure === 'refused-request' || failure === 'not-sent') {
      // No backend saw anything: not an upstream error, and for a refused request the
      // client's to fix.
      this.env.logger.debug({ deployment, region, code, err, reason: 'request not sent' }, 'upstream request not sent');
      const refused = failure === 'refused-request';
      this.answer(
        refused ? 'InvalidRequest' : 'UpstreamError',
        refused ? `the request cannot be forwarded: ${err.message}` : `the request was not sent: ${code}`,
      );
      return;
    }
    this.env.metrics.upstreamErrors.labels(region, code).inc();
    // Only a request that provably never reached a backend is sent again.
    if (state.phase === 'attempting' && failure === 'unreachable' && this.reserveRetry(attempt, false)) {
      this.backOff(null, 'connect-error');
      return;
    }
    if (failure === 'unreachable' && code !== 'UND_ERR_CONNECT_TIMEOUT') {
      this.unreachable(`region ${region} could not be connected to (${code})`);
      return;
    }
    const routerCode = mapUpstreamError(code, failure === 'unreachable');
    this.env.logger.warn(
      { deployment, region, backend: redactUrl(attempt.backend.url), code, err, status: routerCode },
      'upstream request failed',
    );
    this.answer(routerCode, `upstream in region ${region} failed: ${code}`);
  }

  // ---- Events of the client ----------------------------------------------------------

  clientDrained(): void {
    const state = this.state;
    if (state.phase === 'streaming') state.attempt.resume();
  }

  clientClosed(): void {
    const state = this.state;
    if (state.phase === 'done' || state.phase === 'aborting') return;
    this.env.metrics.clientAborts.labels(this.request.deployment.name).inc();
    if (state.phase === 'idle') {
      this.finish(499);
      return;
    }
    if (state.phase === 'waiting') {
      // Nothing was sent upstream while it waited.
      state.place.withdraw();
      this.finish(499);
      return;
    }
    if (state.phase === 'backoff') {
      // No attempt is running: nothing to abort upstream.
      if (state.timer !== null) clearTimeout(state.timer);
      state.timer = null;
      this.finish(499);
      return;
    }
    // An abandoned generation keeps a GPU busy: stop it upstream too.
    this.state = { phase: 'aborting', attempt: state.attempt };
    state.attempt.abortForClient(new Error(CLIENT_CLOSED));
  }

  clientStalled(): void {
    this.env.logger.debug(
      {
        deployment: this.request.deployment.name,
        region: this.region?.region ?? null,
        reason: 'client stopped reading',
      },
      'client disconnected',
    );
  }

  // ---- Retries -----------------------------------------------------------------------

  /**
   * A 400 is the client's, except from a region whose 400s are anomalous against its
   * peers' but which is not ejected yet (a broken engine): then it is retried once in
   * another region of the boundary, within the budget. A 400 there too is relayed.
   */
  private retry400(attempt: UpstreamAttempt): boolean {
    const model = this.request.deployment.topology.model;
    // A request bound to stored state has one region: its 400 is the answer.
    if (this.retried400 || this.request.home !== null || !this.env.suspect400(model, attempt.region)) return false;
    // Not to another region whose 400s are suspect too: the same broken engine, likely.
    for (const region of this.request.deployment.route?.plan.routable ?? []) {
      if (region !== attempt.region && this.env.suspect400(model, region)) this.books.markTried(region);
    }
    if (!this.reserveRetry(attempt, true)) return false;
    this.retried400 = true;
    return true;
  }

  /** Takes a budget token for one more attempt, when one is allowed and useful. */
  private reserveRetry(attempt: UpstreamAttempt, answered: boolean): boolean {
    const deployment = this.request.deployment;
    const route = this.request.home === null ? deployment.route : SAME_REGION;
    const decision = this.books.reserve(attempt.region, route, this.env.requestsInFlight(), answered);
    if (decision === 'budget-exhausted') this.env.metrics.retryBudgetExhausted.labels(deployment.name).inc();
    return decision === 'reserved';
  }

  /** Phase backoff: a retry after the jittered backoff (at once when it is 0). */
  private backOff(held: HeldAnswer | null, reason: string): void {
    const state: Backoff = { phase: 'backoff', held, timer: null };
    this.state = state;
    const delay = this.env.retry.budget.backoffMs(this.books.attempts, this.env.random());
    if (delay <= 0) this.retryNow(reason);
    else state.timer = setTimeout(onRetryTimer, delay, this, reason);
  }

  /** The backoff is over: another region, or the last answer. (Called by the retry timer.) */
  retryNow(reason: string): void {
    const state = this.state;
    if (state.phase !== 'backoff') return;
    state.timer = null;
    // The current route: a cooldown or ejection from the failed attempt counts already.
    const deployment = this.request.deployment;
    const home = this.request.home;
    // A request refused for room that may wait is sent on only where there is room now;
    // sent where the estimate says there is none, it would most likely be refused again.
    const forRoom = state.held !== null && state.held.status === 429 && this.mayWaitAgain();
    const other = home !== null ? home : this.otherRegion(this.books.tried, forRoom);
    if (other === null) {
      this.refused(state.held);
      return;
    }
    this.env.metrics.retries.labels(deployment.name, reason).inc();
    this.start(other, reason);
  }

  /**
   * No region is left to try. When the last one said it is full (429), the request
   * waits for room again if it may, so that a burst becomes latency rather than client
   * retries; a failure (5xx) is no matter of room, and its answer goes out.
   */
  private refused(held: HeldAnswer | null): void {
    if (held !== null && held.status === 429 && this.mayWaitAgain() && this.env.admission.requeue(this)) return;
    this.giveUp(held);
  }

  /** No attempt left: the client gets the held upstream answer, or a 503. */
  private giveUp(held: HeldAnswer | null): void {
    if (held === null) {
      this.unreachable(`no region of the boundary could be reached (last: ${this.region?.region ?? 'none'})`);
      return;
    }
    // Held answers are whole (an answer too large to hold is relayed instead), so their
    // own framing, Content-Length included, still holds.
    const region = (this.region as RegionTarget).region;
    const failed = this.writer.head(held.status, clientResponseHeaders(held.rawHeaders, region));
    if (failed !== null) {
      this.unrelayable(region, failed);
      return;
    }
    this.observeFirstByte(region, held.chunks[0]);
    for (const chunk of held.chunks) this.writer.write(chunk);
    this.writer.end();
    this.finish(held.status);
  }

  /**
   * The region's quota window has no room for the request's tokens by the router's own
   * books (quota.limits): another region with room takes it; with none, it goes there
   * all the same (the estimate may be high, and the service decides), rather than
   * waiting on a window the router cannot see turn.
   */
  private quotaShort(target: RegionTarget): void {
    const other = this.otherRegion(this.books.markTried(target.region), true);
    const fits = this.env.quotaFits;
    const model = this.request.deployment.topology.model;
    if (other !== null && fits?.(model, other.region, this.request.tokens) === true) this.start(other, 'quota-short');
    else this.start(target, 'quota-short');
  }

  /**
   * A region of the route not in `tried`, for the request's tokens; withRoom: only one
   * with room for them where the route knows rooms (else the request would be refused).
   */
  private otherRegion(tried: ReadonlySet<string>, withRoom: boolean): RegionTarget | null {
    const route = this.request.deployment.route;
    if (route === null) return null;
    const tokens = this.request.tokens;
    return withRoom && route.knowsRoom
      ? route.pickOtherWithRoom(tried, this.env.random, tokens)
      : route.pickOther(tried, this.env.random, tokens);
  }

  private shedAt(target: RegionTarget): void {
    const tried = this.books.markTried(target.region);
    const other = this.request.home === null ? this.otherRegion(tried, false) : null;
    if (other !== null) {
      this.start(other, 'backend-full');
      return;
    }
    if (this.mayWaitAgain() && this.env.admission.requeue(this)) return;
    this.env.metrics.shed.labels('backend').inc();
    this.region = target;
    this.answer(
      'Overloaded',
      `every backend of the boundary is at shedding.maxInFlightPerBackend (${this.env.maxInFlightPerBackend})`,
      this.env.shedRetryAfterS,
    );
  }

  // ---- Answers -----------------------------------------------------------------------

  /**
   * Sends the upstream's status and headers (phase streaming). A head Node refuses to
   * send: the client gets a 502 and the attempt is stopped; false then.
   */
  private sendHead(attempt: UpstreamAttempt, status: number, rawHeaders: readonly Buffer[]): boolean {
    const failed = this.writer.head(status, clientResponseHeaders(rawHeaders, attempt.region));
    if (failed !== null) {
      this.unrelayable(attempt.region, failed);
      attempt.abort(failed);
      return false;
    }
    this.request.learner?.head(attempt.region, status);
    this.state = { phase: 'streaming', attempt };
    if (status >= 200 && status < 300 && carriesUsage(rawHeaders)) this.usage = new UsageScan();
    return true;
  }

  private relay(attempt: UpstreamAttempt, chunk: Buffer): void {
    if (!this.writer.bodyStarted) this.observeFirstByte(attempt.region, chunk);
    this.request.learner?.data(chunk);
    this.usage?.add(chunk);
    if (!this.writer.write(chunk)) attempt.pause();
  }

  private observeFirstByte(region: string, chunk: Buffer | undefined): void {
    const stats = this.request.deployment.statsFor(region);
    stats.firstByte.observe((performance.now() - this.request.startedAt) / 1000);
    this.trace?.firstByte(chunk);
  }

  private unrelayable(region: string, err: Error): void {
    this.env.logger.warn(
      { deployment: this.request.deployment.name, region, err, reason: 'unrelayable response headers' },
      'upstream error',
    );
    this.answer('UpstreamError', `the answer of region ${region} cannot be relayed: ${err.message}`);
  }

  /**
   * No region tried could be connected to: nothing reached a backend, and no eligible
   * region can take the request now. The contract's answer for that is 503 with
   * Retry-After, not a gateway error.
   */
  private unreachable(message: string): void {
    const home = this.request.home;
    if (home !== null) {
      this.env.metrics.affinityRequests.labels(this.request.deployment.name, 'home_unavailable').inc();
      const why = `the request is bound to state stored in region ${home.region}, which could not be reached; it is not sent elsewhere`;
      this.answer('HomeRegionUnavailable', `${why} (${message})`, UNREACHABLE_RETRY_AFTER_S);
      return;
    }
    this.answer('NoRegionAvailable', message, UNREACHABLE_RETRY_AFTER_S);
  }

  // ---- Encrypted reasoning of unknown home -------------------------------------------

  /** A region of the boundary not tried yet (trial requests only), or null. */
  private untriedRegion(region: string): RegionTarget | null {
    const tried = this.books.markTried(region);
    return this.request.deployment.route?.pickOther(tried, this.env.random) ?? null;
  }

  /**
   * A 400 held back from a trial: another region's encrypted content moves on to the
   * next region at once (no backoff, no budget: the region was not at fault); any other
   * 400, or the last region's, is the answer.
   */
  private tryNextRegion(held: HeldAnswer, region: string): void {
    const foreign = held.chunks.some((c) => c.includes(FOREIGN_SEALED));
    const next = foreign ? this.untriedRegion(region) : null;
    if (next === null) {
      this.giveUp(held);
      return;
    }
    this.env.metrics.retries.labels(this.request.deployment.name, 'sealed-elsewhere').inc();
    this.start(next);
  }

  /** The router's own answer (a JSON error), which ends the request. */
  private answer(code: RouterErrorCode, message: string, retryAfterS: number | null = null): void {
    this.trace?.routerError(code);
    this.finish(sendError(this.request.res, code, message, retryAfterS));
  }

  /** The tokens an answer reported, on its route and its tenant's books. */
  private countTokens(route: TokenCounts, usage: Usage): void {
    route.add(usage.input, usage.output, usage.cached);
    const key = this.request.fairnessKey;
    if (key !== '')
      this.env.metrics.requests.tenants
        .counts(this.request.deployment.name, key)
        .add(usage.input, usage.output, usage.cached);
  }

  /** Ends the request once: counts it, logs it, and gives its slot back. */
  private finish(status: number): void {
    if (this.state.phase === 'done') return;
    this.state = DONE;
    this.books.releaseReserved();
    this.writer.release();
    const request = this.request;
    const seconds = (performance.now() - request.startedAt) / 1000;
    const region = this.region;
    const deployment = request.deployment;
    const stats = region === null ? deployment.ownAnswers : deployment.statsFor(region.region);
    stats.record(status, seconds);
    const usage = this.usage === null ? null : this.usage.result();
    if (usage !== null) {
      this.countTokens(stats.tokens, usage);
      this.lastAttempt?.usageReported(usage.input + usage.output);
    }
    this.trace?.finish(status, usage);
    if (this.env.accessLog) {
      this.env.logger.info(
        {
          deployment: deployment.name,
          region: region?.region ?? null,
          status,
          attempts: this.books.attempts,
          ms: Math.round(seconds * 1000),
          method: request.req.method,
          path: echoTarget(redactUrl(request.req.url ?? '')),
        },
        'request',
      );
    }
    // Only a request that reached a region freed room there (admission's signal).
    this.env.onDone(this.books.attempts > 0 ? deployment : null);
  }
}
