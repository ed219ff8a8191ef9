// Every error the router answers by itself, with a stable code. The README documents
// each one; a test keeps the two lists equal.
import type { ServerResponse } from 'node:http';

export const ROUTER_ERRORS = {
  DeploymentNotFound: 404,
  MissingDeployment: 400,
  InvalidJson: 400,
  InvalidPath: 400,
  InvalidRequest: 400,
  PayloadTooLarge: 413,
  RequestTimeout: 408,
  NoCapacity: 429,
  NoRegionAvailable: 503,
  UpstreamUnavailable: 502,
  UpstreamConnectTimeout: 504,
  UpstreamTimeout: 504,
  UpstreamError: 502,
  ShuttingDown: 503,
  Overloaded: 429,
} as const;

export type RouterErrorCode = keyof typeof ROUTER_ERRORS;

/**
 * OpenAI's error `type` for each code, so that OpenAI clients read the router's errors
 * as they read the service's: the SDKs pick their error class by status (404 ->
 * NotFoundError, 429 -> RateLimitError, ...) and expose `type`; OpenAI itself says
 * invalid_request_error for every request it refuses (an unknown model included),
 * rate_limit_exceeded for a 429 and server_error for its own failures.
 */
export const ROUTER_ERROR_TYPES: { readonly [K in RouterErrorCode]: OpenAiErrorType } = {
  DeploymentNotFound: 'invalid_request_error',
  MissingDeployment: 'invalid_request_error',
  InvalidJson: 'invalid_request_error',
  InvalidPath: 'invalid_request_error',
  InvalidRequest: 'invalid_request_error',
  PayloadTooLarge: 'invalid_request_error',
  RequestTimeout: 'invalid_request_error',
  NoCapacity: 'rate_limit_exceeded',
  NoRegionAvailable: 'server_error',
  UpstreamUnavailable: 'server_error',
  UpstreamConnectTimeout: 'server_error',
  UpstreamTimeout: 'server_error',
  UpstreamError: 'server_error',
  ShuttingDown: 'server_error',
  Overloaded: 'rate_limit_exceeded',
};

export type OpenAiErrorType = 'invalid_request_error' | 'rate_limit_exceeded' | 'server_error';

/**
 * Writes `{"error":{"code","type","message"}}`. close: the request body was not read,
 * so the connection cannot be reused safely.
 */
export function sendError(
  res: ServerResponse,
  code: RouterErrorCode,
  message: string,
  retryAfterS: number | null = null,
  close = false,
): number {
  const status = ROUTER_ERRORS[code];
  const body = JSON.stringify({ error: { code, type: ROUTER_ERROR_TYPES[code], message } });
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  };
  if (retryAfterS !== null) headers['retry-after'] = String(retryAfterS);
  if (close) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
  return status;
}
