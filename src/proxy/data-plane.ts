// The data-plane request handler: normalise the target, find the deployment, read the
// body, pick a region from the current route, forward. Everything it reads was
// prepared off this path, and a reload replaces it whole (reconfigure): a request reads
// the settings in force when it reaches each step.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ClassPolicy, type RequestClass, requestClass } from '../admission/request-class.js';
import type { AdmissionGate } from './admission-gate.js';
import { NO_REGION, type DeploymentRuntime } from './deployment-runtime.js';
import { routeStored, type StoredForward, type StoredHost } from './affinity/stored-request.js';
import { DEPLOYMENT_HEADER, type StoredRouting } from './affinity/stored-routing.js';
import { storedTargetOf, type StoredTarget } from './affinity/stored-target.js';
import type { RouteCounters } from '../metrics/request-series.js';
import { redactUrl } from '../net/redact-url.js';
import { DeadlineList } from './deadline-list.js';
import { echoName, echoTarget } from './echo.js';
import { rawErrorResponse, sendError, type RouterErrorCode } from './errors.js';
import { ProxyCall, type ForwardEnv } from './proxy-call.js';
import { upstreamRequestHeaders } from './headers.js';
import { JsonModelScan } from './json-model-scan.js';
import { ALLOW, isForwardedMethod } from './methods.js';
import type { CatalogAnswer, ModelCatalog } from './model-catalog.js';
import { normaliseTarget } from './normalise-target.js';
import { readBody } from './read-body.js';
import { estimateTokens, tokenApiOf, type TokenEstimateSettings } from './token-estimate.js';
import {
  type BodyTarget,
  deploymentFromBody,
  deploymentFromPath,
  isJsonBody,
  pathBodyProblem,
} from './request-target.js';

export interface DataPlaneOptions {
  readonly deployments: ReadonlyMap<string, DeploymentRuntime>;
  /** GET /v1/models (and Azure's forms): the deployments in OpenAI's list shape. */
  readonly catalog: ModelCatalog;
  readonly maxBodyBytes: number;
  /** limits.requestBodyTimeoutMs: a body not fully received by then gets 408. */
  readonly requestBodyTimeoutMs: number;
  /** limits.clientReadTimeoutMs: a client that drains nothing for this long is cut. */
  readonly clientReadTimeoutMs: number;
  readonly env: Omit<ForwardEnv, 'onDone' | 'requestsInFlight' | 'readStalls' | 'admission'>;
  /** Admission: where requests wait for room (one per router, outlives reloads). */
  readonly gate: AdmissionGate;
  /** How a request's headers name its priority and fairness key. */
  readonly classes: ClassPolicy;
  /** Router-wide bound on requests in flight; 0 = unbounded. */
  readonly maxInFlight: number;
  /** Set while the router drains: new requests get 503 ShuttingDown. */
  readonly isDraining: () => boolean;
  /** telemetry.inBand: ask backends for ORCA load metrics on every answer. */
  readonly askLoadMetrics: boolean;
  /** Requests bound to stored state go to its region (affinity.enabled); null when off. */
  readonly affinity: StoredRouting | null;
  /** affinity.defaultDeployment: for a request that names no deployment (the x-switchyard-deployment header wins). */
  readonly defaultDeployment: string | null;
  /** The config's tokens section: how a request's tokens are estimated. */
  readonly tokens: TokenEstimateSettings;
}

/** An answer the router gives itself. */
export interface OwnAnswer {
  readonly code: RouterErrorCode;
  readonly message: string;
  /** The deployment the request named, when known (its metrics count the answer). */
  readonly deployment?: DeploymentRuntime | null;
  readonly retryAfterS?: number | null;
  /** The body was not (all) read, so the connection cannot be reused safely. */
  readonly closeConnection?: boolean;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
}

/** A request whose body is not scanned and names no deployment some other way. */
const MISSING_DEPLOYMENT: BodyTarget = {
  ok: false,
  code: 'MissingDeployment',
  message:
    'no deployment: use /openai/deployments/{name}/..., a JSON body with a "model" field, or the x-switchyard-deployment header',
};

/** A step of handle() that has answered the request itself. */
const ANSWERED = Symbol('answered');

// Marks a response whose client sent Expect: 100-continue and has not been told to
// send its body yet.
const kAwaitsContinue = Symbol('switchyard.awaitsContinue');
type ContinueResponse = ServerResponse & { [kAwaitsContinue]?: boolean };

