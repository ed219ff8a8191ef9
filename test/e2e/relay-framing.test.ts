// The bytes a client receives are valid HTTP/1.1 whatever path the answer took: every
// phase change that sends a head late (an answer held for a retry and then relayed,
// retries that end in a relayed stream, the router's own error after a hold) and a
// stream whose first chunks arrive in the same read as its head. Each answer is read
// off the socket and parsed strictly (status line, headers, chunked framing), two
// requests on one keep-alive connection, so that a body byte that overtakes its head,
// or a frame left open, fails the test instead of being read past.
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { test } from 'node:test';
import { type BackendHandler, settled, startRecordingFleet } from '../helpers/recording-fleet.js';
import { headerValues, strictExchange } from '../helpers/strict-http.js';

const PATH = '/openai/deployments/chat/chat/completions?api-version=2024-10-21';
const BODY = '{"stream":true,"messages":[]}';
const REQUEST = `POST ${PATH} HTTP/1.1\r\nhost: router\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`;

const ZONES = { z: ['r1', 'r2'] };
const DEPLOYMENTS = [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }];

const event = (i: number): string => `data: {"choices":[{"delta":{"content":"token ${i}"}}]}\n\n`;
const STREAM = `${[0, 1, 2, 3, 4, 5].map(event).join('')}data: [DONE]\n\n`;

const frame = (text: string): string => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;

/**
 * An SSE answer whose head and first three events (three chunk frames) leave in one
 * write, so that the router reads them in one read, as it does when it is busy and
 * reads less often than the backend writes; the rest comes later. Written on the
 * socket (Node would merge one tick's writes into one frame), with the connection
 * closed at the end.
 */
function bunchedStream(res: ServerResponse): void {
  const socket = res.socket;
  if (socket === null) throw new Error('no socket');
  const head =
    'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n';
  socket.write(head + frame(event(0)) + frame(event(1)) + frame(event(2)));
  setTimeout(() => {
    socket.write(frame(event(3)) + frame(event(4)));
    setTimeout(() => socket.end(`${frame(event(5))}${frame('data: [DONE]\n\n')}0\r\n\r\n`), 5);
  }, 5);
}

/** Both regions answer with `first` to the first request the fleet gets, with `then` afterwards. */
function firstThen(first: BackendHandler, then: BackendHandler): Record<string, BackendHandler> {
  let seen = 0;
  const h: BackendHandler = (req, res, body) => (seen++ === 0 ? first(req, res, body) : then(req, res, body));
  return { r1: h, r2: h };
}

async function twoOnOneConnection(port: number) {
  const answers = await strictExchange(port, REQUEST + REQUEST, { count: 2 });
  assert.equal(answers.length, 2);
  return answers as [(typeof answers)[0], (typeof answers)[0]];
}

test('a stream whose first chunks come with its head is relayed as valid chunked HTTP, head first', async (t) => {
  const fleet = await startRecordingFleet(t, {
    zones: ZONES,
    deployments: DEPLOYMENTS,
    handlers: { r1: (_q, res) => bunchedStream(res), r2: (_q, res) => bunchedStream(res) },
  });
  for (let round = 0; round < 3; round++) {
    for (const answer of await twoOnOneConnection(fleet.port)) {
      assert.equal(answer.status, 200);
      assert.equal(answer.framing, 'chunked');
      assert.equal(answer.body.toString(), STREAM);
      assert.deepEqual(headerValues(answer, 'content-type'), ['text/event-stream']);
      assert.equal(headerValues(answer, 'x-switchyard-region').length, 1);
    }
  }
  await settled(fleet);
});

test('holding -> streaming: a retryable answer past the hold limit is relayed whole, validly framed', async (t) => {
  const piece = Buffer.alloc(16 * 1024, 0x62);
  const large: BackendHandler = (_q, res) => {
    res.writeHead(503, { 'content-type': 'text/plain' });
    let n = 0;
    const more = (): void => {
      while (n < 7) {
        n++;
        if (!res.write(piece)) {
          res.once('drain', more);
          return;
        }
      }
      res.end();
    };
    more();
  };
  const fleet = await startRecordingFleet(t, {
    zones: ZONES,
    deployments: DEPLOYMENTS,
    handlers: { r1: large, r2: large },
  });
  for (const answer of await twoOnOneConnection(fleet.port)) {
    assert.equal(answer.status, 503);
    assert.equal(answer.framing, 'chunked');
    assert.equal(answer.body.length, 7 * piece.length, 'every byte, not the first 64 KiB');
  }
  const received = (fleet.received.r1?.length ?? 0) + (fleet.received.r2?.length ?? 0);
  assert.equal(received, 2, 'one attempt each: the retry was given up');
  await settled(fleet);
});

test('holding -> backoff -> attempting elsewhere -> streaming: the held 503 is dropped and the stream relayed', async (t) => {
  const busy: BackendHandler = (_q, res) => {
    const body = '{"error":{"message":"busy"}}';
    res.writeHead(503, { 'content-type': 'application/json', 'content-length': body.length, 'retry-after': '1' });
    res.end(body);
  };
  const fleet = await startRecordingFleet(t, {
    zones: ZONES,
    deployments: DEPLOYMENTS,
    handlers: firstThen(busy, (_q, res) => bunchedStream(res)),
  });
  const [first, second] = await twoOnOneConnection(fleet.port);
  for (const answer of [first, second]) {
    assert.equal(answer.status, 200);
    assert.equal(answer.framing, 'chunked');
    assert.equal(answer.body.toString(), STREAM);
  }
  const received = (fleet.received.r1?.length ?? 0) + (fleet.received.r2?.length ?? 0);
  assert.equal(received, 3, 'the first request took two attempts');
  await settled(fleet);
});

test('backoff with no region left: the last held answer goes out with its own Content-Length', async (t) => {
  const body = '{"error":{"message":"rate limited"}}';
  const limited: BackendHandler = (_q, res) => {
    res.writeHead(429, { 'content-type': 'application/json', 'content-length': body.length, 'retry-after': '1' });
    res.end(body);
  };
  const fleet = await startRecordingFleet(t, {
    zones: ZONES,
    deployments: DEPLOYMENTS,
    handlers: { r1: limited, r2: limited },
    extra: { retry: { backoffBaseMs: 1, backoffMaxMs: 1 } },
  });
  for (const answer of await twoOnOneConnection(fleet.port)) {
    assert.equal(answer.status, 429);
    assert.equal(answer.framing, 'content-length');
    assert.equal(answer.body.toString(), body);
    assert.deepEqual(headerValues(answer, 'retry-after'), ['1']);
  }
  await settled(fleet);
});

test("holding, then the backend fails mid-answer: the router's own JSON error, validly framed", async (t) => {
  const broken: BackendHandler = (_q, res) => {
    res.writeHead(503, { 'content-type': 'application/json', 'content-length': 1000 });
    res.write('{"error":');
    setTimeout(() => res.socket?.destroy(), 5);
  };
  const fleet = await startRecordingFleet(t, {
    zones: ZONES,
    deployments: DEPLOYMENTS,
    handlers: { r1: broken, r2: broken },
  });
  for (const answer of await twoOnOneConnection(fleet.port)) {
    assert.equal(answer.status, 502);
    assert.equal(answer.framing, 'content-length');
    const error = (JSON.parse(answer.body.toString()) as { error: { code: string } }).error;
    assert.equal(error.code, 'UpstreamError');
  }
  await settled(fleet);
});
