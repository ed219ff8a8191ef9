// Random, odd and hostile telemetry answers (absurd figures, wrong types, random JSON,
// deep nesting, bodies over the limit, chunked, error statuses, bytes) against the
// real router. Whatever the source says: the router stays up, /capacity stays a
// coherent plan (shares in [0, 1] summing to 1 or all 0), requests still land only
// inside their boundary, and the heap stays bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import fc from 'fast-check';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz-seed.js';
import { settledHeap } from '../helpers/gc.js';
import { startFakeBackend, type FakeBackend } from '../helpers/fake-backend.js';
import { baseConfig, startRouter } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';
import { telemetryAnswerOf, type TelemetryAnswer } from './arbitraries.js';

const REGIONS = ['a', 'b', 'c'];
const BOUNDARY: Record<string, readonly string[]> = { g: ['a', 'b', 'c'], dz: ['a', 'b'], rc: ['c'] };

async function controllableSource(): Promise<{
  url: string;
  set(answer: TelemetryAnswer): void;
  served(): number;
  close(): Promise<void>;
}> {
  let answer: TelemetryAnswer | null = null;
  let served = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => {
    const a = answer;
    if (a === null) {
      res.writeHead(503);
      res.end();
      return;
    }
    served++;
    if (a.chunked) {
      res.writeHead(a.status, { 'content-type': 'application/json' });
      for (let i = 0; i < a.body.length; i += 64 * 1024) {
        if (!res.write(a.body.subarray(i, i + 64 * 1024))) break;
      }
      res.end();
    } else {
      res.writeHead(a.status, { 'content-type': 'application/json', 'content-length': a.body.length });
      res.end(a.body);
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/telemetry`,
    set: (a) => {
      answer = a;
    },
    served: () => served,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

test('random telemetry: the router stays up, plans stay coherent, boundaries hold', async (t) => {
  const seed = fuzzSeed(t);
  const source = await controllableSource();
  const backends: Record<string, FakeBackend> = {};
  for (const region of REGIONS) {
    backends[region] = await startFakeBackend((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
      res.end('{}');
    });
  }
  const r = await startRouter(
    baseConfig({
      zones: { z1: ['a', 'b'], z2: ['c'] },
      backends: REGIONS.map((region) => ({ region, url: backends[region]?.url })),
      deployments: [
        { name: 'g', model: 'm', type: 'global' },
        { name: 'dz', model: 'm', type: 'datazone', zone: 'z1' },
        { name: 'rc', model: 'm', type: 'regional', region: 'c' },
      ],
      telemetry: { url: source.url, intervalMs: 40, timeoutMs: 500, staleAfterMs: 1000, maxBodyBytes: 1024 * 1024 },
      log: { level: 'silent' },
    }),
  );
  t.after(async () => {
    await r.stop();
    await source.close();
    for (const b of Object.values(backends)) await b.close();
  });
  const heapBefore = settledHeap();
  await fc.assert(
    fc.asyncProperty(telemetryAnswerOf(REGIONS, ['m', 'other']), async (answer) => {
      source.set(answer);
      const from = source.served();
      await waitFor(`two polls of ${answer.label}`, () => source.served() >= from + 2, 5000, 5);
      assert.equal((await fetch(`${r.adminUrl}/healthz`)).status, 200);
      const doc = await r.capacity();
      for (const d of doc.deployments) {
        const shares = d.regions.map((x) => x.share);
        for (const s of shares) assert.ok(Number.isFinite(s) && s >= 0 && s <= 1, `${answer.label}: share ${s}`);
        const sum = shares.reduce((a, b) => a + b, 0);
        assert.ok(sum === 0 || Math.abs(sum - 1) < 1e-9, `${answer.label}: ${d.name} shares sum to ${sum}`);
      }
      for (const name of Object.keys(BOUNDARY)) {
        const res = await fetch(`${r.url}/openai/deployments/${name}/chat/completions`, { method: 'POST', body: '{}' });
        await res.text();
        const region = res.headers.get('x-switchyard-region');
        if (region !== null)
          assert.ok(BOUNDARY[name]?.includes(region), `${answer.label}: ${name} served in ${region}`);
        else assert.ok([429, 503].includes(res.status), `${answer.label}: ${name} answered ${res.status}`);
      }
    }),
    { seed, numRuns: fuzzRuns(30) },
  );
  await waitFor('nothing in flight', () => r.router.requestsInFlight === 0);
  const grown = settledHeap() - heapBefore;
  assert.ok(grown < 32 * 1024 * 1024, `heap grew by ${(grown / 1048576).toFixed(1)} MB`);
});