export class DataPlane {
  /** Requests accepted and not yet answered (drain waits for this to reach 0). */
  active = 0;

  private opts: DataPlaneOptions;
  private env: ForwardEnv;
  /** Answers to requests that named no known deployment. */
  private readonly unrouted: RouteCounters;
  private bodyDeadlines: DeadlineList;
  private readStalls: DeadlineList;
  /** The longest a configured name can be inside a JSON string (every character escaped). */
  private maxNameBytes = 0;

  constructor(opts: DataPlaneOptions) {
    this.opts = opts;
    this.bodyDeadlines = new DeadlineList(opts.requestBodyTimeoutMs);
    this.readStalls = new DeadlineList(opts.clientReadTimeoutMs);
    this.env = this.forwardEnv(opts);
    this.unrouted = opts.env.metrics.requests.route(NO_REGION, NO_REGION);
    this.maxNameBytes = longestName(opts.deployments);
  }

  /**
   * A reload: new requests (and the next step of those being read) use `opts`. A
   * request already forwarded keeps the settings it started with; a deadline list
   * whose timeout changed keeps sweeping what it holds, then stops.
   */
  reconfigure(opts: DataPlaneOptions): void {
    if (opts.requestBodyTimeoutMs !== this.bodyDeadlines.timeoutMs) {
      this.bodyDeadlines.retire();
      this.bodyDeadlines = new DeadlineList(opts.requestBodyTimeoutMs);
    }
    if (opts.clientReadTimeoutMs !== this.readStalls.timeoutMs) {
      this.readStalls.retire();
      this.readStalls = new DeadlineList(opts.clientReadTimeoutMs);
    }
    this.opts = opts;
    this.env = this.forwardEnv(opts);
    this.maxNameBytes = longestName(opts.deployments);
  }

  private forwardEnv(opts: DataPlaneOptions): ForwardEnv {
    // Each request ends exactly once (ProxyCall guards it), so one shared callback does.
    return {
      ...opts.env,
      onDone: this.onDone,
      requestsInFlight: this.requestsInFlight,
      readStalls: this.readStalls,
      admission: opts.gate,
    };
  }

  private readonly onDone = (deployment: DeploymentRuntime | null): void => {
    this.active--;
    if (deployment !== null) this.opts.gate.finished(deployment);
  };

  /** Requests the router is working on: accepted and not waiting for room. */
  private readonly requestsInFlight = (): number => this.active - this.opts.gate.waiting;

  /** The router stops: requests waiting for room are answered at once (503 ShuttingDown). */
  shutDownWaiting(): void {
    this.opts.gate.shutDown();
  }

  /**
   * Node's 'checkContinue': the client waits for 100 Continue before sending its body.
   * It is sent only once the router means to read the body, so that a request refused
   * on its head alone (shed, too large, bad path) costs no upload.
   */
  readonly handleExpectContinue = (req: IncomingMessage, res: ServerResponse): void => {
    (res as ContinueResponse)[kAwaitsContinue] = true;
    this.handle(req, res);
  };

