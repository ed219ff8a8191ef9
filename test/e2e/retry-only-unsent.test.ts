// A request is sent again only when it provably never reached a backend: a failure
// after the request was written (here, an unsolicited 100 Continue) is the backend's
// answer to a request it received, so it is not retried elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { settled, startRecordingFleet } from '../helpers/recording-fleet.js';

test('an unsolicited 100 Continue is not retried in another region', async (t) => {
  let received = 0;
  const sockets = new Set<Socket>();
  const raw = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', () => {
      received++;
      socket.write('HTTP/1.1 100 Continue\r\n\r\n');
    });
  });
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        raw.close(() => resolve());
      }),
  );
  const fleet = await startRecordingFleet(t, {
    zones: { z: ['r1', 'r2'] },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
    urls: { r1: `http://127.0.0.1:${(raw.address() as AddressInfo).port}` },
    // Keep r1 in the plan whatever it answers: this test is about retries only.
    extra: { outlier: { enabled: false } },
  });
  const statuses: number[] = [];
  for (let i = 0; i < 20; i++) {
    const res = await fetch(`${fleet.router.url}/openai/deployments/chat/chat/completions`, {
      method: 'POST',
      body: '{}',
    });
    statuses.push(res.status);
    await res.text();
  }
  const failed = statuses.filter((s) => s === 502).length;
  assert.ok(received > 0, 'some requests went to r1');
  assert.equal(failed, received, 'every request r1 received ends in a 502, none is retried');
  assert.equal(fleet.received.r2?.length, 20 - received);
  assert.doesNotMatch(await fleet.router.metrics(), /switchyard_retries_total\{/);
  await settled(fleet);
});

test('a refused connection (nothing sent) is still retried in another region', async (t) => {
  const { closedPort } = await import('../helpers/fake-backend.js');
  const fleet = await startRecordingFleet(t, {
    zones: { z: ['r1', 'r2'] },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
    urls: { r1: `http://127.0.0.1:${await closedPort()}` },
    extra: { outlier: { enabled: false } },
  });
  for (let i = 0; i < 10; i++) {
    const res = await fetch(`${fleet.router.url}/openai/deployments/chat/chat/completions`, {
      method: 'POST',
      body: '{}',
    });
    assert.equal(res.status, 200);
    await res.text();
  }
  assert.match(
    await fleet.router.metrics(),
    /switchyard_retries_total\{deployment="chat",reason="connect-error"\} [1-9]/,
  );
  await settled(fleet);
});
