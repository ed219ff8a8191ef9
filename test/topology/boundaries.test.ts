import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTopology } from '../../src/topology/topology.js';

test('global, data zone and regional deployments resolve to their boundaries', () => {
  const t = buildTopology({
    zones: { us: ['eastus2', 'centralus'], eu: ['swedencentral', 'norwayeast'] },
    backends: [
      { region: 'eastus2', url: 'http://127.0.0.1:1' },
      { region: 'eastus2', url: 'http://127.0.0.1:2' },
      { region: 'swedencentral', url: 'http://127.0.0.1:3' },
    ],
    deployments: [
      { name: 'g', model: 'm', type: 'global', zone: null, region: null, admission: null, capacityUnit: null },
      { name: 'eu', model: 'm', type: 'datazone', zone: 'eu', region: null, admission: null, capacityUnit: null },
      {
        name: 'east',
        model: 'm',
        type: 'regional',
        zone: null,
        region: 'eastus2',
        admission: null,
        capacityUnit: null,
      },
    ],
  });
  const by = (n: string) => t.deploymentsByName.get(n)!;
  assert.deepEqual(by('g').boundary, ['eastus2', 'swedencentral'], 'global: every region with a backend');
  assert.deepEqual(by('eu').boundary, ['norwayeast', 'swedencentral'], 'data zone: all of its regions');
  assert.deepEqual(by('eu').servable, ['swedencentral'], 'only those with a backend can serve');
  assert.deepEqual(by('east').boundary, ['eastus2']);
  assert.equal(t.backendsByRegion.get('eastus2')!.length, 2);
});
