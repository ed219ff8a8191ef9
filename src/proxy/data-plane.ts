// The data-plane request handler: find the deployment, read the body, pick a region
// from the current route, forward. Everything it reads was prepared off this path.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NO_REGION, type DeploymentRuntime } from '../router/deployment-runtime.js';
import type { RouteCounters } from '../metrics/request-series.js';
import { sendError, type RouterErrorCode } from './errors.js';
import { ProxyCall, type ForwardEnv } from './forward.js';
import { upstreamRequestHeaders } from './headers.js';
import { readBody } from './read-body.js';
import { deploymentFromBody, deploymentFromPath } from './request-target.js';

export interface DataPlaneOptions {
  readonly deployments: ReadonlyMap<string, DeploymentRuntime>;
  readonly maxBodyBytes: number;
  readonly env: Omit<ForwardEnv, 'onDone' | 'requestsInFlight'>;
  /** Router-wide bound on requests in flight; 0 = unbounded. */
  readonly maxInFlight: number;
  /** Set while the router drains: new requests get 503 ShuttingDown. */
  readonly isDraining: () => boolean;
}

export class DataPlane {
  /** Requests accepted and not yet answered (drain waits for this to reach 0). */
  active = 0;

  private readonly env: ForwardEnv;
  /** Answers to requests that named no known deployment. */
  private readonly unrouted: RouteCounters;

  constructor(private readonly opts: DataPlaneOptions) {
    // Each request ends exactly once (ProxyCall guards it), so one shared callback does.
    this.env = { ...opts.env, onDone: () => this.active--, requestsInFlight: () => this.active };
    this.unrouted = opts.env.metrics.requests.route(NO_REGION, NO_REGION);
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.active++;
    const startedAt = performance.now();
    const env = this.env;
    if (this.opts.isDraining()) {
      this.ownAnswer(
        res,
        null,
        'ShuttingDown',
        'the router is shutting down; retry on another instance',
        1,
        true,
        startedAt,
      );
      return;
    }
    const url = req.url ?? '/';
    const named = deploymentFromPath(url);
    if (this.opts.maxInFlight > 0 && this.active > this.opts.maxInFlight) {
      // Shed before reading the body: an overload must not cost memory. Node discards
      // the unread body, so the connection stays usable.
      env.metrics.shed.labels('router').inc();
      const deployment = named === null ? null : (this.opts.deployments.get(named) ?? null);
      this.ownAnswer(
        res,
        deployment,
        'Overloaded',
        `the router has shedding.maxInFlight (${this.opts.maxInFlight}) requests in flight`,
        env.shedRetryAfterS,
        false,
        startedAt,
      );
      return;
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > this.opts.maxBodyBytes) {
      this.tooLarge(res, named, startedAt);
      return;
    }
    readBody(req, this.opts.maxBodyBytes, (result) => {
      if (!result.ok) {
        if (result.tooLarge) this.tooLarge(res, named, startedAt);
        else {
          res.destroy();
          env.onDone();
        }
        return;
      }
      let name = named;
      if (name === null) {
        const target = deploymentFromBody(result.body);
        if (!target.ok) {
          this.ownAnswer(res, null, target.code, target.message, null, false, startedAt);
          return;
        }
        name = target.deployment;
      }
      const deployment = this.opts.deployments.get(name);
      if (deployment === undefined) {
        this.ownAnswer(
          res,
          null,
          'DeploymentNotFound',
          `deployment "${name}" is not configured here`,
          null,
          false,
          startedAt,
        );
        return;
      }
      const route = deployment.route;
      const region = route === null ? null : route.pick(env.random);
      if (route === null || region === null) {
        const rejection = route?.plan.rejection;
        this.ownAnswer(
          res,
          deployment,
          rejection?.code ?? 'NoRegionAvailable',
          rejection?.message ?? 'no routing plan yet',
          rejection?.retryAfterS ?? 1,
          false,
          startedAt,
        );
        return;
      }
      const hasBody =
        result.body.length > 0 || declared !== undefined || req.headers['transfer-encoding'] !== undefined;
      const headers = upstreamRequestHeaders(
        req.rawHeaders,
        req.socket.remoteAddress ?? '',
        hasBody ? result.body.length : null,
      );
      const call = new ProxyCall(env, req, res, deployment, hasBody ? result.body : null, headers, startedAt);
      call.start(region);
    });
  };

  private tooLarge(res: ServerResponse, named: string | null, startedAt: number): void {
    const deployment = named === null ? null : (this.opts.deployments.get(named) ?? null);
    this.ownAnswer(
      res,
      deployment,
      'PayloadTooLarge',
      `request body exceeds limits.maxBodyBytes (${this.opts.maxBodyBytes} bytes)`,
      null,
      true,
      startedAt,
    );
  }

  /** Answers the request itself (an error, a rejection) and ends it. */
  private ownAnswer(
    res: ServerResponse,
    deployment: DeploymentRuntime | null,
    code: RouterErrorCode,
    message: string,
    retryAfterS: number | null,
    close: boolean,
    startedAt: number,
  ): void {
    const status = sendError(res, code, message, retryAfterS, close);
    const seconds = (performance.now() - startedAt) / 1000;
    if (this.env.accessLog) {
      this.env.logger.info(
        {
          deployment: deployment?.name ?? null,
          region: null,
          status,
          code,
          ms: Math.round(seconds * 1000),
          method: res.req.method,
          path: res.req.url,
        },
        'request',
      );
    }
    if (deployment !== null) {
      deployment.ownAnswers.record(status, seconds);
      this.opts.env.metrics.rejected.labels(deployment.name, code).inc();
    } else {
      this.unrouted.record(status, seconds);
    }
    this.env.onDone();
  }
}
