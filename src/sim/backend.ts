// One regional inference backend: its own node:http server speaking chat completions,
// the Responses API and embeddings on OpenAI's and Azure OpenAI's paths (routes.ts),
// with a capacity shared by all models and APIs (counted in its capacity unit,
// capacity-unit.ts), injectable failures, and an outage switch (stop/start on the same
// port).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { backgroundLoad, type LoadFn } from './background.js';
import type { SimCapacityUnit } from './capacity-unit.js';
import { embeddingsFormat, embeddingsRequestOf } from './embeddings-replies.js';
import { Exchange, type Outcome, type ServeConfig } from './exchange.js';
import { FailSharesPicker, type FailSharesRule, failSharesRule } from './fail-shares.js';
import { closeNow, listenLocal, SIM_HOST } from './listen.js';
import {
  ORCA_RESPONSE_HEADER,
  type OrcaFormat,
  orcaFormatOf,
  orcaHeaderValue,
  type RegionLoad,
  sendVllmMetrics,
} from './load-report.js';
import { nonNegative, type ResolvedRegionOptions } from './options.js';
import { retryAfterHeaders, SimQuota } from './quota.js';
import { completionText, sendError, sendJson } from './replies.js';
import { CHAT_FORMAT, type ReplyFormat } from './reply-format.js';
import { RESPONSES_FORMAT, response } from './responses-replies.js';
import { type ApiRoute, apiRouteOf } from './routes.js';
import { TrailingMinute } from './trailing-minute.js';
import { storedPathOf } from './stored/paths.js';
import { RegionStore, type ResponseTurn } from './stored/region-store.js';
import { beginTurn, handleStored, isStoredError, recordTurn, storedErrorBody } from './stored/stored-api.js';
import type { SimBehaviour, SimRegion, SimRegionStats, SimRequestRecord } from './types.js';

export interface BackendShared {
  /** Every model the fleet serves: each is reported on /metrics. */
  readonly models: readonly string[];
  readonly defaultTokens: number;
  readonly responseBytes: number | null;
  readonly now: () => number;
  /** Azure deployment name -> its model. */
  readonly deployments: ReadonlyMap<string, string>;
}

export class SimBackend implements SimRegion, ServeConfig {
  readonly name: string;
  readonly capacityUnit: SimCapacityUnit;
  readonly stats: SimRegionStats = {
    received: 0,
    served: 0,
    rejected429: 0,
    aborted: 0,
    status400: 0,
    failed: 0,
    rejectedFull: 0,
    rejectedQuota: 0,
    receivedByDeployment: {},
  };
  readonly ttftMs: number;
  readonly perTokenMs: number;
  readonly responseBytes: number | null;
  readonly regionHeader: Readonly<Record<string, string>>;
  readonly streamHeaders: Readonly<Record<string, string>>;

  private capacityValue: number;
  private inFlightCount = 0;
  /** Capacity the exchanges in flight hold: requests, or their tokens (0 for tokens per minute). */
  private heldUnits = 0;
  private failStatus: number | null = null;
  private failModel: string | null = null;
  private retryAfterSeconds = 1;
  private failShares: FailSharesRule | null = null;
  private readonly sharesPicker = new FailSharesPicker();
  private last: SimRequestRecord | null = null;
  private port = 0;
  private urlValue = '';
  private seq = 0;
  private shutDown = false;
  // stop()/start() may be called concurrently (control endpoint, tests): run them in order.
  private transitions: Promise<void> = Promise.resolve();
  private loadFn: LoadFn;
  private readonly server: Server;
  private readonly idPrefix: string;
  private readonly quota: SimQuota | null;
  private readonly quotaFollowsCapacity: boolean;
  /** Tokens charged over the trailing minute: the load of a tokens-per-minute region, else null. */
  private readonly charged: TrailingMinute | null;
  /** The responses, conversations, files and batches this region made. */
  private readonly store = new RegionStore();

