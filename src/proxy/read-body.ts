// Buffers a request body up to a limit. Inference requests are small JSON documents;
// holding the body lets the router read `model` and replay it on a retry.
//
// The listeners are module-level functions that find their state on the request, so a
// request costs one small state object here rather than a set of closures.
import type { IncomingMessage } from 'node:http';

export type BodyResult =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly tooLarge: boolean; readonly error: Error | null };

const EMPTY = Buffer.alloc(0);
const kRead = Symbol('switchyard.bodyRead');

class BodyRead {
  first: Buffer | null = null;
  rest: Buffer[] | null = null;
  size = 0;

  constructor(
    readonly limit: number,
    readonly done: (result: BodyResult) => void,
  ) {}
}

type Reading = IncomingMessage & { [kRead]?: BodyRead | null };

function finish(req: Reading, result: BodyResult): void {
  const state = req[kRead];
  if (state == null) return;
  req[kRead] = null;
  req.removeListener('data', onData);
  req.removeListener('end', onEnd);
  req.removeListener('error', onError);
  state.done(result);
}

function onData(this: Reading, chunk: Buffer): void {
  const state = this[kRead];
  if (state == null) return;
  state.size += chunk.length;
  if (state.size > state.limit) {
    this.pause();
    finish(this, { ok: false, tooLarge: true, error: null });
    return;
  }
  if (state.first === null) state.first = chunk;
  else (state.rest ??= [state.first]).push(chunk);
}

function onEnd(this: Reading): void {
  const state = this[kRead];
  if (state == null) return;
  const body = state.rest !== null ? Buffer.concat(state.rest, state.size) : (state.first ?? EMPTY);
  finish(this, { ok: true, body });
}

function onError(this: Reading, err: Error): void {
  finish(this, { ok: false, tooLarge: false, error: err });
}

export function readBody(req: IncomingMessage, limit: number, done: (result: BodyResult) => void): void {
  (req as Reading)[kRead] = new BodyRead(limit, done);
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
}
