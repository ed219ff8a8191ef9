// Every error the router answers by itself, with a stable code. The README documents
// each one; a test keeps the two lists equal.
import { STATUS_CODES, type ServerResponse } from 'node:http';
import { ALLOW } from './methods.js';

export const ROUTER_ERRORS = {
  DeploymentNotFound: 404,
  MissingDeployment: 400,
  InvalidJson: 400,
  InvalidPath: 400,
  InvalidRequest: 400,
  MethodNotAllowed: 405,
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
  QueueTimeout: 429,
  Shed: 429,
  InvalidHeader: 400,
  HomeRegionUnavailable: 503,
  HomeOutsideBoundary: 400,
  StoredObjectNotFound: 404,
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
  MethodNotAllowed: 'invalid_request_error',
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
  QueueTimeout: 'rate_limit_exceeded',
  Shed: 'rate_limit_exceeded',
  InvalidHeader: 'invalid_request_error',
  HomeRegionUnavailable: 'server_error',
  HomeOutsideBoundary: 'invalid_request_error',
  StoredObjectNotFound: 'invalid_request_error',
};

export type OpenAiErrorType = 'invalid_request_error' | 'rate_limit_exceeded' | 'server_error';

function errorBody(code: RouterErrorCode, message: string): string {
  return JSON.stringify({ error: { code, type: ROUTER_ERROR_TYPES[code], message } });
}

/**
 * Writes `{"error":{"code","type","message"}}`. close: the request body was not read,
 * so the connection cannot be reused safely. A 405 says in `Allow` what is forwarded.
 * A Retry-After that is not a whole number of seconds goes out rounded up, and exactly
 * as `retry-after-ms` (Azure OpenAI's header, which the OpenAI SDKs prefer).
 */
export function sendError(
  res: ServerResponse,
  code: RouterErrorCode,
  message: string,
  retryAfterS: number | null = null,
  close = false,
): number {
  const status = ROUTER_ERRORS[code];
  const body = errorBody(code, message);
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  };
  if (code === 'MethodNotAllowed') headers.allow = ALLOW;
  if (retryAfterS !== null) {
    headers['retry-after'] = String(Math.ceil(retryAfterS));
    if (!Number.isInteger(retryAfterS)) headers['retry-after-ms'] = String(Math.round(retryAfterS * 1000));
  }
  if (close) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
  return status;
}

/**
 * The same answer as raw HTTP/1.1 bytes, for a socket Node hands over without a
 * response object (a CONNECT request); the connection closes after it.
 */
export function rawErrorResponse(code: RouterErrorCode, message: string): string {
  const status = ROUTER_ERRORS[code];
  const body = errorBody(code, message);
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    `date: ${new Date().toUTCString()}\r\n` +
    'content-type: application/json; charset=utf-8\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    (code === 'MethodNotAllowed' ? `allow: ${ALLOW}\r\n` : '') +
    `connection: close\r\n\r\n${body}`
  );
}
