// What an attempt's failure (before any response) says, and about whom. The one fact
// that decides it is whether undici had begun writing the request to a backend
// (its onConnect, called right before the first byte is written):
//
// - not written, network error: the backend was unreachable. Nothing reached it, so
//   the request may go to another region, and it counts as a connect failure.
// - not written, anything else: undici refused the request itself (a header or path
//   it will not send: UND_ERR_INVALID_ARG, UND_ERR_NOT_SUPPORTED) or the pool was
//   closing. No backend was involved: it is never a backend outcome, and a refused
//   request is the client's error.
// - written: the backend has (or may have) the request. Whatever went wrong next (a
//   reset, an unsolicited 100 Continue, a timeout) is its outcome, and sending the
//   request again could run it twice.
import { CONNECT_ERRORS } from './retry-policy.js';

/**
 * Retry-After (s) when every region tried refused the connection. Short: a refused
 * connection is cheap to try again and a restarting backend is often back within a
 * second; a region that keeps refusing is ejected, and the plan's own rejection (with
 * its longer Retry-After) takes over.
 */
export const UNREACHABLE_RETRY_AFTER_S = 1;

export type AttemptFailure = 'unreachable' | 'refused-request' | 'not-sent' | 'failed-after-send';

// Errors undici (and Node's header checks beneath it) raise for a request they will not send.
const REFUSED_REQUEST: ReadonlySet<string> = new Set([
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_HTTP_INVALID_HEADER_VALUE',
  'ERR_UNESCAPED_CHARACTERS',
]);

export function attemptFailureOf(code: string, written: boolean): AttemptFailure {
  if (written) return 'failed-after-send';
  if (CONNECT_ERRORS.has(code)) return 'unreachable';
  if (REFUSED_REQUEST.has(code)) return 'refused-request';
  return 'not-sent';
}

/** Whether an attempt that ended with (status, errorCode) counts for the backend's health. */
export function isBackendOutcome(status: number, errorCode: string | null, written: boolean): boolean {
  return status !== 0 || written || (errorCode !== null && CONNECT_ERRORS.has(errorCode));
}
