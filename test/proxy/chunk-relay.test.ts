// The pieces of relaying a stream's chunks to the client's socket: the chunked frame,
// the closing event, and when a stream's chunks are gathered into one write per
// upstream read (a socket corked until the microtask checkpoint after the read).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closesStream, currentRead, framed, RelayBatching } from '../../src/proxy/chunk-relay.js';

const checkpoint = (): Promise<void> => new Promise((resolve) => queueMicrotask(resolve));

class FakeSocket {
  corked = 0;
  uncorks = 0;
  cork(): void {
    this.corked++;
  }
  uncork(): void {
    this.uncorks++;
    if (this.corked > 0) this.corked--;
  }
}

test('framed: hex size, CRLF, the bytes, CRLF, for sizes around every hex digit', () => {
  for (const n of [1, 9, 10, 15, 16, 255, 256, 4095, 4096, 65_535, 65_536, 1_048_575]) {
    const chunk = Buffer.alloc(n, 0x61);
    const out = framed(chunk);
    const head = `${n.toString(16)}\r\n`;
    assert.equal(out.length, head.length + n + 2, `size ${n}`);
    assert.equal(out.toString('latin1', 0, head.length), head);
    assert.ok(out.subarray(head.length, head.length + n).equals(chunk));
    assert.equal(out.toString('latin1', head.length + n), '\r\n');
  }
});

test('closesStream: only an event that ends with data: [DONE] and its blank line', () => {
  assert.equal(closesStream(Buffer.from('data: [DONE]\n\n')), true);
  assert.equal(closesStream(Buffer.from('data: {"x":1}\n\ndata: [DONE]\n\n')), true);
  assert.equal(closesStream(Buffer.from('data: [DONE]\n')), false);
  assert.equal(closesStream(Buffer.from('data: {"content":"[DONE]"}\n\n')), false);
  assert.equal(closesStream(Buffer.from('[DONE]\n')), false);
  assert.equal(closesStream(Buffer.alloc(0)), false);
});

test('currentRead moves on at the checkpoint after the chunks of a read', async () => {
  const a = currentRead();
  assert.equal(currentRead(), a, 'same read while synchronous');
  await checkpoint();
  assert.equal(currentRead(), a + 1);
});

test('RelayBatching: one chunk per read writes at once; two in a read gather until a read brings one', async () => {
  const socket = new FakeSocket();
  const batching = new RelayBatching();
  // Reads with one chunk each: never corked.
  for (let i = 0; i < 3; i++) {
    batching.beforeWrite(socket);
    assert.equal(socket.corked, 0);
    await checkpoint();
  }
  // A read with three chunks: the first went at once, the second and third are corked together.
  batching.beforeWrite(socket);
  assert.equal(socket.corked, 0);
  batching.beforeWrite(socket);
  assert.equal(socket.corked, 1);
  batching.beforeWrite(socket);
  assert.equal(socket.corked, 1, 'corked once per read');
  await checkpoint();
  assert.equal(socket.corked, 0, 'uncorked at the checkpoint');
  // Gathering now: the next read is corked from its first chunk.
  batching.beforeWrite(socket);
  batching.beforeWrite(socket);
  assert.equal(socket.corked, 1);
  await checkpoint();
  assert.equal(socket.corked, 0);
  // A read with one chunk is still corked (it cannot know), and ends the gathering.
  batching.beforeWrite(socket);
  assert.equal(socket.corked, 1);
  await checkpoint();
  assert.equal(socket.corked, 0);
  batching.beforeWrite(socket);
  assert.equal(socket.corked, 0, 'writing at once again');
  await checkpoint();
});
