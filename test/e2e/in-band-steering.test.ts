// The second incident with load headers: the capacity table goes stale, but the
// backends' answers still say how full they are. With telemetry.inBand the router
// keeps reading them and steers traffic away from the full region; the control shows
// that without them the stale table spreads traffic onto it. The router and the table
// share a manual clock, and time moves in steps between bursts of requests (a steady
// rate in the router's time, whatever the machine's speed): the table goes stale, and
// the answers keep the regions fresh, exactly as the test says.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import { startFakeBackend } from '../helpers/fake-backend.js';
import { seededRandom } from '../../src/sim/loop-model/random.js';
import { chat, spread } from '../helpers/fleet-harness.js';
import { ManualClock } from '../helpers/manual-clock.js';
import {
  baseConfig,
  type CapacityDoc,
  capacityPlannedAt,
  deploymentOf,
  startRouter,
  type RunningRouter,
} from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

const STALE_AFTER_MS = 1000;

interface Fleet {
  readonly router: RunningRouter;
  readonly clock: ManualClock;
  /** The value of endpoint-load-metrics-format on each request a region received. */
  readonly asked: Record<string, Array<string | undefined>>;
  freezeTable(): void;
}

/** An ORCA-speaking backend (as vLLM is) whose KV cache is this full. */
function orcaBackend(region: string, usage: number, asked: Array<string | undefined>) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const format = req.headers['endpoint-load-metrics-format'];
    asked.push(typeof format === 'string' ? format : undefined);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (format === 'text') {
      headers['endpoint-load-metrics'] =
        `TEXT named_metrics.kv_cache_usage_perc=${usage}, named_metrics.num_requests_waiting=${usage >= 1 ? 4 : 0}`;
    }
    res.writeHead(200, headers);
    res.end(JSON.stringify({ region }));
  };
}

async function fleet(t: { after: (fn: () => Promise<void>) => void }, inBand: boolean): Promise<Fleet> {
  // Three regions: with two, the weight cap (10x the peers' mean) would keep ~9% on the full one.
  const asked: Record<string, Array<string | undefined>> = { full: [], roomy: [], spare: [] };
  const full = await startFakeBackend(orcaBackend('full', 1, asked.full as Array<string | undefined>));
  const roomy = await startFakeBackend(orcaBackend('roomy', 0.1, asked.roomy as Array<string | undefined>));
  const spare = await startFakeBackend(orcaBackend('spare', 0.3, asked.spare as Array<string | undefined>));
  // The table says both regions are empty; once frozen, its `at` stops moving.
  const clock = new ManualClock();
  let frozenAt: number | null = null;
  const table = await startFakeBackend((_req, res) => {
    const at = frozenAt ?? clock.now();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        reports: ['full', 'roomy', 'spare'].map((region) => ({ region, model: 'm', capacity: 100, inUse: 0, at })),
      }),
    );
  });
  const router = await startRouter(
    baseConfig({
      zones: { z: ['full', 'roomy', 'spare'] },
      backends: [
        { region: 'full', url: full.url },
        { region: 'roomy', url: roomy.url },
        { region: 'spare', url: spare.url },
      ],
      deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }],
      telemetry: {
        url: `${table.url}/telemetry`,
        intervalMs: 100,
        staleAfterMs: STALE_AFTER_MS,
        minCoverage: 0.6,
        inBand,
      },
    }),
    { now: clock.now, random: seededRandom(11) },
  );
  t.after(async () => {
    clock.release();
    await router.stop();
    await Promise.all([full.close(), roomy.close(), spare.close(), table.close()]);
  });
  await waitFor('normal mode', async () => deploymentOf(await router.capacity(), 'chat').mode === 'normal');
  return {
    router,
    clock,
    asked,
    freezeTable: () => {
      frozenAt = clock.now();
    },
  };
}

/**
 * Traffic while time passes: 10 requests, one after the other, then the clock moves on
 * 100 ms (100 requests a second in the router's time); returns /capacity as of the plan
 * after the last step.
 */
