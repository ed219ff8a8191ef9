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

/**
 * One POST through an observed pool to `origin` (a raw TCP server that answers with
 * `onSocket`, or an origin nothing listens on); resolves once undici ended the attempt.
 */
async function attempt(
  t: { after: (fn: () => unknown) => void },
  onSocket: ((s: Socket) => void) | string,
): Promise<RecordingHandler> {
  let origin: string;
  if (typeof onSocket === 'string') origin = onSocket;
  else {
    const server: Server = createServer(onSocket);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const address = server.address();
    origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  }
  const handler = new RecordingHandler();
  const pool = observedPool(origin, handler.events);
  t.after(() => pool.destroy());
  pool.dispatch({ path: '/v1/chat/completions', method: 'POST', body: Buffer.from('{"a":1}') }, handler);
  await handler.ended;
  return handler;
}

const ANSWER = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';

test('undici calls onRequestStart after connecting and before writing the first byte', async (t) => {
  const handler = await attempt(t, (s) => {
    s.once('data', () => s.end(ANSWER));
  });
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
  const handler = await attempt(t, `http://127.0.0.1:${await closedPort()}`);
  assert.deepEqual(handler.events, ['connect failed', 'onResponseError']);
  assert.equal((handler.error as Error & { code?: string }).code, 'ECONNREFUSED');
});

test('a connection the backend accepts and drops unread fails after onRequestStart: the request may have reached it', async (t) => {
  const handler = await attempt(t, (s) => s.destroy());
  assert.ok(handler.events.includes('onRequestStart'), handler.events.join(', '));
  assert.equal(handler.events.at(-1), 'onResponseError');
});

test('an unsolicited 100 Continue ends the attempt with the error isUnsolicitedContinue recognises', async (t) => {
  const handler = await attempt(t, (s) => {
    s.once('data', () => s.write(`HTTP/1.1 100 Continue\r\n\r\n${ANSWER}`));
  });
  assert.ok(handler.error !== null, 'undici cannot read past it');
  assert.ok(isUnsolicitedContinue(handler.error), `recognised: ${String(handler.error)}`);
  assert.ok(handler.events.includes('onResponseStarted'), 'the answer had begun');
  assert.ok(!handler.events.some((e) => e.startsWith('onResponseStart ')), 'no final status was read');
});
