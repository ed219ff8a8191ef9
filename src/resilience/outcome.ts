// What the data plane reports of every attempt, and the part of a backend that
// resilience keeps its books on. Resilience defines these so that the data plane
// depends on it, never the other way round.
import type { RateLimitReading } from '../telemetry/in-band/rate-limits.js';

/** A backend as resilience sees it: where it is, and its connect-failure record. */
export interface BackendHealth {
  readonly region: string;
  readonly url: string;
  /** Connect failures in a row; at the outlier threshold the backend is skipped for a while. */
  connectFailures: number;
  /** The backend is skipped (unless its region has no other) until then (ms since epoch). */
  ejectedUntilMs: number;
}

/**
 * What the data plane learns from each attempt. Positional arguments, so reporting an
 * attempt makes no object on the hot path.
 * status: HTTP status, or 0 when the attempt failed before a response.
 * headersSeconds: time to response headers, null without a response.
 * written: undici had begun writing the request to the backend (see net/undici-errors.ts);
 * a failure before that is either a connect failure or no backend outcome at all.
 * Undefined (callers that cannot tell) judges a failure by its error code alone.
 * rateLimits: the answer's x-ratelimit-* headers (quota-windows.ts), null when it sent none.
 */
export type OutcomeSink = (
  model: string,
  backend: BackendHealth,
  status: number,
  errorCode: string | null,
  retryAfterMs: number | null,
  headersSeconds: number | null,
  written?: boolean,
  rateLimits?: RateLimitReading | null,
) => void;

/**
 * A dispatch, as it leaves for a region: what a quota window is charged on arrival.
 * tokens: the request's estimated cost in tokens, 0 when unknown.
 */
export type DispatchSink = (model: string, region: string, tokens: number) => void;

/** A request the region refused, or that failed before it had it: its quota charge is taken back. */
export type RefundSink = (model: string, region: string, tokens: number, sentAtMs: number) => void;
