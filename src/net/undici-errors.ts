// What undici's and Node's error codes mean to the router, in one place: which say the
// backend could not be reached, which are timeouts, which mean undici refused to send
// the request at all. The data plane (retries and answers), resilience (what counts
// against a backend) and the telemetry poller (why a poll failed) read them here.
//
// The one fact that decides an attempt's failure (before any response) is whether
// undici had begun writing the request to a backend (its onRequestStart, called
// right before the first byte is written):
// - not written, network error: the backend was unreachable. Nothing reached it, so
//   the request may go to another region, and it counts as a connect failure.
// - not written, anything else: undici refused the request itself (a header or path
//   it will not send: UND_ERR_INVALID_ARG, UND_ERR_NOT_SUPPORTED) or the pool was
//   closing. No backend was involved: it is never a backend outcome, and a refused
//   request is the client's error.
// - written: the backend has (or may have) the request. Whatever went wrong next (a
//   reset, a timeout) is its outcome, and sending the request again could run it
//   twice. (An unsolicited 100 Continue, which undici cannot read, is the one failure
//   after writing that is not the backend's outcome; see isUnsolicitedContinue.)

/** Errors that mean the request never reached an application. */
export const CONNECT_ERRORS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'EPIPE',
]);

// An https backend whose certificate cannot be trusted (or that speaks no TLS): the
// handshake fails before the request is written, so nothing reached the application,
// and the backend is as unusable as one that refuses connections. Node's own codes for
// certificate checks, and OpenSSL's (ERR_SSL_...) for the handshake itself.
const TLS_ERRORS: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A connect failure: CONNECT_ERRORS, or a TLS handshake or certificate check that failed. */
export function isConnectError(code: string): boolean {
  return CONNECT_ERRORS.has(code) || TLS_ERRORS.has(code) || code.startsWith('ERR_SSL_');
}

const TIMEOUTS: ReadonlySet<string> = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

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

/**
 * Retry-After (s) when no region tried could be connected to. Short: a refused
 * connection is cheap to try again and a restarting backend is often back within a
 * second; a region that keeps refusing is ejected, and the plan's own rejection (with
 * its longer Retry-After) takes over.
 */
export const UNREACHABLE_RETRY_AFTER_S = 1;

export type AttemptFailure = 'unreachable' | 'refused-request' | 'not-sent' | 'failed-after-send';

/** The stable code of an error (undici's and Node's `code`), else its name. */
export function errorCodeOf(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : err.name;
}

export function isTimeoutError(code: string): boolean {
  return TIMEOUTS.has(code);
}

export function attemptFailureOf(code: string, written: boolean): AttemptFailure {
  if (written) return 'failed-after-send';
  if (isConnectError(code)) return 'unreachable';
  if (REFUSED_REQUEST.has(code)) return 'refused-request';
  return 'not-sent';
}

/**
 * An answer that began with `100 Continue` to a request that did not ask for one. HTTP
 * allows it (a client must read past any 1xx), but undici's HTTP/1 client, which
 * sends no `Expect: 100-continue`, drops the connection on it with this error, before
 * the final answer can be read. It says nothing of the backend's health: the router
 * answers the client with an error that names the cause and does not count it against
 * the backend. Recognised by undici's message, which a test pins for the undici in use.
 */
export function isUnsolicitedContinue(err: Error): boolean {
  return errorCodeOf(err) === 'UND_ERR_SOCKET' && err.message === 'bad response';
}

/** The error code the router records for an unsolicited 100 Continue. */
export const UNSOLICITED_CONTINUE = 'UnsolicitedContinue';

/** Whether an attempt that ended with (status, errorCode) counts for the backend's health. */
export function isBackendOutcome(status: number, errorCode: string | null, written: boolean): boolean {
  return status !== 0 || written || (errorCode !== null && isConnectError(errorCode));
}