  constructor(
    opts: ResolvedRegionOptions,
    private readonly shared: BackendShared,
  ) {
    this.name = opts.region;
    this.capacityUnit = opts.capacityUnit;
    this.capacityValue = opts.capacity;
    this.ttftMs = opts.ttftMs;
    this.perTokenMs = opts.perTokenMs;
    this.responseBytes = shared.responseBytes;
    this.regionHeader = { 'x-sim-region': opts.region };
    this.streamHeaders = {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-sim-region': opts.region,
    };
    this.loadFn = backgroundLoad(opts.backgroundLoad, opts.backgroundWavePeriodMs, opts.region, shared.now);
    this.idPrefix = `chatcmpl-sim-${opts.region}-`;
    const perMinute = opts.capacityUnit === 'tokens-per-minute';
    // Other tenants' tokens per minute spend the same quota windows as the fleet's clients.
    const others = perMinute ? () => this.loadFn() : undefined;
    this.quota = opts.quota === null ? null : new SimQuota(opts.quota, shared.now, others);
    this.quotaFollowsCapacity = opts.quotaFollowsCapacity;
    this.charged = perMinute ? new TrailingMinute(shared.now) : null;
    this.server = createServer((req, res) => this.onRequest(req, res));
  }

  get url(): string {
    return this.urlValue;
  }

  inFlight(): number {
    return this.inFlightCount;
  }

  inUse(): number {
    return (this.charged === null ? this.heldUnits : this.charged.sum()) + this.loadFn();
  }

  capacity(): number {
    return this.capacityValue;
  }

  background(): number {
    return this.loadFn();
  }

  isListening(): boolean {
    return this.server.listening;
  }

  behaviour(): Required<SimBehaviour> {
    return {
      failStatus: this.failStatus,
      failModel: this.failModel,
      retryAfterSeconds: this.retryAfterSeconds,
      failShares: this.failShares?.shares ?? null,
    };
  }

  setCapacity(n: number): void {
    this.capacityValue = nonNegative(n, `capacity of region ${this.name}`);
    if (this.quotaFollowsCapacity) this.quota?.setTokensPerMinute(n);
  }

  setBackground(load: number): void {
    const base = nonNegative(load, `background of region ${this.name}`);
    this.loadFn = () => base;
  }

  setBehaviour(b: SimBehaviour): void {
    const status = b.failStatus;
    if (status !== undefined && status !== null && !(Number.isInteger(status) && status >= 400 && status <= 599)) {
      throw new RangeError(`failStatus: must be an HTTP error status 400-599 or null, got ${String(status)}`);
    }
    if (b.retryAfterSeconds !== undefined && !(Number.isInteger(b.retryAfterSeconds) && b.retryAfterSeconds >= 0)) {
      throw new RangeError(`retryAfterSeconds: must be an integer >= 0, got ${String(b.retryAfterSeconds)}`);
    }
    // Validated before anything changes, so a bad call leaves the behaviour as it was.
    const shares = b.failShares === undefined ? undefined : failSharesRule(b.failShares);
    if (status !== undefined) this.failStatus = status;
    if (shares !== undefined) this.failShares = shares;
    if (b.failModel !== undefined) this.failModel = b.failModel;
    if (b.retryAfterSeconds !== undefined) this.retryAfterSeconds = b.retryAfterSeconds;
  }

  lastRequest(): SimRequestRecord | null {
    return this.last;
  }

  start(): Promise<void> {
    return this.transition(async () => {
      if (this.shutDown) throw new Error(`region ${this.name}: the fleet is closed`);
      if (this.server.listening) return;
      // The first listen picks a free port; later ones reuse it so the router's config stays valid.
      this.port = await listenLocal(this.server, this.port);
      this.urlValue = `http://${SIM_HOST}:${this.port}`;
    });
  }

  stop(): Promise<void> {
    return this.transition(() => closeNow(this.server));
  }

  /** Final stop: later start() calls reject instead of reopening a closed fleet. */
  shutdown(): Promise<void> {
    this.shutDown = true;
    return this.stop();
  }

