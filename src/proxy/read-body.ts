// Buffers a request body up to a limit and a deadline. Inference requests are small JSON
// documents; holding the body lets the router replay it on a retry. Each chunk can also
// go to a scanner as it arrives (finding the deployment of an OpenAI-style body), so
// that work is spread over the reads instead of done at once at the end.
//
// The listeners are module-level functions that find their state on the request, so a
// request costs one small state object here rather than a set of closures. That object
// is also its entry in the body-deadline list.
import type { IncomingMessage } from 'node:http';
import type { DeadlineEntry, DeadlineList } from './deadline-list.js';

export type BodyResult =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly reason: 'too-large' | 'timeout' | 'error' };

/** Sees each chunk of the body as it arrives, while the body is within its limit. */
export interface ChunkSink {
  feed(chunk: Buffer): void;
}

const EMPTY = Buffer.alloc(0);
const TOO_LARGE: BodyResult = Object.freeze({ ok: false, reason: 'too-large' });
const TIMED_OUT: BodyResult = Object.freeze({ ok: false, reason: 'timeout' });
const FAILED: BodyResult = Object.freeze({ ok: false, reason: 'error' });
const kRead = Symbol('switchyard.bodyRead');

type Reading = IncomingMessage & { [kRead]?: BodyRead | null };

class BodyRead implements DeadlineEntry {
  first: Buffer | null = null;
  rest: Buffer[] | null = null;
  size = 0;
  deadlineAt = 0;
  deadlinePrev: DeadlineEntry | null = null;
  deadlineNext: DeadlineEntry | null = null;
  deadlineListed = false;

  constructor(
    readonly req: Reading,
    readonly limit: number,
    readonly sink: ChunkSink | null,
    readonly deadlines: DeadlineList,
    readonly done: (result: BodyResult) => void,
  ) {}

  onDeadline(): void {
    finish(this.req, TIMED_OUT);
  }
}

function finish(req: Reading, result: BodyResult): void {
  const state = req[kRead];
  if (state == null) return;
  req[kRead] = null;
  state.deadlines.remove(state);
  req.removeListener('data', onData);
  req.removeListener('end', onEnd);
  req.removeListener('error', onError);
  if (!result.ok) req.pause();
  state.done(result);
}

function onData(this: Reading, chunk: Buffer): void {
  const state = this[kRead];
  if (state == null) return;
  state.size += chunk.length;
  if (state.size > state.limit) {
    finish(this, TOO_LARGE);
    return;
  }
  state.sink?.feed(chunk);
  if (state.first === null) state.first = chunk;
  else (state.rest ??= [state.first]).push(chunk);
}

function onEnd(this: Reading): void {
  const state = this[kRead];
  if (state == null) return;
  const body = state.rest !== null ? Buffer.concat(state.rest, state.size) : (state.first ?? EMPTY);
  finish(this, { ok: true, body });
}

function onError(this: Reading): void {
  finish(this, FAILED);
}

/**
 * Reads the body of `req`, which arrived at `startedAt` (performance.now()); `done` is
 * called once: with the body, or with why there is none (over `limit` bytes, not all
 * received by the list's deadline, or a broken connection).
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  sink: ChunkSink | null,
  deadlines: DeadlineList,
  startedAt: number,
  done: (result: BodyResult) => void,
): void {
  const state = new BodyRead(req as Reading, limit, sink, deadlines, done);
  (req as Reading)[kRead] = state;
  deadlines.add(state, startedAt);
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
}
