// The read-stall cut, end to end: a backend streams for ever, a raw client sends one
// request and then stops reading. The router must abort the upstream request after
// limits.clientReadTimeoutMs (300 ms here), settle its counts and close the client.
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { TestContext } from 'node:test';
import { openRaw } from './strict-http.js';
import { settled, startRecordingFleet } from './recording-fleet.js';
import { waitFor } from './wait.js';

/** `piece(i)` is the i-th write of the endless answer: its size decides how the router frames it. */
export async function assertStalledReaderCut(t: TestContext, piece: (i: number) => Buffer): Promise<void> {
  let upstreamClosed = false;
  const endless = (_req: unknown, res: ServerResponse): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.on('close', () => {
      upstreamClosed = true;
    });
    let i = 0;
    const more = (): void => {
      while (!res.destroyed && res.write(piece(i++)));
      if (!res.destroyed) res.once('drain', more);
    };
    more();
  };
  const fleet = await startRecordingFleet(t, {
    zones: { z: ['r1'] },
    deployments: [{ name: 'chat', model: 'm', type: 'global' }],
    handlers: { r1: endless },
    extra: { limits: { clientReadTimeoutMs: 300 } },
  });
  const socket = await openRaw(
    fleet.port,
    'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 16\r\n\r\n{"model":"chat"}',
  );
  socket.pause();
  t.after(() => socket.destroy());
  await waitFor('the stream started', () => fleet.received.r1?.length === 1);
  await waitFor('the upstream request was aborted', () => upstreamClosed, 5000);
  await settled(fleet);
  socket.resume();
  await once(socket, 'close');
}
