// A backend that answers `100 Continue` to a request that did not ask for one. HTTP
// lets it (a client reads past any 1xx), but undici's HTTP/1 client drops the
// connection on it before the final answer. The router cannot relay that answer; it
// says why, and does not hold it against the backend: after more such answers than
// outlier detection's consecutiveFailures, the region is still active.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { deploymentOf } from '../helpers/router-harness.js';
import { settled, startRecordingFleet } from '../helpers/recording-fleet.js';

test('an unsolicited 100 Continue: a 502 that names it, and the backend is not ejected for it', async (t) => {
  let seen = 0;
  const backend = createServer((socket) => {
    socket.on('data', () => {
      seen++;
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    });
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => backend.close(() => resolve())));
  const address = backend.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const fleet = await startRecordingFleet(t, {
    zones: { z: ['r1'] },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
    urls: { r1: `http://127.0.0.1:${port}` },
  });
  for (let i = 0; i < 8; i++) {
    const res = await fetch(`${fleet.router.url}/openai/deployments/chat/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 502);
    const error = ((await res.json()) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'UpstreamError');
    assert.match(error.message, /100 Continue/);
  }
  assert.equal(seen, 8, 'each request reached the backend once: never retried');
  const region = deploymentOf(await fleet.router.capacity(), 'chat').regions.find((r) => r.region === 'r1');
  assert.equal(region?.state, 'active', 'not ejected: the failure is the router client, not the backend');
  assert.match(
    await fleet.router.metrics(),
    /switchyard_upstream_errors_total\{region="r1",error="UnsolicitedContinue"\} 8/,
  );
  await settled(fleet);
});
