// A start is not an alarm: every router routes conservatively until its first telemetry
// arrives, and that is logged at info. Only when telemetry.staleAfterMs passes after the
// start without any is it a warning. The router runs on an injected clock here and is
// never started (no listeners, no polls): the test feeds its telemetry store itself and
// re-plans as the ageing tick would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { createLogger } from '../../src/logger/logger.js';
import { Router } from '../../src/router/router.js';
import { twoRegionConfig } from '../helpers/router-config.js';
import { logSink } from '../helpers/router-harness.js';

const STALE_AFTER_MS = 2000;
const START = 1_800_000_000_000;
const DEPLOYMENTS = ['chat-eu', 'chat-global'];

function setup() {
  const config = twoRegionConfig({
    log: { level: 'info' },
    deployments: [
      { name: 'chat-eu', model: 'm', type: 'datazone', zone: 'eu' },
      { name: 'chat-global', model: 'm', type: 'global' },
    ],
    telemetry: { url: 'http://127.0.0.1:9/telemetry', staleAfterMs: STALE_AFTER_MS },
  });
  const { logs, sink } = logSink();
  let now = START;
  const router = new Router({ config, logger: createLogger('info', sink), now: () => now });
  return {
    router,
    /** The log lines written since the last call. */
    async newLines(): Promise<Array<Record<string, unknown>>> {
      await tick();
      return logs.splice(0);
    },
    at(ms: number): void {
      now = START + ms;
      router.replan();
    },
  };
}

const WARN = 40;
const INFO = 30;
const modeLines = (lines: Array<Record<string, unknown>>) => lines.filter((l) => l.msg === 'routing mode');

test('telemetry that arrives within staleAfterMs of the start: not one warning', async () => {
  const s = setup();
  const start = await s.newLines();
  assert.deepEqual(
    modeLines(start).map((l) => [l.deployment, l.level, l.mode, l.reason]),
    DEPLOYMENTS.map((d) => [d, INFO, 'conservative', 'no telemetry received yet']),
  );
  assert.deepEqual(
    start.filter((l) => (l.level as number) >= WARN),
    [],
  );

  s.at(STALE_AFTER_MS); // the last instant that is still a normal start
  assert.deepEqual(await s.newLines(), []);

  const reports = ['a', 'b'].map((region) => ({ region, model: 'm', capacity: 100, inUse: 10, atMs: START }));
  s.router.store.recordSuccess(reports, START + STALE_AFTER_MS);
  s.at(STALE_AFTER_MS);
  const arrived = await s.newLines();
  assert.deepEqual(
    modeLines(arrived).map((l) => [l.deployment, l.level, l.mode, l.previousMode]),
    DEPLOYMENTS.map((d) => [d, INFO, 'normal', 'conservative']),
  );
  assert.deepEqual(
    arrived.filter((l) => (l.level as number) >= WARN),
    [],
  );
});

test('no telemetry staleAfterMs after the start: one warning per deployment, then quiet', async () => {
  const s = setup();
  await s.newLines();
  s.at(1000);
  s.at(STALE_AFTER_MS);
  assert.deepEqual(await s.newLines(), [], 'still a normal start');

  s.at(STALE_AFTER_MS + 250);
  const late = await s.newLines();
  assert.deepEqual(
    late.map((l) => [l.msg, l.deployment, l.level, l.mode, l.previousMode, l.reason]),
    DEPLOYMENTS.map((d) => [
      'routing mode',
      d,
      WARN,
      'conservative',
      'conservative',
      `no telemetry received yet: none in 2.3 s since the start (staleAfterMs ${STALE_AFTER_MS})`,
    ]),
  );
  const metrics = await s.router.metrics.registry.getSingleMetricAsString('switchyard_routing_mode_changes_total');
  assert.doesNotMatch(metrics, /deployment=/, 'the mode itself did not change');

  s.at(STALE_AFTER_MS + 500);
  s.at(60_000);
  assert.deepEqual(await s.newLines(), [], 'said once, not at every re-plan');

  // When telemetry does come, routing turns normal, at info.
  const reports = ['a', 'b'].map((region) => ({ region, model: 'm', capacity: 100, inUse: 10, atMs: START + 60_000 }));
  s.router.store.recordSuccess(reports, START + 60_000);
  s.at(60_000);
  assert.deepEqual(
    modeLines(await s.newLines()).map((l) => [l.deployment, l.level, l.mode]),
    DEPLOYMENTS.map((d) => [d, INFO, 'normal']),
  );
});
