// Buffers a request body up to a limit. Inference requests are small JSON documents;
// holding the body lets the router read `model` and replay it on a retry.
import type { IncomingMessage } from 'node:http';

export type BodyResult = { readonly ok: true; readonly body: Buffer } | { readonly ok: false; readonly tooLarge: boolean; readonly error: Error | null };

const EMPTY = Buffer.alloc(0);

export function readBody(req: IncomingMessage, limit: number, done: (result: BodyResult) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (result: BodyResult): void => {
    if (finished) return;
    finished = true;
    req.removeListener('data', onData);
    req.removeListener('end', onEnd);
    req.removeListener('error', onError);
    done(result);
  };
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > limit) {
      req.pause();
      finish({ ok: false, tooLarge: true, error: null });
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = (): void => {
    finish({ ok: true, body: chunks.length === 0 ? EMPTY : chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) });
  };
  const onError = (err: Error): void => finish({ ok: false, tooLarge: false, error: err });
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
}
