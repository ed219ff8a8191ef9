// A strict HTTP/1.1 response parser for tests that check the bytes a client receives:
// the status line, header lines (duplicates kept, in order), and the body's framing
// (Content-Length, chunked with every size line and CRLF checked, or the connection's
// close). Anything a lenient client would forgive is an error here, naming the offset
// and what was expected, so that a test fails on a framing mistake instead of reading
// past it. Interim 1xx answers are parsed and kept apart. Also the one way tests send
// raw requests (odd targets, Expect headers, bodies shorter than declared, trickled
// bytes): strictExchange / rawRequest, and openRaw for a socket the test drives itself.
import { connect, type Socket } from 'node:net';

export interface StrictResponse {
  readonly status: number;
  readonly reason: string;
  /** [name, value] in the order received; names as sent. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Buffer;
  readonly framing: 'content-length' | 'chunked' | 'close' | 'none';
  /** Interim answers (1xx) before this one. */
  readonly interim: readonly number[];
  /** Bytes of the input this response took (a next response starts there). */
  readonly consumed: number;
}

export class StrictHttpError extends Error {}

const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.[01] ([1-5][0-9]{2}) ([\t !-~\x80-\xff]*)$/;

/** The header's values, case-insensitively, in order. */
export function headerValues(res: StrictResponse, name: string): string[] {
  const lower = name.toLowerCase();
  return res.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

/**
 * Parses one response from `bytes`. closed: the connection has ended, so a body
 * delimited by the close is complete. Returns null when more bytes are needed.
 * method: the request's, since a HEAD answer has no body whatever it declares.
 */
export function parseStrictResponse(bytes: Buffer, closed: boolean, method = 'POST'): StrictResponse | null {
  const interim: number[] = [];
  let at = 0;
  for (;;) {
    const head = readHead(bytes, at);
    if (head === null) {
      if (closed) fail(at, 'a complete status line and header block before the connection closed', bytes);
      return null;
    }
    at = head.end;
    if (head.status >= 100 && head.status < 200) {
      interim.push(head.status);
      continue;
    }
    const body = readBody(bytes, at, head.status, head.headers, closed, method);
    if (body === null) return null;
    return {
      status: head.status,
      reason: head.reason,
      headers: head.headers,
      body: body.body,
      framing: body.framing,
      interim,
      consumed: body.end,
    };
  }
}

function fail(at: number, expected: string, bytes: Buffer): never {
  const near = JSON.stringify(bytes.subarray(at, at + 40).toString('latin1'));
  throw new StrictHttpError(`at byte ${at}: expected ${expected}; found ${near}`);
}

function readLine(bytes: Buffer, at: number): { line: string; next: number } | null {
  const cr = bytes.indexOf(13, at);
  if (cr === -1 || cr + 1 >= bytes.length) return null;
  if (bytes[cr + 1] !== 10) fail(cr, 'CRLF (a CR is always followed by LF)', bytes);
  const lf = bytes.indexOf(10, at);
  if (lf !== -1 && lf < cr) fail(lf, 'CRLF, not a bare LF', bytes);
  return { line: bytes.subarray(at, cr).toString('latin1'), next: cr + 2 };
}

interface Head {
  status: number;
  reason: string;
  headers: Array<[string, string]>;
  end: number;
}

function readHead(bytes: Buffer, start: number): Head | null {
  const first = readLine(bytes, start);
  if (first === null) return null;
  const m = STATUS_LINE.exec(first.line);
  if (m === null) fail(start, 'a status line "HTTP/1.1 NNN reason"', bytes);
  const headers: Array<[string, string]> = [];
  let at = first.next;
  for (;;) {
    const l = readLine(bytes, at);
    if (l === null) return null;
    if (l.line === '') return { status: Number(m[1]), reason: m[2] ?? '', headers, end: l.next };
    if (l.line[0] === ' ' || l.line[0] === '\t')
      fail(at, 'a header line (obsolete line folding is not allowed)', bytes);
    const colon = l.line.indexOf(':');
    const name = colon === -1 ? '' : l.line.slice(0, colon);
    if (!TCHAR.test(name)) fail(at, 'a header name made of token characters, then ":"', bytes);
    const value = l.line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) fail(at, `a value of "${name}" without control characters`, bytes);
    headers.push([name, value]);
    at = l.next;
  }
}