  release(outcome: Outcome, held: number): void {
    this.inFlightCount--;
    this.heldUnits -= held;
    if (outcome === 'served') this.stats.served++;
    else this.stats.aborted++;
  }

  private transition(op: () => Promise<void>): Promise<void> {
    const next = this.transitions.then(op);
    // Keep the chain alive after a failure; the caller still sees the rejection.
    this.transitions = next.catch(() => undefined);
    return next;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const route = apiRouteOf(path);
    if (route !== null) return this.accept(req, res, route);
    const stored = storedPathOf(path);
    if (stored !== null) return handleStored(this.store, req, res, stored, this.regionHeader, this.shared.now());
    if (path === '/metrics' && req.method === 'GET') return sendVllmMetrics(res, this.shared.models, this.load());
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      return sendJson(res, 200, JSON.stringify({ status: 'ok', region: this.name }), this.regionHeader);
    }
    sendError(res, 404, 'not_found', `no route for ${req.method ?? '?'} ${path}`, this.regionHeader);
  }

  private accept(req: IncomingMessage, res: ServerResponse, route: ApiRoute): void {
    if (req.method !== 'POST') {
      sendError(res, 405, 'method_not_allowed', `${route.api} takes POST`, { ...this.regionHeader, allow: 'POST' });
      return;
    }
    this.stats.received++;
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => this.handle(req, res, body, route));
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string, route: ApiRoute): void {
    this.last = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (err) {
      return this.reject400(res, 'invalid_json', `request body is not JSON: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return this.reject400(res, 'invalid_json', 'request body must be a JSON object');
    }
    const fields = parsed as Record<string, unknown>;
    const model = route.deployment ?? (typeof fields.model === 'string' && fields.model !== '' ? fields.model : null);
    if (model === null) return this.reject400(res, 'missing_model', 'request body has no "model" string');
    const byName = this.stats.receivedByDeployment;
    byName[model] = (byName[model] ?? 0) + 1;
    let format: ReplyFormat = CHAT_FORMAT;
    let turn: ResponseTurn | null = null;
    if (route.api === 'responses') {
      format = RESPONSES_FORMAT;
      // The state a request refers to must be in this region, as on the real service.
      const begun = beginTurn(this.store, fields);
      if (isStoredError(begun)) {
        if (begun.status === 400) this.stats.status400++;
        sendJson(res, begun.status, storedErrorBody(begun), this.regionHeader);
        return;
      }
      turn = begun;
    } else if (route.api === 'embeddings') {
      const request = embeddingsRequestOf(fields);
      if (typeof request === 'string') return this.reject400(res, 'invalid_request', request);
      format = embeddingsFormat(request);
    }

    const embeddings = route.api === 'embeddings';
    const promptTokens = Math.ceil(body.length / 4);
    const tokens = embeddings ? 0 : requestedTokens(fields, this.shared.defaultTokens);
    if (this.quota !== null) {
      // Charged on arrival by its estimate, as the service does; every answer says what is left.
      const refused = this.quota.admit(promptTokens + tokens);
      if (refused === null) this.charged?.add(promptTokens + tokens);
      this.quota.setHeaders(res);
      if (refused !== null) {
        this.stats.rejected429++;
        this.stats.rejectedQuota++;
        const message = `region ${this.name}: ${refused.dimension} per minute quota exceeded`;
        sendError(res, 429, 'RateLimitReached', message, {
          ...this.regionHeader,
          ...retryAfterHeaders(refused.retryAfterMs),
        });
        return;
      }
    }

    if (this.failStatus !== null || this.failShares !== null) {
      const engineModel = this.shared.deployments.get(model) ?? model;
      if (this.failModel === null || this.failModel === engineModel) {
        if (this.failStatus !== null) return this.injectFailure(res, this.failStatus, model);
        const status = this.sharesPicker.next(this.failShares as FailSharesRule);
        if (status !== null) return this.injectFailure(res, status, model);
      }
    }
    const orca = orcaFormatOf(req);
    const held = this.holdOf(promptTokens + tokens);
    if (!this.fits(held)) {
      if (orca !== null) res.setHeader(ORCA_RESPONSE_HEADER, this.orcaValue(orca));
      this.stats.rejected429++;
      this.stats.rejectedFull++;
      sendError(res, 429, 'rate_limited', this.fullMessage(held), { ...this.regionHeader, 'retry-after': '1' });
      return;
    }

    this.inFlightCount++;
    this.heldUnits += held;
    const now = this.shared.now();
    const completion = {
      id: this.idPrefix + String(++this.seq),
      created: Math.floor(now / 1000),
      model,
      promptTokens,
      // A request naming a prompt cache key finds half its prompt there (enough to see it counted).
      cachedTokens: typeof fields.prompt_cache_key === 'string' ? Math.floor(promptTokens / 2) : 0,
      includeUsage: (fields.stream_options as { include_usage?: unknown } | null | undefined)?.include_usage === true,
      // An embedding is computed in one pass: time to first token, no per-token time.
      tokens,
      orca,
      turn,
    };
    if (turn !== null) recordTurn(this.store, turn, () => response(completion, completionText(completion.tokens)));
    const exchange = new Exchange(this, res, completion, format, held);
    if (fields.stream === true && !embeddings) exchange.stream();
    else exchange.complete();
  }

  /** The capacity a request of `tokens` (prompt plus requested output) holds while it runs. */
  private holdOf(tokens: number): number {
    switch (this.capacityUnit) {
      case 'requests':
        return 1;
      case 'concurrent-tokens':
        return tokens;
      case 'tokens-per-minute':
        // Charged on arrival by the quota; nothing is held while it runs.
        return 0;
    }
  }

  /** Whether a request holding `held` may start now. */
  private fits(held: number): boolean {
    switch (this.capacityUnit) {
      case 'requests':
        // Room for one more while anything is left (background may be fractional).
        return this.heldUnits + this.loadFn() < this.capacityValue;
      case 'concurrent-tokens':
        return this.heldUnits + this.loadFn() + held <= this.capacityValue;
      case 'tokens-per-minute':
        return true;
    }
  }

  private fullMessage(held: number): string {
    if (this.capacityUnit === 'requests') return `region ${this.name} is at capacity (${this.capacityValue})`;
    const taken = Math.round(this.heldUnits + this.loadFn());
    return `region ${this.name} has no room for ${held} tokens (${taken} of ${this.capacityValue} tokens in flight)`;
  }

  /** What vLLM reports about its load, in the region's unit, other tenants' included. */
  private load(): RegionLoad {
    const inUse = this.inUse();
    const running = this.capacityUnit === 'requests' ? inUse : this.inFlightCount;
    return { unit: this.capacityUnit, running, inUse, capacity: this.capacityValue };
  }

  /** ORCA endpoint-load-metrics as of now (exchanges ask when they write their head). */
  orcaValue(format: OrcaFormat): string {
    return orcaHeaderValue(format, this.load());
  }

  private injectFailure(res: ServerResponse, status: number, model: string): void {
    this.stats.failed++;
    if (status === 400) this.stats.status400++;
    if (status === 429) this.stats.rejected429++;
    const headers =
      status === 429 || status === 503
        ? { ...this.regionHeader, 'retry-after': String(this.retryAfterSeconds) }
        : this.regionHeader;
    const message = `region ${this.name} injected ${status} for model ${model}`;
    sendError(res, status, 'sim_injected_failure', message, headers);
  }

  private reject400(res: ServerResponse, code: string, message: string): void {
    this.stats.status400++;
    sendError(res, 400, code, message, this.regionHeader);
  }
}

/** max_tokens (or the newer max_completion_tokens, or the Responses API's max_output_tokens) when it is a positive integer. */
function requestedTokens(body: Record<string, unknown>, fallback: number): number {
  const n = body.max_tokens ?? body.max_completion_tokens ?? body.max_output_tokens;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : fallback;
}
