// A minimal node:http client for the sim tests: no connection pooling (agent: false), so
// nothing outlives a test, and raw access to the response for timing and aborts.
import { request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Abandon the request (rejecting) when no answer has come by then. */
  timeoutMs?: number;
}

export function request(url: string, opts: RequestOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (opts.timeoutMs !== undefined) {
      req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`client timeout after ${opts.timeoutMs} ms`)));
    }
    req.end(opts.body);
  });
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

export interface OpenStream {
  req: ClientRequest;
  res: IncomingMessage;
}

/** POSTs and resolves as soon as the response head arrives, body unread. */
export function openPost(url: string, body: unknown): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false });
    req.on('response', (res) => resolve({ req, res }));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** POSTs without waiting for an answer; the caller aborts it with req.destroy(). */
export function firePost(url: string, body: unknown): ClientRequest {
  const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' }, agent: false });
  // The only expected error is the caller's own abort.
  req.on('error', () => undefined);
  req.end(JSON.stringify(body));
  return req;
}

export interface StreamRead {
  at: number;
  text: string;
}

/** Reads a response body chunk by chunk, recording when each read arrived. */
export function collectReads(res: IncomingMessage): Promise<{ reads: StreamRead[]; endedAt: number }> {
  return new Promise((resolve, reject) => {
    const reads: StreamRead[] = [];
    res.setEncoding('utf8');
    res.on('data', (text: string) => reads.push({ at: performance.now(), text }));
    res.on('end', () => resolve({ reads, endedAt: performance.now() }));
    res.on('error', reject);
  });
}

/** The `data:` payloads of an SSE body, in order. */
export function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice('data: '.length));
}