function readBody(
  bytes: Buffer,
  at: number,
  status: number,
  headers: Array<[string, string]>,
  closed: boolean,
  method: string,
): { body: Buffer; framing: StrictResponse['framing']; end: number } | null {
  const values = (n: string) => headers.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
  const te = values('transfer-encoding');
  const cl = values('content-length');
  if (te.length > 0 && cl.length > 0) fail(at, 'Content-Length or Transfer-Encoding, not both', bytes);
  if (method === 'HEAD' || status === 204 || status === 304) {
    return { body: Buffer.alloc(0), framing: 'none', end: at };
  }
  if (te.length > 0) {
    const codings = te
      .join(',')
      .split(',')
      .map((c) => c.trim().toLowerCase());
    if (codings.at(-1) !== 'chunked') fail(at, 'chunked as the last transfer coding', bytes);
    return readChunked(bytes, at, closed);
  }
  if (cl.length > 0) {
    const distinct = new Set(cl.flatMap((v) => v.split(',').map((x) => x.trim())));
    const only = [...distinct][0] ?? '';
    if (distinct.size !== 1 || !/^[0-9]+$/.test(only)) fail(at, 'one Content-Length made of digits', bytes);
    const n = Number(only);
    if (bytes.length - at < n) {
      if (closed) fail(bytes.length, `${n} body bytes before the connection closed (got ${bytes.length - at})`, bytes);
      return null;
    }
    return { body: bytes.subarray(at, at + n), framing: 'content-length', end: at + n };
  }
  if (!closed) return null;
  return { body: bytes.subarray(at), framing: 'close', end: bytes.length };
}

function readChunked(
  bytes: Buffer,
  start: number,
  closed: boolean,
): { body: Buffer; framing: 'chunked'; end: number } | null {
  const parts: Buffer[] = [];
  let at = start;
  const incomplete = (): null => {
    if (closed) fail(at, 'the rest of the chunked body before the connection closed', bytes);
    return null;
  };
  for (;;) {
    const size = readLine(bytes, at);
    if (size === null) return incomplete();
    const m = /^([0-9A-Fa-f]+)(;.*)?$/.exec(size.line);
    if (m === null) fail(at, 'a chunk size in hex, then CRLF', bytes);
    const n = Number.parseInt(m[1] as string, 16);
    at = size.next;
    if (n === 0) break;
    if (bytes.length < at + n + 2) return incomplete();
    parts.push(bytes.subarray(at, at + n));
    at += n;
    if (bytes[at] !== 13 || bytes[at + 1] !== 10) fail(at, `CRLF after a chunk of ${n} bytes`, bytes);
    at += 2;
  }
  // Trailers, then the empty line.
  for (;;) {
    const l = readLine(bytes, at);
    if (l === null) return incomplete();
    at = l.next;
    if (l.line === '') return { body: Buffer.concat(parts), framing: 'chunked', end: at };
    if (!TCHAR.test(l.line.slice(0, Math.max(0, l.line.indexOf(':'))))) fail(at, 'a trailer line', bytes);
  }
}

/**
 * Every answer in the bytes of a connection that has closed, in order, each parsed
 * strictly; the bytes must end exactly where the last answer does.
 */
export function parseStrictResponses(bytes: Buffer, method = 'POST'): StrictResponse[] {
  const out: StrictResponse[] = [];
  let rest = bytes;
  while (rest.length > 0) {
    const r = parseStrictResponse(rest, true, method);
    if (r === null) fail(bytes.length - rest.length, 'a complete answer', bytes);
    out.push(r);
    rest = rest.subarray(r.consumed);
  }
  return out;
}

/** An answer read off a socket: the parsed response, its body as text. */
export interface StrictAnswer extends StrictResponse {
  /** The body decoded as UTF-8. */
  readonly text: string;
}

