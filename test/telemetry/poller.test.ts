import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Metrics } from '../../src/metrics/metrics.js';
import { TelemetryPoller } from '../../src/telemetry/poller.js';
import { TelemetryStore } from '../../src/telemetry/store.js';
import { startFakeBackend } from '../helpers/fake-backend.js';
import { waitFor } from '../helpers/wait.js';

test('polls never overlap: a slow source is polled again only after it answered', async (t) => {
  let inFlight = 0;
  let maxInFlight = 0;
  let answered = 0;
  const source = await startFakeBackend((_req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // Six intervals late, but well within the timeout (10 s: the answer's 120 ms timer
    // may fire late on a loaded machine; a timeout here would be a failure, not a late poll).
    setTimeout(() => {
      inFlight--;
      answered++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ reports: [{ region: 'r1', model: 'm', capacity: 10, inUse: 1, at: Date.now() }] }));
    }, 120);
  });
  const store = new TelemetryStore(new Set(['r1']), new Set(['m']));
  let polled = 0;
  const poller = new TelemetryPoller({
    url: `${source.url}/telemetry`,
    intervalMs: 20,
    timeoutMs: 10_000,
    maxBodyBytes: 1024 * 1024,
    store,
    metrics: new Metrics(),
    logger: pino({ level: 'silent' }),
    now: Date.now,
    onPolled: () => polled++,
  });
  t.after(async () => {
    await poller.stop();
    await source.close();
  });
  poller.start();
  await waitFor('four answered polls', () => answered >= 4 && polled >= 4);
  assert.equal(maxInFlight, 1, 'one poll at a time');
  assert.equal(store.report('m', 'r1')?.inUse, 1);
  assert.equal(store.source.failures, 0);
});

test('a refused connection is a counted, logged failure that keeps the last good data', async (t) => {
  let up = true;
  const source = await startFakeBackend((_req, res) => {
    if (!up) {
      res.socket?.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ reports: [{ region: 'r1', model: 'm', capacity: 10, inUse: 2, at: Date.now() }] }));
  });
  const store = new TelemetryStore(new Set(['r1']), new Set(['m']));
  const metrics = new Metrics();
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (l: string) => lines.push(l) });
  const poller = new TelemetryPoller({
    url: `${source.url}/t`,
    intervalMs: 20,
    timeoutMs: 500,
    maxBodyBytes: 1024 * 1024,
    store,
    metrics,
    logger,
    now: Date.now,
    onPolled: () => undefined,
  });
  t.after(async () => {
    await poller.stop();
    await source.close();
  });
  poller.start();
  await waitFor('first report', () => store.report('m', 'r1') !== undefined);
  up = false;
  await waitFor('failures counted', () => store.source.failures >= 3);
  assert.equal(store.report('m', 'r1')?.inUse, 2, 'the last good report is kept');
  assert.match(
    await metrics.registry.metrics(),
    /switchyard_telemetry_poll_failures_total\{source="json",reason="connect"\} [3-9]|switchyard_telemetry_poll_failures_total\{source="json",reason="connect"\} \d\d/,
  );
  const failureLogs = lines.filter((l) => l.includes('telemetry poll failed'));
  assert.equal(failureLogs.length, 1, 'a repeating failure is logged once, not every interval');
});
