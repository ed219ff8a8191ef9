// Random configs. Validation never throws, and every problem it reports is one line
// `path: what is wrong (what would be right)`; random config text does not throw
// either. Random valid topologies start a real router that routes every deployment
// inside its boundary and stops cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseConfigText } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { contractExample } from '../helpers/config-fixtures.js';
import { startFakeBackend, type FakeBackend } from '../helpers/fake-backend.js';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz-seed.js';
import { baseConfig, startRouter } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

const PROBLEM = /^[^\n]+: [^\n]+ \([^\n]+\)$/;

/** Sets `value` at a random path of `root` (a plain JSON tree), creating or replacing. */
function mutate(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node: Record<string, unknown> = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string;
    const next = node[key];
    if (typeof next !== 'object' || next === null) {
      node[key] = value;
      return;
    }
    node = next as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

const KEYS = fc.constantFrom(
  'listen',
  'admin',
  'zones',
  'backends',
  'deployments',
  'telemetry',
  'limits',
  'upstream',
  'retry',
  'outlier',
  'shedding',
  'host',
  'port',
  'token',
  'url',
  'prometheus',
  'inBand',
  'capacityQuery',
  'regionLabel',
  'maxBodyBytes',
  'requestBodyTimeoutMs',
  'clientReadTimeoutMs',
  'intervalMs',
  'staleAfterMs',
  'timeoutMs',
  '0',
  '1',
  'region',
  'name',
  'type',
  'zone',
  'eu',
  'us',
  'bogus',
);
const VALUE = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.constantFrom(undefined, null, 0, -1, 1e300, Number.NaN, '', '${UNSET_FOR_FUZZ}', 'http://x', [], {}),
);

test('config validation never throws and reports every problem as one `path: wrong (right)` line', (t) => {
  const seed = fuzzSeed(t);
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.array(KEYS, { minLength: 1, maxLength: 3 }), VALUE), { maxLength: 4 }),
      (edits) => {
        const raw = contractExample() as unknown as Record<string, unknown>;
        for (const [path, value] of edits) mutate(raw, path, value);
        const result = validateConfig(raw, {});
        if (!result.ok) {
          assert.ok(result.errors.length > 0);
          for (const e of result.errors) assert.match(e, PROBLEM);
        }
      },
    ),
    { seed, numRuns: fuzzRuns(400) },
  );
  fc.assert(
    fc.property(fc.anything(), (raw) => {
      const result = validateConfig(raw, {});
      if (!result.ok) for (const e of result.errors) assert.match(e, PROBLEM);
    }),
    { seed, numRuns: fuzzRuns(200) },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), fc.constantFrom('c.yaml', 'c.json'), (text, file) => {
      const result = parseConfigText(text, file);
      if (!result.ok) for (const e of result.errors) assert.ok(!e.includes('\n'), e);
    }),
    { seed, numRuns: fuzzRuns(200) },
  );
});

interface Topology {
  zones: Record<string, string[]>;
  withBackend: string[];
  deployments: Array<{ name: string; model: string; type: string; zone?: string; region?: string }>;
}

const topology: fc.Arbitrary<Topology> = fc
  .tuple(
    fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
    fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
    fc.array(fc.nat(20), { minLength: 1, maxLength: 4 }),
  )
  .map(([sizes, hasBackend, picks]) => {
    const zones: Record<string, string[]> = {};
    const regions: string[] = [];
    sizes.forEach((n, z) => {
      zones[`z${z}`] = Array.from({ length: n }, (_, i) => `z${z}r${i}`);
      regions.push(...(zones[`z${z}`] as string[]));
    });
    const withBackend = regions.filter((_, i) => hasBackend[i] === true);
    if (withBackend.length === 0) withBackend.push(regions[0] as string);
    const deployments = picks.map((p, i) => {
      const name = `d${i}`;
      if (p % 3 === 0) return { name, model: 'm', type: 'global' };
      if (p % 3 === 1) return { name, model: 'm', type: 'datazone', zone: `z${p % sizes.length}` };
      return { name, model: 'm', type: 'regional', region: withBackend[p % withBackend.length] as string };
    });
    return { zones, withBackend, deployments };
  });

function boundaryOf(topo: Topology, d: Topology['deployments'][number]): string[] {
  if (d.type === 'global') return topo.withBackend;
  if (d.type === 'datazone') return (topo.zones[d.zone as string] ?? []).filter((r) => topo.withBackend.includes(r));
  return [d.region as string];
}

test('random valid topologies start a router that keeps every deployment inside its boundary', async (t) => {
  const seed = fuzzSeed(t);
  const backends: FakeBackend[] = [];
  for (let i = 0; i < 9; i++) {
    backends.push(
      await startFakeBackend((_req, res) => {
        res.writeHead(200, { 'content-length': 2 });
        res.end('{}');
      }),
    );
  }
  t.after(async () => {
    for (const b of backends) await b.close();
  });
  await fc.assert(
    fc.asyncProperty(topology, async (topo) => {
      const config = baseConfig({
        zones: topo.zones,
        backends: topo.withBackend.map((region, i) => ({ region, url: backends[i]?.url })),
        deployments: topo.deployments,
        telemetry: { url: 'http://127.0.0.1:9/telemetry', intervalMs: 100, timeoutMs: 100 },
        log: { level: 'silent' },
      });
      // Some random topologies are invalid (a zone without a backend, say): the first
      // test covers what validation says about them; this one is about routing.
      fc.pre(validateConfig(config, {}).ok);
      const r = await startRouter(config);
      try {
        await waitFor('ready', async () => (await fetch(`${r.adminUrl}/readyz`)).status === 200);
        for (const d of topo.deployments) {
          const res = await fetch(`${r.url}/openai/deployments/${d.name}/chat/completions`, {
            method: 'POST',
            body: '{}',
          });
          await res.text();
          const region = res.headers.get('x-switchyard-region');
          if (region !== null) assert.ok(boundaryOf(topo, d).includes(region), `${d.name} served in ${region}`);
          else assert.ok([429, 503].includes(res.status), `${d.name}: ${res.status}`);
        }
      } finally {
        await r.stop();
      }
    }),
    { seed, numRuns: fuzzRuns(6) },
  );
});