/**
 * What a request gets when the router closes the connection without sending a byte
 * (status 0). A partial answer is never this: it is a StrictHttpError.
 */
export const NO_ANSWER: StrictAnswer = Object.freeze({
  status: 0,
  reason: '',
  headers: [],
  body: Buffer.alloc(0),
  framing: 'none',
  interim: [],
  consumed: 0,
  text: '',
});

export interface ExchangeOptions {
  /** Answers expected (pipelined requests); default 1. */
  readonly count?: number;
  /** Reject when the answers are not complete by then (default 10 s). */
  readonly timeoutMs?: number;
  /** The request's method, for a HEAD answer's body; default: the first word of the request. */
  readonly method?: string;
  /** Written after the request bytes, one piece every `trickleMs` (default 50), until the answer is in. */
  readonly trickle?: readonly Buffer[];
  readonly trickleMs?: number;
}

function methodOf(request: string | Buffer): string {
  const text = typeof request === 'string' ? request.slice(0, 32) : request.toString('latin1', 0, 32);
  return /^([A-Z]+) /.exec(text)?.[1] ?? 'POST';
}

/**
 * Sends raw request bytes to 127.0.0.1:port and parses the answers strictly; with
 * several requests pipelined, `count` answers in order. Rejects with StrictHttpError on
 * any framing error (a partial answer before the close included), and when the answers
 * are not complete within timeoutMs. A connection closed (or reset) before a single byte
 * of an answer gives [NO_ANSWER].
 */
export function strictExchange(
  port: number,
  request: string | Buffer,
  opts: ExchangeOptions = {},
): Promise<StrictAnswer[]> {
  const count = opts.count ?? 1;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const method = opts.method ?? methodOf(request);
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let settled = false;
    let trickle: NodeJS.Timeout | null = null;
    const finish = (err: Error | null, value: StrictAnswer[] = []): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (trickle !== null) clearInterval(trickle);
      socket.destroy();
      if (err === null) resolve(value);
      else reject(err);
    };
    const deadline = setTimeout(
      () =>
        finish(
          new Error(
            `${count} answer(s) not complete within ${timeoutMs} ms; got ${JSON.stringify(buf.toString('latin1').slice(0, 300))}`,
          ),
        ),
      timeoutMs,
    );
    const tryParse = (closed: boolean): void => {
      if (settled) return;
      if (closed && buf.length === 0) {
        finish(null, [NO_ANSWER]);
        return;
      }
      try {
        const out: StrictAnswer[] = [];
        let rest = buf;
        while (out.length < count) {
          const r = parseStrictResponse(rest, closed && out.length === count - 1, method);
          if (r === null) {
            if (closed) throw new StrictHttpError(`the connection closed after ${out.length} of ${count} answers`);
            return;
          }
          out.push({ ...r, text: r.body.toString('utf8') });
          rest = rest.subarray(r.consumed);
        }
        finish(null, out);
      } catch (err) {
        finish(err as Error);
      }
    };
    socket.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      tryParse(false);
    });
    socket.on('end', () => tryParse(true));
    socket.on('close', () => tryParse(true));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A router that answers early and closes may reset a connection the client is
      // still writing to: what arrived before is the answer.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') tryParse(true);
      else finish(err);
    });
    socket.write(request);
    const pieces = opts.trickle ?? [];
    if (pieces.length > 0) {
      let next = 0;
      trickle = setInterval(() => {
        if (next < pieces.length && !socket.destroyed) socket.write(pieces[next++] as Buffer);
        else if (trickle !== null) clearInterval(trickle);
      }, opts.trickleMs ?? 50);
    }
  });
}

/** One raw request, its one answer parsed strictly (NO_ANSWER, status 0, if the router closed without one). */
export async function rawRequest(
  port: number,
  request: string | Buffer,
  opts: Omit<ExchangeOptions, 'count'> = {},
): Promise<StrictAnswer> {
  const [answer] = await strictExchange(port, request, opts);
  return answer as StrictAnswer;
}

/** A socket that has sent `request` and is kept open, for slow-client tests; read its bytes with parseStrictResponses. */
export function openRaw(port: number, request: Buffer | string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(request);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}
