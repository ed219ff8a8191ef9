// A 503 the router holds back for a possible retry is held only up to its byte limit:
// past it the answer is relayed as it comes, so an endless error body can neither fill
// memory nor keep the client waiting forever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settled, startRecordingFleet } from '../helpers/recording-fleet.js';

test('an endless retryable answer is relayed once it passes the held-body limit', async (t) => {
  const piece = Buffer.alloc(16 * 1024, 0x61);
  const endless = (_req: unknown, res: import('node:http').ServerResponse) => {
    res.writeHead(503, { 'content-type': 'text/plain' });
    const more = (): void => {
      while (!res.destroyed && res.write(piece));
      if (!res.destroyed) res.once('drain', more);
    };
    more();
  };
  const fleet = await startRecordingFleet(t, {
    zones: { z: ['r1', 'r2'] },
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
    handlers: { r1: endless, r2: endless },
    extra: { upstream: { bodyTimeoutMs: 60_000 } },
  });
  for (let i = 0; i < 3; i++) {
    const controller = new AbortController();
    // Only a router that holds the answer for ever gets here: the first bytes come right
    // after the 64 KiB limit. 20 s, not 5, so that a loaded machine is never mistaken for one.
    const giveUp = setTimeout(() => controller.abort(), 20_000);
    try {
      const res = await fetch(`${fleet.router.url}/openai/deployments/chat/chat/completions`, {
        method: 'POST',
        body: '{}',
        signal: controller.signal,
      });
      assert.equal(res.status, 503);
      const reader = res.body?.getReader();
      const first = await reader?.read();
      assert.ok((first?.value?.length ?? 0) > 0, 'the body streams');
      await reader?.cancel();
    } finally {
      clearTimeout(giveUp);
    }
  }
  await settled(fleet);
});
