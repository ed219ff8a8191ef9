// Names the client sent are echoed truncated; a deployment none of whose regions
// accepts a connection is a 503 with Retry-After (the contract's "no eligible region").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closedPort } from '../helpers/fake-backend.js';
import { settled, startRecordingFleet } from '../helpers/recording-fleet.js';

test('a huge deployment name is echoed truncated in the 404 body and the logs', async (t) => {
  const fleet = await startRecordingFleet(t, {
    zones: { z: ['r1'] },
    deployments: [{ name: 'chat', model: 'm', type: 'global' }],
    extra: { log: { level: 'info', requests: true } },
  });
  const name = `n${'x'.repeat(1_000_000)}`;
  const res = await fetch(`${fleet.router.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: name }),
  });
  assert.equal(res.status, 404);
  const text = await res.text();
  assert.ok(text.length < 1024, `a ${text.length}-byte body`);
  assert.match(JSON.parse(text).error.message, /nxxxx.*1000001/);
  const inPath = await fetch(`${fleet.router.url}/openai/deployments/${'y'.repeat(8000)}/chat/completions`, {
    method: 'POST',
    body: '{}',
  });
  assert.equal(inPath.status, 404);
  assert.ok((await inPath.text()).length < 1024);
  for (const line of fleet.router.logs) assert.ok(JSON.stringify(line).length < 2048, 'log lines stay short');
  await settled(fleet);
});

test('a regional deployment whose region refuses connections answers 503 NoRegionAvailable with Retry-After', async (t) => {
  const fleet = await startRecordingFleet(t, {
    zones: { z: ['r1', 'r2'], y: ['r3'] },
    deployments: [
      { name: 'solo', model: 'm', type: 'regional', region: 'r1' },
      { name: 'zone', model: 'm', type: 'datazone', zone: 'z' },
    ],
    urls: { r1: `http://127.0.0.1:${await closedPort()}`, r2: `http://127.0.0.1:${await closedPort()}` },
  });
  for (const name of ['solo', 'zone']) {
    const res = await fetch(`${fleet.router.url}/openai/deployments/${name}/chat/completions`, {
      method: 'POST',
      body: '{}',
    });
    assert.equal(res.status, 503, name);
    assert.ok(Number(res.headers.get('retry-after')) >= 1, 'Retry-After in seconds');
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'NoRegionAvailable');
  }
  assert.equal(fleet.received.r3?.length, 0, 'never outside the boundary');
  await settled(fleet);
});
