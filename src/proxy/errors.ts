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
 * Writes `{"error":{"code","message"}}`. close: the request body was not read, so the
 * connection cannot be reused safely.
 */
export function sendError(
  res: ServerResponse,
  code: RouterErrorCode,
  message: string,
  retryAfterS: number | null = null,
  close = false,
): number {
  const status = ROUTER_ERRORS[code];
  const body = JSON.stringify({ error: { code, message } });
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
