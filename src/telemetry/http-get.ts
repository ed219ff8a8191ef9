// One GET of a polled source: the answer's status and its body as text, the body
// counted against a byte limit as it arrives. Every way it can go wrong becomes a
// PollFailure with a reason the metrics count by.
import type { Dispatcher } from 'undici';
import { readLimitedText } from './read-limited.js';

export type FailureReason = 'connect' | 'timeout' | 'http_status' | 'malformed' | 'too_large';

export class PollFailure extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
  }
}

export interface Fetched {
  readonly status: number;
  readonly text: string;
}

export interface GetOptions {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Aborted by the poll's deadline (or by stop()). */
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  /** Read the body of a non-2xx answer too (an API's error message); otherwise it is discarded unread. */
  readonly errorBodies: boolean;
}

/** The answer whatever its status; a body over the limit fails as too_large, its connection closed. */
export async function getLimitedText(dispatcher: Dispatcher, opts: GetOptions): Promise<Fetched> {
  let res: Dispatcher.ResponseData;
  try {
    res = await dispatcher.request({ path: opts.path, method: 'GET', signal: opts.signal, headers: opts.headers });
  } catch (err) {
    throw transportFailure(err as Error, opts);
  }
  if (!opts.errorBodies && (res.statusCode < 200 || res.statusCode >= 300)) {
    await res.body.dump();
    return { status: res.statusCode, text: '' };
  }
  const limit = opts.maxBodyBytes;
  const declared = Number(res.headers['content-length'] ?? 0);
  if (declared > limit) {
    res.body.destroy();
    throw new PollFailure('too_large', `telemetry body of ${declared} bytes exceeds telemetry.maxBodyBytes ${limit}`);
  }
  let read: Awaited<ReturnType<typeof readLimitedText>>;
  try {
    read = await readLimitedText(res.body, limit);
  } catch (err) {
    throw transportFailure(err as Error, opts);
  }
  if (!read.ok) throw new PollFailure('too_large', `telemetry body exceeds telemetry.maxBodyBytes ${limit}`);
  return { status: res.statusCode, text: read.text };
}

function transportFailure(err: Error, opts: GetOptions): PollFailure {
  const code = (err as { code?: string }).code ?? err.name;
  if (
    opts.signal.aborted ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    return new PollFailure('timeout', `no answer within ${opts.timeoutMs} ms`);
  }
  return new PollFailure('connect', `${code}: ${err.message}`);
}
