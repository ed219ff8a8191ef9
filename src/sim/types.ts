import type { SimCapacityUnit } from './capacity-unit.js';
import type { SimQuotaOptions } from './quota.js';

// The public shape of the simulated fleet. The demo, the end-to-end tests and the
// benchmarks depend on these interfaces only, never on the classes behind them.

export interface SimRegionOptions {
  region: string;
  /**
   * What capacity, background load and telemetry count (capacity-unit.ts); default the
   * fleet's capacityUnit.
   */
  capacityUnit?: SimCapacityUnit;
  /**
   * What this region admits, all models sharing it, in its capacity unit: concurrent
   * requests, tokens in flight (prompt plus requested output), or tokens per minute (the
   * quota's token limit unless `quota.tokensPerMinute` is set).
   */
  capacity: number;
  /** Time to first token (default 0). */
  ttftMs?: number;
  /** Delay between tokens (default 0). */
  perTokenMs?: number;
  /**
   * Other tenants' load in the capacity unit (requests, tokens in flight, or tokens per
   * minute): counts against capacity (a tokens-per-minute region: against every quota
   * window, pro rata) and in telemetry inUse (default 0).
   */
  backgroundLoad?: number;
  /**
   * When set, background load follows base*(1+0.5*sin(2*pi*t/period + phase)), with a
   * phase derived from the region name so regions do not move in lockstep.
   */
  backgroundWavePeriodMs?: number;
  /**
   * Enforce requests / tokens per minute over sub-windows, with Azure OpenAI's answers
   * (429 + Retry-After + retry-after-ms, x-ratelimit-* on every answer): see quota.ts.
   */
  quota?: SimQuotaOptions;
}

export interface SimFleetOptions {
  regions: SimRegionOptions[];
  /** Every region's capacity unit unless it sets its own (default requests). */
  capacityUnit?: SimCapacityUnit;
  /** Telemetry reports one entry per region per model. */
  models: string[];
  /** Tokens per completion when the request sets no max_tokens (default 16). */
  defaultTokens?: number;
  /** When set, non-streaming answers are padded to about this many bytes. */
  responseBytes?: number;
  /** Clock for telemetry `at`, `created` and the background wave (default Date.now). */
  now?: () => number;
  /**
   * Azure deployment name -> the model it serves, as a real regional endpoint maps them.
   * A failing model (SimBehaviour.failModel) then fails through every deployment of it.
   * A name not listed (and the OpenAI path's body `model`) is its own model.
   */
  deployments?: Readonly<Record<string, string>>;
}

export interface SimRequestRecord {
  method: string;
  /** Path and query exactly as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface SimRegionStats {
  /** Inference requests (chat, responses, embeddings) that reached the backend (any outcome). */
  received: number;
  /** 200 answers completed (streams: [DONE] written). */
  served: number;
  /** Every 429 sent: admission rejections and injected 429s. */
  rejected429: number;
  /** Admitted requests whose client went away before the answer ended. */
  aborted: number;
  /** Every 400 sent: invalid JSON, missing model and injected 400s. */
  status400: number;
  /** Answers produced by setBehaviour's failStatus or failShares, whatever the status. */
  failed: number;
  /**
   * 429s sent because the region was full (requests: in flight + background >= capacity;
   * concurrent tokens: held + background + the request's tokens > capacity); injected ones excluded.
   */
  rejectedFull: number;
  /** 429s sent because the region's quota window was spent (quota.ts). */
  rejectedQuota: number;
  /**
   * Chat requests per name: the Azure path's deployment, else the OpenAI body's `model`
   * (which names the deployment behind a router). Lets a test see which deployments
   * reached this region, e.g. to check that none crossed its boundary.
   */
  receivedByDeployment: Record<string, number>;
}

