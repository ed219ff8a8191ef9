import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoutingHistory, type SampledDeployment } from '../../src/router/routing-history.js';

function deployment(name: string, boundary: string[], servable: string[]) {
  const counters = new Map(servable.map((r) => [r, { count: 0, tokens: { total: 0 } }]));
  const d = {
    name,
    topology: { boundary, servable },
    route: null as SampledDeployment['route'],
    ownAnswers: { count: 0, tokens: { total: 0 } },
    statsFor: (region: string) => counters.get(region) ?? d.ownAnswers,
    counters,
    plan(mode: 'normal' | 'conservative', shares: number[]) {
      d.route = { plan: { mode, regions: boundary.map((region, i) => ({ region, share: shares[i] ?? 0 })) } };
    },
  };
  return d;
}

test('samples modes, shares and per-second request rates from the counters the data plane keeps', () => {
  const eu = deployment('chat-eu', ['norwayeast', 'swedencentral', 'uksouth'], ['norwayeast', 'swedencentral']);
  const history = new RoutingHistory([eu], 1_000, 10, 1000);
  eu.plan('normal', [0.25, 0.75, 0]);
  eu.counters.get('norwayeast')!.count = 2;
  eu.counters.get('swedencentral')!.count = 6;
  eu.counters.get('swedencentral')!.tokens.total = 900;
  eu.ownAnswers.count = 1;
  history.sample(3_000); // 2 s after the start
  eu.plan('conservative', [0.5, 0.5, 0]);
  eu.counters.get('swedencentral')!.count = 7;
  history.sample(4_000);

  const doc = history.since(0);
  assert.deepEqual(doc.deployments, [{ name: 'chat-eu', regions: ['norwayeast', 'swedencentral', 'uksouth'] }]);
  assert.equal(doc.samples.length, 2);
  assert.deepEqual(doc.samples[0], {
    at: 3000,
    modes: [0],
    shares: [[0.25, 0.75, 0]],
    rates: [[1, 3, 0]],
    tokenRates: [[0, 450, 0]],
    ownRates: [0.5],
  });
  assert.deepEqual(doc.samples[1], {
    at: 4000,
    modes: [1],
    shares: [[0.5, 0.5, 0]],
    rates: [[0, 1, 0]],
    tokenRates: [[0, 0, 0]],
    ownRates: [0],
  });
  assert.deepEqual(
    history.since(3000).samples.map((s) => s.at),
    [4000],
    'since() returns only newer samples',
  );
});

test('the ring keeps the newest samples only, oldest first, and a deployment without a plan counts as conservative', () => {
  const d = deployment('chat', ['r1'], ['r1']);
  const history = new RoutingHistory([d], 0, 3, 1000);
  for (let t = 1; t <= 5; t++) history.sample(t * 1000);
  const doc = history.since(0);
  assert.deepEqual(
    doc.samples.map((s) => s.at),
    [3000, 4000, 5000],
  );
  assert.deepEqual(
    doc.samples.map((s) => s.modes[0]),
    [1, 1, 1],
  );
  assert.equal(doc.capacity, 3);
});

test('a region missing from the plan (or planned in another order) is matched by name', () => {
  const d = deployment('chat', ['a', 'b'], ['a', 'b']);
  const history = new RoutingHistory([d], 0, 5, 1000);
  d.route = {
    plan: {
      mode: 'normal',
      regions: [
        { region: 'b', share: 0.9 },
        { region: 'a', share: 0.1 },
      ],
    },
  };
  history.sample(1000);
  assert.deepEqual(history.since(0).samples[0]!.shares, [[0.1, 0.9]]);
});
