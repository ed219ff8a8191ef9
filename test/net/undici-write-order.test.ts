// The retry-safety rule ("send a request again only when it provably did not reach a
// backend") rests on when undici calls a handler's onRequestStart: once the connection
// is up, and before the first byte of the request is written (see
// src/net/undici-errors.ts). undici documents the hook but not that order, so these
// tests pin it against the undici in use, on a real socket: if undici ever wrote
// earlier, a failure could look unsent when the backend had the request; if it
// called onRequestStart before connecting, a connect failure would look sent.
// They also pin how undici reports an interim 100 Continue it did not ask for.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { buildConnector, type Dispatcher, Pool } from 'undici';
import { isUnsolicitedContinue } from '../../src/net/undici-errors.js';
import { closedPort } from '../helpers/fake-backend.js';

/** A handler that records the order of what happens, and settles when the attempt ends. */
class RecordingHandler implements Dispatcher.DispatchHandler {
  readonly events: string[] = [];
  error: Error | null = null;
  readonly ended: Promise<void>;
  private settle: () => void = () => {};

  constructor() {
    this.ended = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  onRequestStart(): void {
    this.events.push('onRequestStart');
  }
  onResponseStarted(): void {
    this.events.push('onResponseStarted');
  }
  onResponseStart(_c: Dispatcher.DispatchController, status: number): void {
    this.events.push(`onResponseStart ${status}`);
  }
  onResponseData(): void {}
  onResponseEnd(): void {
    this.events.push('onResponseEnd');
    this.settle();
  }
  onResponseError(_c: Dispatcher.DispatchController | null, err: Error): void {
    this.error = err;
    this.events.push('onResponseError');
    this.settle();
  }
}

/** A pool whose sockets report their connection and every write into `events`. */
function observedPool(origin: string, events: string[]): Pool {
  const connector = buildConnector({});
  return new Pool(origin, {
    connect(opts, callback) {
      connector(opts, (err, socket) => {
        if (err !== null) {
          events.push('connect failed');
          callback(err, null);
          return;
        }
        events.push('connected');
        const write = socket.write;
        // Observation only: the write goes on unchanged.
        socket.write = function (this: typeof socket, ...args: unknown[]) {
          events.push('socket write');
          return (write as (...a: unknown[]) => boolean).apply(this, args);
        } as typeof socket.write;
        callback(null, socket);
      });
    },
  });
}

async function listen(onSocket: (s: Socket) => void): Promise<{ server: Server; origin: string }> {
  const server = createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { server, origin: `http://127.0.0.1:${port}` };
}

const ANSWER = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';

test('undici calls onRequestStart after connecting and before writing the first byte', async (t) => {
  const { server, origin } = await listen((s) => {
    s.once('data', () => s.end(ANSWER));
  });
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const handler = new RecordingHandler();
  const pool = observedPool(origin, handler.events);
  t.after(() => pool.close());
  pool.dispatch({ path: '/v1/chat/completions', method: 'POST', body: Buffer.from('{"a":1}') }, handler);
  await handler.ended;
  assert.equal(handler.error, null);
  const order = handler.events;
  const first = (e: string) => order.indexOf(e);
  assert.ok(
    first('connected') !== -1 && first('onRequestStart') !== -1 && first('socket write') !== -1,
    order.join(', '),
  );
  assert.ok(first('connected') < first('onRequestStart'), `connected before onRequestStart: ${order.join(', ')}`);
  assert.ok(first('onRequestStart') < first('socket write'), `onRequestStart before any write: ${order.join(', ')}`);
});

test('a refused connection never reaches onRequestStart', async (t) => {
  const port = await closedPort();
  const handler = new RecordingHandler();
  const pool = observedPool(`http://127.0.0.1:${port}`, handler.events);
  t.after(() => pool.destroy());
  pool.dispatch({ path: '/', method: 'POST', body: Buffer.from('{}') }, handler);
  await handler.ended;
  assert.deepEqual(handler.events, ['connect failed', 'onResponseError']);
  assert.equal((handler.error as Error & { code?: string }).code, 'ECONNREFUSED');
});

test('a connection the backend accepts and drops unread fails after onRequestStart: the request may have reached it', async (t) => {
  const { server, origin } = await listen((s) => s.destroy());
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const handler = new RecordingHandler();
  const pool = observedPool(origin, handler.events);
  t.after(() => pool.destroy());
  pool.dispatch({ path: '/', method: 'POST', body: Buffer.from('{}') }, handler);
  await handler.ended;
  assert.ok(handler.events.includes('onRequestStart'), handler.events.join(', '));
  assert.equal(handler.events.at(-1), 'onResponseError');
});

test('an unsolicited 100 Continue ends the attempt with the error isUnsolicitedContinue recognises', async (t) => {
  const { server, origin } = await listen((s) => {
    s.once('data', () => s.write(`HTTP/1.1 100 Continue\r\n\r\n${ANSWER}`));
  });
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const handler = new RecordingHandler();
  const pool = observedPool(origin, handler.events);
  t.after(() => pool.destroy());
  pool.dispatch({ path: '/', method: 'POST', body: Buffer.from('{}') }, handler);
  await handler.ended;
  assert.ok(handler.error !== null, 'undici cannot read past it');
  assert.ok(isUnsolicitedContinue(handler.error), `recognised: ${String(handler.error)}`);
  assert.ok(handler.events.includes('onResponseStarted'), 'the answer had begun');
  assert.ok(!handler.events.some((e) => e.startsWith('onResponseStart ')), 'no final status was read');
});