export interface SimBehaviour {
  /** Status to answer instead of serving; null serves normally. */
  failStatus?: number | null;
  /** Only this model fails (a deployment name, or a model of SimFleetOptions.deployments); null means every model. */
  failModel?: string | null;
  /** Sent as Retry-After with injected 429 and 503 (default 1). */
  retryAfterSeconds?: number;
  /**
   * Part of the failing model's requests fail, the rest are served: status -> fraction,
   * e.g. `{ 400: 0.6, 429: 0.1 }` (fractions > 0, summing to at most 1). Spread evenly
   * over the requests without randomness (0.6 fails 6 of every 10), so a replay is
   * repeatable. Applies while failStatus is null; null (or {}) turns it off.
   */
  failShares?: Readonly<Record<number, number>> | null;
}

/**
 * One simulated region: a vLLM-like server. Besides chat completions its URL answers
 * GET /metrics (Prometheus text format, vLLM's gauges vllm:num_requests_running,
 * vllm:num_requests_waiting and vllm:kv_cache_usage_perc, one series per model,
 * labelled model_name; no region label, which a scrape config adds per target), and an
 * answer carries ORCA endpoint-load-metrics (TEXT or JSON, named_metrics
 * kv_cache_usage_perc and num_requests_waiting) when its request asks with
 * endpoint-load-metrics-format: text (or json). Both count other tenants' load.
 * kv_cache_usage_perc is inUse / capacity in the region's unit; a region whose unit is
 * not requests adds the gauges sim_capacity and sim_in_use (labelled model_name and
 * unit) so a Prometheus query can read its figures in that unit.
 */
export interface SimRegion {
  readonly name: string;
  /** "http://127.0.0.1:PORT"; the port survives stop()/start(). */
  readonly url: string;
  readonly capacityUnit: SimCapacityUnit;
  /** Requests currently being served, background load excluded. */
  inFlight(): number;
  /**
   * Capacity taken now, in the capacity unit, background included: what telemetry
   * reports as inUse (before rounding). Requests in flight, tokens they hold, or tokens
   * charged over the trailing minute.
   */
  inUse(): number;
  capacity(): number;
  /** Current background load in the capacity unit (fractional while a wave is set). */
  background(): number;
  isListening(): boolean;
  behaviour(): Required<SimBehaviour>;
  readonly stats: Readonly<SimRegionStats>;
  setCapacity(n: number): void;
  /** Other tenants' load from now on, in the capacity unit, a constant (a wave set at start-up stops). */
  setBackground(load: number): void;
  /** Only the keys given change; failStatus and failShares null restore normal serving. */
  setBehaviour(b: SimBehaviour): void;
  /** Closes the listener and destroys its sockets: connections are refused (an outage). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  lastRequest(): SimRequestRecord | null;
}

export type TelemetryFailMode = 'status500' | 'malformed' | 'hang';
export type RegionTelemetryMode = 'live' | 'dropped' | 'frozen';

export interface SimTelemetryControls {
  /** Omit the region's reports. */
  drop(region: string): void;
  /** Keep reporting the region's current figures with their current `at`, which then ages. */
  freeze(region: string): void;
  /** Undo drop/freeze. */
  restore(region: string): void;
  /** Break the whole endpoint: HTTP 500, a non-JSON body, or no answer until closed; null heals. */
  fail(mode: TelemetryFailMode | null): void;
  /** How many GET /telemetry it has answered or held. */
  polls(): number;
  failMode(): TelemetryFailMode | null;
  regionMode(region: string): RegionTelemetryMode;
}

export interface SimFleet {
  readonly backends: ReadonlyArray<{ region: string; url: string }>;
  /** "http://127.0.0.1:PORT/telemetry" */
  readonly telemetryUrl: string;
  /** "http://127.0.0.1:PORT/control", on the telemetry server. */
  readonly controlUrl: string;
  region(name: string): SimRegion;
  readonly regions: ReadonlyArray<SimRegion>;
  readonly telemetry: SimTelemetryControls;
  /** Closes every server and destroys open sockets; idempotent. */
  close(): Promise<void>;
}
