// upstream.keepAliveTimeoutMs bounds how long an idle upstream connection is kept,
// whatever the backend's `Keep-Alive: timeout=N` hint says; a shorter hint still wins
// (a connection the backend is about to close must not be reused).
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { startFakeBackend, startStaticTelemetry } from '../helpers/fake-backend.js';
import { baseConfig, deploymentOf, startRouter } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

async function idleCloseSeen(
  t: { after: (fn: () => Promise<void>) => void },
  keepAliveTimeoutMs: number,
  hintS: number,
): Promise<void> {
  const backend = await startFakeBackend((_req, res) => {
    res.setHeader('keep-alive', `timeout=${hintS}`);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
    res.end('{}');
  });
  // The backend never closes an idle connection itself within the test.
  backend.server.keepAliveTimeout = 120_000;
  const closedByRouter: Socket[] = [];
  const opened: Socket[] = [];
  backend.server.on('connection', (socket: Socket) => {
    opened.push(socket);
    socket.on('end', () => closedByRouter.push(socket));
  });
  const telemetry = await startStaticTelemetry(() => [{ region: 'r1', model: 'm', capacity: 100, inUse: 0 }]);
  const router = await startRouter(
    baseConfig({
      zones: { z: ['r1'] },
      backends: [{ region: 'r1', url: backend.url }],
      deployments: [{ name: 'chat', model: 'm', type: 'global' }],
      telemetry: { url: telemetry.url, intervalMs: 100 },
      upstream: { keepAliveTimeoutMs },
    }),
  );
  t.after(async () => {
    await router.stop();
    await backend.close();
    await telemetry.close();
  });
  await waitFor('normal mode', async () => deploymentOf(await router.capacity(), 'chat').mode === 'normal');
  const res = await fetch(`${router.url}/openai/deployments/chat/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"messages":[]}',
  });
  assert.equal(res.status, 200);
  await res.text();
  assert.equal(opened.length, 1, 'one upstream connection');
  // Far sooner than the backend's hint: a deadline of a few seconds, no fixed sleep.
  await waitFor('the router to close its idle upstream connection', () => closedByRouter.length === 1, 5_000);
}

test("an idle upstream connection lives upstream.keepAliveTimeoutMs, not the backend's longer Keep-Alive hint", async (t) => {
  await idleCloseSeen(t, 200, 30);
});

test("a backend's shorter Keep-Alive hint still wins over upstream.keepAliveTimeoutMs", async (t) => {
  // timeout=3 less undici's 2 s allowance for transit: about 1 s, well before 60 s.
  await idleCloseSeen(t, 60_000, 3);
});
