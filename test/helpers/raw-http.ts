// Raw HTTP/1.1 over a TCP socket, for requests no well-behaved client would send
// (odd targets, Expect headers, bodies shorter than declared, trickled bytes). The
// answer is parsed just enough to assert on: status, headers and body.
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  /** 0 when the connection closed without a status line. */
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Everything after the first header block (interim 1xx answers skipped). */
  readonly body: string;
  /** Bytes received in all. */
  readonly bytes: number;
}

export interface RawOptions {
  /** Give up (rejecting) when the server has neither answered nor closed by then. */
  readonly timeoutMs?: number;
  /** Written after the request bytes, one piece per tick of `trickleMs`. */
  readonly trickle?: readonly Buffer[];
  readonly trickleMs?: number;
}

/** An answer is complete when the server closes, or when its Content-Length body is in. */
export function rawRequest(port: number, request: Buffer | string, opts: RawOptions = {}): Promise<RawAnswer> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    let trickleTimer: NodeJS.Timeout | null = null;
    const done = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (trickleTimer !== null) clearInterval(trickleTimer);
      socket.destroy();
      if (err !== null) reject(err);
      else resolve(parseAnswer(Buffer.concat(chunks)));
    };
    const deadline = setTimeout(
      () => done(new Error(`no complete answer within ${timeoutMs} ms (got ${Buffer.concat(chunks).length} bytes)`)),
      timeoutMs,
    );
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      if (isComplete(Buffer.concat(chunks))) done(null);
    });
    socket.on('close', () => done(null));
    socket.on('error', () => done(null));
    socket.write(request);
    const pieces = opts.trickle ?? [];
    if (pieces.length > 0) {
      let next = 0;
      trickleTimer = setInterval(() => {
        if (next < pieces.length && !socket.destroyed) socket.write(pieces[next++] as Buffer);
        else if (trickleTimer !== null) clearInterval(trickleTimer);
      }, opts.trickleMs ?? 50);
    }
  });
}

/** A socket that has sent `request` and is kept open; for slow-client tests. */
export function openRaw(port: number, request: Buffer | string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(request);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

function headerEnd(buf: Buffer, from: number): number {
  const i = buf.indexOf('\r\n\r\n', from);
  return i === -1 ? -1 : i + 4;
}

/** Skips interim (1xx) header blocks; returns where the final one starts. */
function finalHeadStart(buf: Buffer): number {
  let start = 0;
  for (;;) {
    const line = buf.toString('latin1', start, Math.min(buf.length, start + 16));
    if (!/^HTTP\/1\.[01] 1\d\d/.test(line)) return start;
    const end = headerEnd(buf, start);
    if (end === -1) return start;
    start = end;
  }
}

function isComplete(buf: Buffer): boolean {
  const start = finalHeadStart(buf);
  const end = headerEnd(buf, start);
  if (end === -1) return false;
  const head = buf.toString('latin1', start, end);
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length === null) return false;
  return buf.length - end >= Number(length[1]);
}

function parseAnswer(buf: Buffer): RawAnswer {
  const start = finalHeadStart(buf);
  const end = headerEnd(buf, start);
  if (end === -1) return { status: 0, headers: {}, body: buf.toString('latin1', start), bytes: buf.length };
  const lines = buf.toString('latin1', start, end - 4).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: buf.toString('utf8', end), bytes: buf.length };
}