  /** A request: its head checked, its body read, its deployment found, then forwarded. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.active++;
    const startedAt = performance.now();
    const named = this.checkHead(req, res, startedAt);
    if (named === ANSWERED) return;
    const cls = requestClass(req.headers, this.opts.classes);
    if ('problem' in cls) {
      const deployment = this.deploymentNamed(named);
      this.ownAnswer(res, { code: 'InvalidHeader', message: cls.problem, deployment, startedAt });
      return;
    }
    // Most requests (chat, embeddings) are turned away by the target's first characters.
    const stored = this.opts.affinity === null ? null : storedTargetOf(req.url as string);
    this.readRequestBody(req, res, named, cls, stored, startedAt);
  };

  /**
   * What the head alone decides, before any of the body is read (an overload or a bad
   * request must not cost an upload): draining, the method, the path, the model list,
   * shedding, a declared body too large. Returns the deployment the path names (null:
   * the body names it), or ANSWERED when the router has answered.
   */
  private checkHead(req: IncomingMessage, res: ServerResponse, startedAt: number): string | null | typeof ANSWERED {
    if (this.opts.isDraining()) {
      const message = 'the router is shutting down; retry on another instance';
      this.ownAnswer(res, { code: 'ShuttingDown', message, retryAfterS: 1, closeConnection: true, startedAt });
      return ANSWERED;
    }
    if (!isForwardedMethod(req.method)) {
      this.ownAnswer(res, { code: 'MethodNotAllowed', message: methodMessage(req.method), startedAt });
      return ANSWERED;
    }
    // Routing and forwarding both use the normalised target (ProxyCall forwards req.url).
    const target = normaliseTarget(req.url ?? '/');
    if (typeof target !== 'string') {
      this.ownAnswer(res, { code: 'InvalidPath', message: target.message, closeConnection: true, startedAt });
      return ANSWERED;
    }
    if (target !== req.url) req.url = target;
    if (req.method === 'GET' || req.method === 'HEAD') {
      const answer = this.opts.catalog.lookup(target);
      if (answer !== null) {
        this.catalogAnswer(res, answer, startedAt);
        return ANSWERED;
      }
    }
    const named = deploymentFromPath(target);
    // Requests waiting for room are bounded by the admission queue, not by this.
    if (this.opts.maxInFlight > 0 && this.active - this.opts.gate.waiting > this.opts.maxInFlight) {
      // Node discards the unread body, so the connection stays usable.
      this.env.metrics.shed.labels('router').inc();
      this.ownAnswer(res, {
        code: 'Overloaded',
        message: `the router has shedding.maxInFlight (${this.opts.maxInFlight}) requests in flight`,
        deployment: this.deploymentNamed(named),
        retryAfterS: this.env.shedRetryAfterS,
        startedAt,
      });
      return ANSWERED;
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > this.opts.maxBodyBytes) {
      this.bodyRefused(res, 'PayloadTooLarge', named, startedAt);
      return ANSWERED;
    }
    return named;
  }

  /**
   * Reads the body (asking for it first when the client waits for 100 Continue). Path
   * wins: the body is scanned for `model` only when the path names nothing; a JSON
   * body on a path gets the same checks (valid, nesting) in the same single pass.
   */
  private readRequestBody(
    req: IncomingMessage,
    res: ServerResponse,
    named: string | null,
    cls: RequestClass,
    stored: StoredTarget | null,
    startedAt: number,
  ): void {
    if ((res as ContinueResponse)[kAwaitsContinue] === true) {
      (res as ContinueResponse)[kAwaitsContinue] = false;
      res.writeContinue();
    }
    // A stored-state request's body may name no deployment, and a file upload's is not
    // JSON at all (multipart passes as it is); so may any request when a deployment is
    // given otherwise (the x-switchyard-deployment header, affinity.defaultDeployment).
    const scan =
      named === null && stored === null && this.fallbackDeployment(req) === null
        ? new JsonModelScan()
        : isJsonBody(req.headers['content-type'], req.headers['content-encoding'])
          ? new JsonModelScan(named === null)
          : null;
    readBody(req, this.opts.maxBodyBytes, scan, this.bodyDeadlines, startedAt, (result) => {
      if (result.ok && stored !== null) {
        routeStored(this.storedHost, req, res, named, stored, result.body, scan, startedAt);
      } else if (result.ok) {
        const deployment = this.deploymentOf(req, res, named, result.body, scan, startedAt);
        if (deployment !== null) this.forward(req, res, deployment, result.body, scan, cls, startedAt);
      } else if (result.reason === 'too-large') this.bodyRefused(res, 'PayloadTooLarge', named, startedAt);
      else if (result.reason === 'timeout') this.bodyRefused(res, 'RequestTimeout', named, startedAt);
      else {
        res.destroy();
        this.env.onDone(null);
      }
    });
  }

  /** The deployment the path or the body names, once the body is known good; null when the router has answered. */
  private deploymentOf(
    req: IncomingMessage,
    res: ServerResponse,
    named: string | null,
    body: Buffer,
    scan: JsonModelScan | null,
    startedAt: number,
  ): DeploymentRuntime | null {
    let name = named;
    if (named === null) {
      // No scan: a body that is not JSON, on a request whose deployment is given otherwise.
      const found = scan === null ? MISSING_DEPLOYMENT : deploymentFromBody(body, scan, this.maxNameBytes);
      const fallback = found.ok || found.code !== 'MissingDeployment' ? null : this.fallbackDeployment(req);
      if (!found.ok && fallback === null) {
        this.ownAnswer(res, { code: found.code, message: found.message, startedAt });
        return null;
      }
      name = found.ok ? found.deployment : fallback;
    } else if (scan !== null) {
      const problem = pathBodyProblem(body, scan);
      if (problem !== null) {
        const deployment = this.deploymentNamed(named);
        this.ownAnswer(res, { code: 'InvalidJson', message: problem, deployment, startedAt });
        return null;
      }
    }
    const deployment = this.opts.deployments.get(name as string);
    if (deployment === undefined) {
      const message = `deployment "${echoName(name as string)}" is not configured here`;
      this.ownAnswer(res, { code: 'DeploymentNotFound', message, startedAt });
      return null;
    }
    return deployment;
  }

