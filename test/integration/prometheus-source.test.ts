// A real Prometheus server (Debian package prometheus) scraping the simulated fleet's
// vLLM metrics, one target per region with a region label, and the router's
// Prometheus source querying it with the ready-made vLLM queries of docs/telemetry.md.
// Shares follow the load Prometheus reports (other tenants' requests held on one
// region); when Prometheus is killed, the deployments it fed turn conservative.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startSimFleet } from '../../src/sim/index.js';
import { closedPort } from '../helpers/fake-backend.js';
import { chat, spread } from '../helpers/fleet-harness.js';
import { baseConfig, deploymentOf, shareMap, startRouter } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';
import { openPost, type OpenStream } from '../sim/client.js';
import { haveBinary } from './binaries.js';

const PROMETHEUS = '/usr/bin/prometheus';
const REGIONS = ['r1', 'r2', 'r3'];
// Every region the same size, so the capacity query can be the docs' "replicas x
// --max-num-seqs"; what differs is the load.
const SLOTS = 50;
// Prometheus applies a new scrape config within ~5 s and scrapes every second; these
// are deadlines on a shared machine, not expectations.
const WAIT_MS = 40_000;

interface Prometheus {
  readonly url: string;
  readonly child: ChildProcess;
  readonly stderr: () => string;
}

async function startPrometheus(
  t: { after: (fn: () => void | Promise<void>) => void },
  targets: ReadonlyArray<{ region: string; url: string }>,
): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-prometheus-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
    scrape_configs: [
      {
        job_name: 'vllm',
        // One target per region; the region label is added here, as vLLM exports none.
        static_configs: targets.map((x) => ({ targets: [new URL(x.url).host], labels: { region: x.region } })),
      },
    ],
  };
  writeFileSync(join(dir, 'prometheus.yml'), stringify(config));
  // Prometheus cannot listen on port 0: take a free port first.
  const port = await closedPort();
  const child = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      'Prometheus to scrape every region',
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${stderr}`);
        const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent('count(vllm:num_requests_running)')}`);
        const body = (await res.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
        return body.data?.result?.[0]?.value[1] === String(targets.length);
      },
      WAIT_MS,
      200,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\nprometheus stderr:\n${stderr}`);
  }
  return { url, child, stderr: () => stderr };
}

test('shares follow the load a real Prometheus reports, and its outage turns the deployments conservative', async (t) => {
  if (!haveBinary(t, PROMETHEUS, 'prometheus')) return;
  const fleet = await startSimFleet({
    regions: REGIONS.map((region) => ({ region, capacity: SLOTS, perTokenMs: 50 })),
    models: ['m'],
  });
  t.after(() => fleet.close());
  const prometheus = await startPrometheus(t, fleet.backends);

  const router = await startRouter(
    baseConfig({
      zones: { z: REGIONS },
      backends: fleet.backends.map((b) => ({ region: b.region, url: b.url })),
      deployments: [
        { name: 'chat', model: 'm', type: 'global' },
        { name: 'east', model: 'm', type: 'regional', region: 'r1' },
      ],
      telemetry: {
        prometheus: {
          url: prometheus.url,
          capacityQuery: `count by (region, model_name) (vllm:num_requests_running) * ${SLOTS}`,
          inUseQuery: 'sum by (region, model_name) (vllm:num_requests_running + vllm:num_requests_waiting)',
          modelLabel: 'model_name',
        },
        // Prometheus alone: the answers' ORCA headers would keep regions with traffic fresh.
        inBand: false,
        intervalMs: 500,
        staleAfterMs: 3000,
        timeoutMs: 1000,
      },
    }),
  );
  t.after(() => router.stop());

  const idle = await waitFor(
    'normal mode from Prometheus',
    async () => {
      const d = deploymentOf(await router.capacity(), 'chat');
      return d.mode === 'normal' && d.coverage === 1 ? d : null;
    },
    WAIT_MS,
  );
  for (const r of idle.regions) {
    assert.equal(r.capacity, SLOTS);
    assert.equal(r.capacitySource, 'prometheus');
    assert.deepEqual(
      r.sources.map((s) => s.source),
      ['prometheus'],
    );
  }

  // Other tenants: 30 long streams held on r1, straight to its backend.
  const held: OpenStream[] = [];
  t.after(() => {
    for (const h of held) h.req.destroy();
  });
  for (let i = 0; i < 30; i++) {
    held.push(
      await openPost(`${fleet.region('r1').url}/v1/chat/completions`, { model: 'm', stream: true, max_tokens: 2000 }),
    );
  }
  const loaded = await waitFor(
    'shares to follow the load Prometheus reports',
    async () => {
      const d = deploymentOf(await router.capacity(), 'chat');
      const r1 = d.regions.find((r) => r.region === 'r1');
      // Other clients' load is smoothed over routing.smoothingMs: the share follows within seconds.
      return (r1?.inUse ?? 0) >= 30 && r1?.inUseSource === 'prometheus' && r1.share < 0.25 ? d : null;
    },
    WAIT_MS,
  );
  const shares = shareMap(loaded);
  t.diagnostic(`with 30 of r1's 50 slots taken: shares ${JSON.stringify(shares)}`);
  // Room 20 against 50 and 50: about 1/6 for r1.
  assert.ok((shares.r1 ?? 1) < 0.25, `r1 share ${shares.r1}`);
  assert.ok((shares.r2 ?? 0) > 0.35 && (shares.r3 ?? 0) > 0.35, JSON.stringify(shares));
  const { byRegion, byStatus } = await spread(90, 3, () => chat(router.url, 'chat'));
  assert.equal(byStatus[200], 90);
  t.diagnostic(`90 requests: ${JSON.stringify(byRegion)}`);
  assert.ok((byRegion.r1 ?? 0) < (byRegion.r2 ?? 0) && (byRegion.r1 ?? 0) < (byRegion.r3 ?? 0));

  // The tenants leave: Prometheus sees r1 empty again, and the shares even out.
  for (const h of held.splice(0)) h.req.destroy();
  await waitFor(
    'shares to even out',
    async () => (shareMap(deploymentOf(await router.capacity(), 'chat')).r1 ?? 0) > 0.3,
    WAIT_MS,
  );

  // Prometheus goes away: its readings age, and the deployments it fed turn conservative.
  prometheus.child.kill('SIGKILL');
  const dark = await waitFor(
    'conservative after the outage',
    async () => {
      const doc = await router.capacity();
      // The regions' readings (measured at evaluation) go stale a moment before the last poll does.
      return doc.telemetry.status === 'stale' && doc.deployments.every((d) => d.mode === 'conservative') ? doc : null;
    },
    WAIT_MS,
  );
  const source = dark.telemetry.sources.find((s) => s.source === 'prometheus');
  assert.equal(source?.status, 'stale');
  assert.match(source?.lastError ?? '', /^(connect|timeout): /);
  for (const d of dark.deployments) {
    assert.match(
      d.reason,
      /^telemetry stale: no source has delivered for \d+\.\d s \(staleAfterMs 3000\); last error: /,
    );
  }
  assert.equal((await chat(router.url, 'chat')).status, 200, 'the router serves on, conservatively');
  assert.match(
    await router.metrics(),
    /switchyard_telemetry_poll_failures_total\{source="prometheus",reason="(connect|timeout)"\} [1-9]/,
  );
});