async function trafficFor(f: Fleet, ms: number): Promise<CapacityDoc> {
  let doc: CapacityDoc | null = null;
  for (let elapsed = 0; elapsed < ms; elapsed += 100) {
    for (let i = 0; i < 10; i++) assert.equal((await chat(f.router.url, 'chat')).status, 200);
    doc = await capacityPlannedAt(f.router, f.clock.advance(Math.min(100, ms - elapsed)));
  }
  return doc ?? f.router.capacity();
}

/** Keeps requests flowing (answers bring the load headers) until the table's readings are stale. */
async function untilTableStale(f: Fleet): Promise<void> {
  const d = deploymentOf(await trafficFor(f, STALE_AFTER_MS + 1), 'chat');
  assert.ok(
    d.regions.every((r) => r.sources.some((s) => s.source === 'json' && !s.fresh)),
    'the JSON readings are stale',
  );
}

test('with the table stale, ORCA headers on the answers steer traffic away from the full region', async (t) => {
  const f = await fleet(t, true);
  f.freezeTable();
  await untilTableStale(f);
  const doc = await f.router.capacity();
  const d = deploymentOf(doc, 'chat');
  assert.equal(d.mode, 'normal', d.reason);
  const roomy = d.regions.find((r) => r.region === 'roomy');
  assert.equal(roomy?.fresh, true, 'kept fresh by the answers');
  assert.equal(roomy?.inUseSource, 'in-band');
  assert.equal(roomy?.capacitySource, 'json', "the stale table's capacity, the answers' utilisation");
  assert.equal(roomy?.inUse, 10);
  assert.deepEqual(
    roomy?.sources.map((s) => [s.source, s.fresh]),
    [
      ['in-band', true],
      ['json', false],
    ],
  );
  assert.deepEqual(
    doc.telemetry.sources.map((s) => s.source),
    ['json', 'in-band'],
  );

  // Other clients' load is smoothed over routing.smoothingMs (1 s): the full region's
  // share falls over a few seconds of traffic, not at the first answer.
  const fullShare = (doc: CapacityDoc): number =>
    deploymentOf(doc, 'chat').regions.find((r) => r.region === 'full')?.share ?? 1;
  const shares = [fullShare(doc)];
  while (shares.at(-1)! >= 0.05) {
    assert.ok(shares.length <= 100, `the full region's share fell to ${shares.at(-1)} in 10 s of traffic`);
    shares.push(fullShare(await trafficFor(f, 100)));
  }
  t.diagnostic(`the full region's share, every 100 ms: ${shares.map((x) => x.toFixed(3)).join(' ')}`);
  assert.ok(shares.length > 2, 'the share falls over time, not at once');
  const n = 200;
  const { byRegion, byStatus } = await spread(n, 4, () => chat(f.router.url, 'chat'));
  assert.equal(byStatus[200], n);
  t.diagnostic(
    `after the table went stale: full ${byRegion.full ?? 0}, roomy ${byRegion.roomy ?? 0}, spare ${byRegion.spare ?? 0} of ${n}`,
  );
  assert.ok((byRegion.full ?? 0) < 0.1 * n, `the full region got ${byRegion.full} of ${n}`);
  assert.ok(
    Object.values(f.asked)
      .flat()
      .every((v) => v === 'text'),
    'every request asked for ORCA TEXT',
  );
  assert.match(
    await f.router.metrics(),
    /switchyard_telemetry_inband_headers_total\{region="roomy",result="read"\} \d+/,
  );
});

test('control: without in-band readings the stale table spreads traffic onto the full region', async (t) => {
  const f = await fleet(t, false);
  f.freezeTable();
  const d = deploymentOf(await capacityPlannedAt(f.router, f.clock.advance(STALE_AFTER_MS + 1)), 'chat');
  assert.equal(d.mode, 'conservative', 'the table is stale and nothing else says how full the regions are');
  const n = 200;
  const { byRegion } = await spread(n, 4, () => chat(f.router.url, 'chat'));
  t.diagnostic(`full ${byRegion.full ?? 0}, roomy ${byRegion.roomy ?? 0}, spare ${byRegion.spare ?? 0} of ${n}`);
  assert.ok((byRegion.full ?? 0) > 0.2 * n, `the full region got ${byRegion.full} of ${n}`);
  assert.ok(
    Object.values(f.asked)
      .flat()
      .every((v) => v === undefined),
    'nothing is asked for when in-band is off',
  );
});