  /** What the stored-state routing needs of the data plane. */
  private readonly storedHost: StoredHost = {
    routing: () => this.opts.affinity as StoredRouting,
    maxNameBytes: () => this.maxNameBytes,
    forward: (req, res, deployment, body, scan, startedAt, stored) => {
      // The headers were checked on arrival; read again off the common path.
      const cls = requestClass(req.headers, this.opts.classes) as RequestClass;
      this.forward(req, res, deployment, body, scan, cls, startedAt, stored);
    },
    ownAnswer: (res, answer) => this.ownAnswer(res, answer),
    ended: (req, deployment, status, startedAt) => this.ended(req, deployment, status, null, startedAt),
  };

  /**
   * Picks a region from the deployment's current route (or takes the home of the
   * stored state the request is bound to) and sends the request there; with no region
   * to send it to, it waits for room (admission) or gets the plan's rejection.
   */
  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    deployment: DeploymentRuntime,
    body: Buffer,
    scan: JsonModelScan | null,
    cls: RequestClass,
    startedAt: number,
    stored: StoredForward | null = null,
  ): void {
    const route = deployment.route;
    const home = stored === null ? null : stored.home;
    const settings = deployment.admission.settings;
    // Counted in tokens, or charged against a tokens-per-minute quota: its cost in tokens.
    const tokens =
      deployment.estimatesTokens && body.length > 0
        ? estimateTokens(body, tokenApiOf(req.url ?? '/'), this.opts.tokens).total
        : 0;
    const gate = this.opts.gate;
    // maxWaitMs 0: no admission; a request is sent as the route picks, or refused. A
    // request bound to stored state goes to its home at once: the queue sends where
    // the route would, and the home alone is where it may go.
    const admitting = settings.maxWaitMs > 0 && route !== null && home === null;
    const waitMs = cls.maxWaitMs === null ? settings.maxWaitMs : Math.min(settings.maxWaitMs, cls.maxWaitMs);
    let region = home;
    if (home === null && route !== null) {
      // Nobody passes the requests already waiting: were there room, they would be gone.
      if (admitting && gate.hasWaiting(deployment)) region = null;
      else if (admitting && route.knowsRoom) region = route.pickWithRoom(this.env.random, tokens);
      else region = route.pick(this.env.random, tokens);
    }
    // A boundary with no routable region waits only for what ends within the wait (a cooldown).
    const waits =
      admitting &&
      region === null &&
      (route.routable || (route.plan.rejection?.retryAfterS ?? Number.POSITIVE_INFINITY) * 1000 <= waitMs);
    if (route === null || (region === null && !waits)) {
      const rejection = route?.plan.rejection;
      this.ownAnswer(res, {
        code: rejection?.code ?? 'NoRegionAvailable',
        message: rejection?.message ?? 'no routing plan yet',
        deployment,
        retryAfterS: rejection?.retryAfterS ?? 1,
        startedAt,
      });
      return;
    }
    const hasBody =
      body.length > 0 || req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    const headers = upstreamRequestHeaders(
      req.rawHeaders,
      req.socket.remoteAddress ?? '',
      hasBody ? body.length : null,
      this.opts.askLoadMetrics,
    );
    const priority = cls.priority ?? settings.defaultPriority;
    const call = new ProxyCall(this.env, {
      req,
      res,
      deployment,
      body: hasBody ? body : null,
      headers,
      startedAt,
      modelStart: scan === null ? -1 : scan.modelStart,
      modelEnd: scan === null ? -1 : scan.modelEnd,
      canWait: admitting && priority >= 0,
      priority,
      fairnessKey: cls.fairnessKey,
      waitDeadlineMs: admitting ? this.env.now() + waitMs : 0,
      home,
      learner: stored === null ? null : stored.learner,
      trial: stored === null ? false : stored.trial,
      tokens,
    });
    if (region !== null) call.start(region);
    else gate.enqueue(call);
  }

  /** The deployment of a request that names none: the x-switchyard-deployment header, else the configured default. */
  private fallbackDeployment(req: IncomingMessage): string | null {
    const header = req.headers[DEPLOYMENT_HEADER];
    return typeof header === 'string' && header !== '' ? header : this.opts.defaultDeployment;
  }

  private deploymentNamed(name: string | null): DeploymentRuntime | null {
    return name === null ? null : (this.opts.deployments.get(name) ?? null);
  }

  /**
   * Node's 'connect': a CONNECT request, whose socket Node hands over without a
   * response object (without a listener it drops the connection unanswered). The
   * router makes no tunnels: 405 MethodNotAllowed, then the connection closes.
   */
  readonly handleConnect = (req: IncomingMessage, socket: Duplex): void => {
    this.active++;
    const startedAt = performance.now();
    socket.on('error', () => socket.destroy());
    // Read and drop whatever follows, so that the client's close is seen.
    socket.resume();
    socket.end(rawErrorResponse('MethodNotAllowed', methodMessage(req.method)));
    this.ended(req, null, 405, 'MethodNotAllowed', startedAt);
  };

  /** GET /v1/models and its kin: the list, one deployment, or 404 DeploymentNotFound. */
  private catalogAnswer(res: ServerResponse, answer: CatalogAnswer, startedAt: number): void {
    if (!answer.found) {
      const message = `deployment "${echoName(answer.id)}" is not configured here; GET /v1/models lists them`;
      this.ownAnswer(res, { code: 'DeploymentNotFound', message, startedAt });
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': answer.body.length,
    });
    res.end(answer.body);
    this.ended(res.req, null, 200, null, startedAt);
  }

  /** Stops the deadline sweeps; the router calls it once its listener is closed. */
  close(): void {
    this.bodyDeadlines.close();
    this.readStalls.close();
  }

  /** A body too large (declared or read) or too slow: the connection cannot be reused. */
  private bodyRefused(
    res: ServerResponse,
    code: 'PayloadTooLarge' | 'RequestTimeout',
    named: string | null,
    startedAt: number,
  ): void {
    const message =
      code === 'PayloadTooLarge'
        ? `request body exceeds limits.maxBodyBytes (${this.opts.maxBodyBytes} bytes)`
        : `request body not received within limits.requestBodyTimeoutMs (${this.opts.requestBodyTimeoutMs} ms)`;
    this.ownAnswer(res, { code, message, deployment: this.deploymentNamed(named), closeConnection: true, startedAt });
  }

  /**
   * Answers the request itself (an error, a rejection) and ends it. A client still
   * waiting for 100 Continue gets a closed connection, since it may never send the body.
   */
  private ownAnswer(res: ServerResponse, answer: OwnAnswer): void {
    const close = answer.closeConnection === true || (res as ContinueResponse)[kAwaitsContinue] === true;
    const status = sendError(res, answer.code, answer.message, answer.retryAfterS ?? null, close);
    this.ended(res.req, answer.deployment ?? null, status, answer.code, answer.startedAt);
  }

  /** The books of a request the router answered itself: access log, metrics, in-flight count. */
  private ended(
    req: IncomingMessage,
    deployment: DeploymentRuntime | null,
    status: number,
    code: RouterErrorCode | null,
    startedAt: number,
  ): void {
    const seconds = (performance.now() - startedAt) / 1000;
    if (this.env.accessLog) {
      this.env.logger.info(
        {
          deployment: deployment?.name ?? null,
          region: null,
          status,
          ...(code === null ? {} : { code }),
          ms: Math.round(seconds * 1000),
          method: req.method,
          path: echoTarget(redactUrl(req.url ?? '')),
        },
        'request',
      );
    }
    if (deployment !== null) {
      deployment.ownAnswers.record(status, seconds);
      if (code !== null) this.opts.env.metrics.rejected.labels(deployment.name, code).inc();
    } else {
      this.unrouted.record(status, seconds);
    }
    this.env.onDone(null);
  }
}

function methodMessage(method: string | undefined): string {
  return `method ${method ?? ''} is not forwarded; use one of ${ALLOW}`;
}

/** Bytes the longest deployment name can take inside a JSON string (every character escaped). */
function longestName(deployments: ReadonlyMap<string, unknown>): number {
  let longest = 0;
  for (const name of deployments.keys()) longest = Math.max(longest, name.length);
  return longest * 6;
}
