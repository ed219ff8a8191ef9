// The telemetry body limit counts the bytes as they arrive: a chunked or endless body
// is cut at the limit, not accepted (chunked) or read until the poll times out (endless).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Metrics } from '../../src/metrics/metrics.js';
import { TelemetryPoller } from '../../src/telemetry/poller.js';
import { TelemetryStore } from '../../src/telemetry/store.js';
import { waitFor } from '../helpers/wait.js';

const LIMIT = 1024 * 1024;
const PIECE = Buffer.alloc(64 * 1024, 0x20);

/** A telemetry source that streams its answer in chunks, counting what it managed to send. */
async function chunkedSource(write: (res: ServerResponse, sent: { bytes: number }) => void) {
  const sent = { bytes: 0 };
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    write(res, sent);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/telemetry`,
    sent,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes PIECE whenever the socket drains, `total` bytes in all (Infinity: until the client goes). */
function pump(res: ServerResponse, sent: { bytes: number }, total: number, tail: string): void {
  const more = (): void => {
    while (sent.bytes < total) {
      if (res.destroyed) return;
      sent.bytes += PIECE.length;
      if (!res.write(PIECE)) {
        res.once('drain', more);
        return;
      }
    }
    res.end(tail);
  };
  res.write('{"reports":[],"pad":"');
  more();
}

function pollerFor(t: { after: (fn: () => Promise<void>) => void }, url: string) {
  const store = new TelemetryStore(new Set(['r1']), new Set(['m']));
  const metrics = new Metrics();
  const poller = new TelemetryPoller({
    url,
    intervalMs: 50,
    timeoutMs: 3000,
    maxBodyBytes: LIMIT,
    store,
    metrics,
    logger: pino({ level: 'silent' }),
    now: Date.now,
    onPolled: () => undefined,
  });
  t.after(() => poller.stop());
  return { store, metrics, poller };
}

test('a chunked telemetry body over the limit fails as too_large, though it declares no length', async (t) => {
  const source = await chunkedSource((res, sent) => pump(res, sent, 12 * 1024 * 1024, '"}'));
  t.after(() => source.close());
  const { store, poller } = pollerFor(t, source.url);
  await poller.pollOnce();
  assert.equal(store.source.failures, 1, 'the poll failed');
  assert.match(store.source.lastError ?? '', /^too_large/);
});

test('an endless telemetry body is cut at the limit while reading, long before the poll timeout', async (t) => {
  const source = await chunkedSource((res, sent) => pump(res, sent, Number.POSITIVE_INFINITY, ''));
  t.after(() => source.close());
  const { store, metrics, poller } = pollerFor(t, source.url);
  await poller.pollOnce();
  assert.match(store.source.lastError ?? '', /^too_large/);
  assert.match(
    await metrics.registry.metrics(),
    /switchyard_telemetry_poll_failures_total\{source="json",reason="too_large"\} 1/,
  );
  // What the source could push before the cut: the limit plus what socket buffers hold.
  await waitFor('the source sees the connection closed', () => source.sent.bytes > 0);
  assert.ok(source.sent.bytes < LIMIT + 8 * 1024 * 1024, `the source sent ${source.sent.bytes} bytes`);
});

test('a body within the limit still parses, chunked or not', async (t) => {
  const source = await chunkedSource((res) =>
    res.end(JSON.stringify({ reports: [{ region: 'r1', model: 'm', capacity: 5, inUse: 1, at: Date.now() }] })),
  );
  t.after(() => source.close());
  const { store, poller } = pollerFor(t, source.url);
  await poller.pollOnce();
  assert.equal(store.source.failures, 0);
  assert.equal(store.report('m', 'r1')?.capacity, 5);
});
