// What a normal start logs, read off the real router's log lines: every deployment is
// conservative until the first poll lands (some milliseconds later), which is how every
// start begins and no warning. test/router/start-log.test.ts has the late case.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startFleetAndRouter } from '../helpers/fleet-harness.js';
import { waitFor } from '../helpers/wait.js';

const DEPLOYMENTS = ['chat-eu', 'chat-global'];

test('a start whose telemetry arrives in time writes no warning', async (t) => {
  const s = await startFleetAndRouter({
    regions: [
      { region: 'a', capacity: 50 },
      { region: 'b', capacity: 50 },
      { region: 'c', capacity: 50 },
    ],
    zones: { eu: ['a', 'b'], us: ['c'] },
    deployments: [
      { name: 'chat-eu', model: 'm', type: 'datazone', zone: 'eu' },
      { name: 'chat-global', model: 'm', type: 'global' },
    ],
    // Room for a slow first poll on a busy machine: only a start this late would warn.
    telemetry: { intervalMs: 100, staleAfterMs: 5000 },
  });
  t.after(() => s.close());
  await waitFor('every deployment normal', async () =>
    (await s.router.capacity()).deployments.every((d) => d.mode === 'normal'),
  );

  const logs = s.router.logs;
  assert.deepEqual(
    logs.filter((l) => (l.level as number) >= 40).map((l) => `${l.msg} ${JSON.stringify(l)}`),
    [],
  );
  for (const d of DEPLOYMENTS) {
    const modes = logs.filter((l) => l.msg === 'routing mode' && l.deployment === d);
    assert.deepEqual(
      modes.map((l) => [l.level, l.mode, l.reason]).slice(0, 1),
      [[30, 'conservative', 'no telemetry received yet']],
      `${d} starts conservative, at info`,
    );
    assert.equal(modes.at(-1)?.mode, 'normal');
  }
});
