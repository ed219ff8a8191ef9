// One proxied request: an undici dispatch handler that streams the upstream response
// straight into the client's ServerResponse, with backpressure both ways.
//
// It implements undici's callback handler (onConnect/onHeaders/onData/onComplete/
// onError) because that is what undici 7's core calls; the newer controller API is
// adapted onto it by a wrapper that also parses headers into an object we don't need.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics.js';
import type { DeploymentRuntime } from '../router/deployment-runtime.js';
import type { DeploymentRoute } from '../selector/deployment-route.js';
import type { Backend, RegionUpstream } from './upstream.js';
import { clientResponseHeaders } from './headers.js';
import { sendError, type RouterErrorCode } from './errors.js';

/** What the data plane learns from each attempt: resilience feeds on it. */
export interface AttemptOutcome {
  readonly deployment: DeploymentRuntime;
  readonly backend: Backend;
  /** HTTP status, or 0 when the attempt failed before a response. */
  readonly status: number;
  readonly errorCode: string | null;
  readonly retryAfterMs: number | null;
  readonly seconds: number;
}

export interface ForwardEnv {
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly random: () => number;
  readonly onOutcome: ((outcome: AttemptOutcome) => void) | null;
  /** Called once per request when it is over, whatever the outcome. */
  readonly onDone: () => void;
}

// Errors that mean the request never reached an application: safe to send elsewhere.
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'EPIPE']);

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

function retryAfterMsOf(raw: readonly Buffer[]): number | null {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as Buffer;
    if (name.length !== 11 && name.length !== 14) continue;
    const lower = name.toString('latin1').toLowerCase();
    const value = (raw[i + 1] as Buffer).toString('latin1').trim();
    if (lower === 'retry-after-ms') {
      const ms = Number(value);
      if (Number.isFinite(ms) && ms >= 0) return ms;
    } else if (lower === 'retry-after') {
      const s = Number(value);
      if (Number.isFinite(s) && s >= 0) return s * 1000;
      const date = Date.parse(value);
      if (!Number.isNaN(date)) return Math.max(0, date - Date.now());
    }
  }
  return null;
}

export class ProxyCall implements Dispatcher.DispatchHandler {
  private backend: Backend | null = null;
  private region: RegionUpstream | null = null;
  private abortUpstream: ((err?: Error) => void) | null = null;
  private resumeUpstream: (() => void) | null = null;
  private status = 0;
  private retryAfterMs: number | null = null;
  private responded = false;
  private clientGone = false;
  private done = false;
  private attempts = 0;
  private attemptStart = 0;
  private readonly onDrain: () => void;
  private readonly onClientClose: () => void;

  constructor(
    private readonly env: ForwardEnv,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly deployment: DeploymentRuntime,
    private readonly route: DeploymentRoute<RegionUpstream>,
    private readonly body: Buffer | null,
    private readonly headers: string[],
    private readonly startedAt: number,
  ) {
    this.onDrain = () => this.resumeUpstream?.();
    this.onClientClose = () => {
      if (this.res.writableFinished || this.done) return;
      this.clientGone = true;
      this.env.metrics.clientAborts.labels(this.deployment.name).inc();
      // An abandoned generation keeps a GPU busy: stop it upstream too.
      this.abortUpstream?.(new Error('client closed the connection'));
    };
    res.once('close', this.onClientClose);
  }

  start(region: RegionUpstream): void {
    this.region = region;
    const backend = region.pickBackend();
    this.backend = backend;
    this.attempts++;
    this.status = 0;
    this.retryAfterMs = null;
    this.abortUpstream = null;
    this.attemptStart = performance.now();
    backend.acquire();
    backend.pool.dispatch(
      { path: this.req.url ?? '/', method: this.req.method as Dispatcher.HttpMethod, headers: this.headers, body: this.body },
      this,
    );
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.clientGone) abort(new Error('client closed the connection'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.resumeUpstream = resume;
    if (statusCode === 429 || statusCode === 503) this.retryAfterMs = retryAfterMsOf(rawHeaders);
    if (this.clientGone) return false;
    this.responded = true;
    this.res.writeHead(statusCode, clientResponseHeaders(rawHeaders, (this.region as RegionUpstream).region));
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.clientGone) return false;
    const ok = this.res.write(chunk);
    if (!ok) this.res.once('drain', this.onDrain);
    return ok;
  }

  onComplete(): void {
    this.res.end();
    this.finishAttempt(this.status, null);
    this.finish(this.status);
  }

  onError(err: Error): void {
    const code = errorCodeOf(err);
    if (this.clientGone) {
      this.finishAttempt(0, 'ClientClosed');
      this.finish(499);
      return;
    }
    this.finishAttempt(0, code);
    if (this.responded) {
      // Headers are out: the only honest signal left is a broken stream.
      this.env.logger.warn({ deployment: this.deployment.name, region: this.region?.region, backend: this.backend?.url, err: code, reason: 'upstream failed mid-response' }, 'upstream error');
      this.res.destroy(err);
      this.finish(this.status);
      return;
    }
    const region = this.region as RegionUpstream;
    this.env.metrics.upstreamErrors.labels(region.region, code).inc();
    if (this.attempts === 1 && CONNECT_ERRORS.has(code)) {
      const other = this.route.pickOther(new Set([region.region]), this.env.random());
      if (other !== null) {
        this.env.metrics.retries.labels(this.deployment.name, 'connect-error').inc();
        this.env.logger.info({ deployment: this.deployment.name, region: region.region, retryRegion: other.region, err: code, reason: 'connect error' }, 'retrying on another region');
        this.start(other);
        return;
      }
    }
    const routerCode = mapUpstreamError(code);
    this.env.logger.warn({ deployment: this.deployment.name, region: region.region, backend: this.backend?.url, err: code, status: routerCode }, 'upstream request failed');
    const status = sendError(this.res, routerCode, `upstream in region ${region.region} failed: ${code}`);
    this.finish(status);
  }

  private finishAttempt(status: number, errorCode: string | null): void {
    const backend = this.backend as Backend;
    backend.release();
    const onOutcome = this.env.onOutcome;
    if (onOutcome !== null) {
      onOutcome({
        deployment: this.deployment,
        backend,
        status,
        errorCode,
        retryAfterMs: this.retryAfterMs,
        seconds: (performance.now() - this.attemptStart) / 1000,
      });
    }
  }

  private finish(status: number): void {
    if (this.done) return;
    this.done = true;
    this.res.removeListener('close', this.onClientClose);
    const seconds = (performance.now() - this.startedAt) / 1000;
    this.deployment.statsFor((this.region as RegionUpstream).region).record(status, seconds);
    this.env.onDone();
  }
}
