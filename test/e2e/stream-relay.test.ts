// How a streamed answer is relayed chunk by chunk: after the first chunk (sent with the
// head), the router frames each chunk of a chunked answer itself and writes it to the
// client's socket in one write. These tests hold that path to what Node's own framing
// guarantees: every byte in order and correctly framed, for every chunk size; the
// connection reusable afterwards; pipelined answers kept in order; backpressure from a
// client that reads slowly, and the read-stall cut for one that stops reading.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import { openRaw, parseStrictResponses, type StrictResponse } from '../helpers/strict-http.js';
import { settled, startRecordingFleet } from '../helpers/recording-fleet.js';
import { assertStalledReaderCut } from '../helpers/stalled-reader.js';
import { waitFor } from '../helpers/wait.js';

const ZONES = { z: ['r1'] };
const DEPLOYMENTS = [{ name: 'chat', model: 'm', type: 'global' }];
const BODY = '{"model":"chat"}';

/** Around the hex-digit and framing limits (the router frames up to 16 KiB itself). */
const SIZES = [1, 15, 16, 17, 255, 256, 4095, 4096, 16383, 16384, 16385, 70_000, 3, 1];

function piece(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) b[i] = 97 + ((i + seed) % 26);
  return b;
}

/** Writes each piece on its own timer tick, so that the router receives them apart. */
function paced(pieces: readonly Buffer[], gapMs = 2) {
  return (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let i = 0;
    const next = (): void => {
      if (res.destroyed) return;
      if (i === pieces.length) {
        res.end();
        return;
      }
      res.write(pieces[i++] as Buffer);
      setTimeout(next, gapMs);
    };
    next();
  };
}

function post(port: number, agent: Agent): Promise<{ res: IncomingMessage; body: Buffer; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ res, body: Buffer.concat(chunks), reused: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

/** Every answer a closed connection carried, parsed strictly; each must be chunked. */
function chunkedAnswers(raw: Buffer): StrictResponse[] {
  const answers = parseStrictResponses(raw);
  for (const a of answers) assert.equal(a.framing, 'chunked', `answer ${a.status} is chunked`);
  return answers;
}

test('every chunk size arrives byte for byte, correctly framed, and the connection is reused', {
  timeout: 20_000,
}, async (t) => {
  const pieces = SIZES.map((size, i) => piece(size, i));
  const fleet = await startRecordingFleet(t, {
    zones: ZONES,
    deployments: DEPLOYMENTS,
    handlers: { r1: paced(pieces) },
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const first = await post(fleet.port, agent);
  assert.equal(first.res.statusCode, 200);
  assert.equal(first.res.headers['transfer-encoding'], 'chunked');
  assert.deepEqual(first.body, Buffer.concat(pieces));
  // Node's client parser is strict about chunk framing; a second answer on the same
  // connection also proves the first ended exactly where it should.
  const second = await post(fleet.port, agent);
  assert.equal(second.reused, true, 'the keep-alive connection was reused');
  assert.deepEqual(second.body, Buffer.concat(pieces));
});

test('chunks that arrive in bunches (several per upstream read) arrive whole and in order', {
  timeout: 20_000,
}, async (t) => {
  // Bursts of 1 to 6 chunks written in one tick (the backend's socket gathers them):
  // the router then sees several chunks per read, and single ones in between.
  const bursts = Array.from({ length: 60 }, (_, i) =>
    Array.from({ length: 1 + ((i * 7) % 6) }, (_, j) => piece(20 + ((i * 31 + j * 17) % 900), i + j)),
  );
  const bunched = (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let i = 0;
    const next = (): void => {
      if (res.destroyed) return;
      if (i === bursts.length) {
        res.end();
        return;
      }
      for (const p of bursts[i++] as Buffer[]) res.write(p);
      setTimeout(next, 3);
    };
    next();
  };
  const fleet = await startRecordingFleet(t, { zones: ZONES, deployments: DEPLOYMENTS, handlers: { r1: bunched } });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  for (let k = 0; k < 2; k++) {
    const { res, body, reused } = await post(fleet.port, agent);
    assert.equal(res.statusCode, 200);
    assert.deepEqual(body, Buffer.concat(bursts.flat()));
    assert.equal(reused, k === 1);
  }
});

test('pipelined requests: the second answer follows the first whole, both framed correctly', {
  timeout: 20_000,
}, async (t) => {
  const pieces = [piece(40, 1), piece(300, 2), piece(5000, 3), piece(7, 4), piece(20_000, 5), piece(1, 6)];
  const fleet = await startRecordingFleet(t, {
    zones: ZONES,
    deployments: DEPLOYMENTS,
    handlers: { r1: paced(pieces, 5) },
  });
  const socket = connect(fleet.port, '127.0.0.1');
  t.after(() => socket.destroy());
  await once(socket, 'connect');
  const one = `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`;
  const last = one.replace('host: x\r\n', 'host: x\r\nconnection: close\r\n');
  // Both at once: the second is forwarded while the first answer is still streaming.
  socket.write(one + last);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await once(socket, 'end');
  const answers = chunkedAnswers(Buffer.concat(chunks));
  assert.equal(answers.length, 2);
  for (const a of answers) {
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, Buffer.concat(pieces));
  }
  await waitFor('both reached the backend', () => fleet.received.r1?.length === 2);
});

test('a client that reads slowly gets every byte: the upstream waits for it (backpressure)', {
  timeout: 30_000,
}, async (t) => {
  const size = 512;
  const count = 64_000; // 32 MB in small chunks: several times what the sockets between them buffer
  const pieces = Array.from({ length: 26 }, (_, i) => piece(size, i));
  let written = 0;
  const flood = (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const more = (): void => {
      while (written < count && !res.destroyed) {
        if (!res.write(pieces[written++ % 26] as Buffer)) {
          res.once('drain', more);
          return;
        }
      }
      if (!res.destroyed) res.end();
    };
    more();
  };
  const fleet = await startRecordingFleet(t, { zones: ZONES, deployments: DEPLOYMENTS, handlers: { r1: flood } });
  // A client that reads nothing at first (its receive window stays small), then everything.
  const socket = await openRaw(
    fleet.port,
    `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: ${BODY.length}\r\n\r\n${BODY}`,
  );
  socket.pause();
  t.after(() => socket.destroy());
  // Once the buffers between them are full, the backend can write no more.
  let last = -1;
  await waitFor('the upstream stops', async () => {
    const now = written;
    await new Promise((r) => setTimeout(r, 150));
    const still = now === written && now === last;
    last = now;
    return still;
  });
  assert.ok(written < count, `the upstream was held back (${written} of ${count} chunks written)`);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.resume();
  await once(socket, 'end');
  const [answer] = chunkedAnswers(Buffer.concat(chunks));
  const body = (answer as { body: Buffer }).body;
  assert.equal(body.length, size * count);
  for (let i = 0; i < count; i += 997) {
    assert.deepEqual(body.subarray(i * size, (i + 1) * size), piece(size, i), `chunk ${i}`);
  }
  await settled(fleet);
});

test('a client that stops reading small chunks is cut after clientReadTimeoutMs, and so is the upstream', {
  timeout: 20_000,
}, async (t) => {
  await assertStalledReaderCut(t, (i) => piece(256, i));
});
