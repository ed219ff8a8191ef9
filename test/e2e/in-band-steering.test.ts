// The second incident with load headers: the capacity table goes stale, but the
// backends' answers still say how full they are. With telemetry.inBand the router
// keeps reading them and steers traffic away from the full region; the control shows
// that without them the stale table spreads traffic onto it.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import { startFakeBackend } from '../helpers/fake-backend.js';
import { chat, spread } from '../helpers/fleet-harness.js';
import { baseConfig, deploymentOf, startRouter, type RunningRouter } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

interface Fleet {
  readonly router: RunningRouter;
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
  let frozenAt: number | null = null;
  const table = await startFakeBackend((_req, res) => {
    const at = frozenAt ?? Date.now();
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
      telemetry: { url: `${table.url}/telemetry`, intervalMs: 100, staleAfterMs: 1000, minCoverage: 0.6, inBand },
    }),
  );
  t.after(async () => {
    await router.stop();
    await Promise.all([full.close(), roomy.close(), spare.close(), table.close()]);
  });
  await waitFor('normal mode', async () => deploymentOf(await router.capacity(), 'chat').mode === 'normal');
  return {
    router,
    asked,
    freezeTable: () => {
      frozenAt = Date.now();
    },
  };
}

/** Keeps requests flowing (answers bring the load headers) until the table's readings are stale. */
async function untilTableStale(f: Fleet): Promise<void> {
  await waitFor(
    'the JSON readings to go stale',
    async () => {
      await chat(f.router.url, 'chat');
      const d = deploymentOf(await f.router.capacity(), 'chat');
      return d.regions.every((r) => r.sources.some((s) => s.source === 'json' && !s.fresh));
    },
    15_000,
    0,
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
  // share falls over a few seconds, not at the first answer.
  await waitFor(
    "the full region's share to fall",
    async () => {
      await chat(f.router.url, 'chat');
      const now = deploymentOf(await f.router.capacity(), 'chat');
      return (now.regions.find((r) => r.region === 'full')?.share ?? 1) < 0.05;
    },
    15_000,
    0,
  );
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
  await waitFor('conservative', async () => deploymentOf(await f.router.capacity(), 'chat').mode === 'conservative');
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
