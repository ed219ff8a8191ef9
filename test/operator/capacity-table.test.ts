import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderCapacityTable, formatDuration, formatPercent } from '../../src/operator/capacity-table.js';
import { anyConservative, asCapacityDoc } from '../../src/operator/capacity-doc.js';

const DOC = {
  generatedAt: '2026-11-26T08:41:51.000Z',
  telemetry: { status: 'error', ageMs: 1200, lastError: 'timeout', polls: 10, failures: 2 },
  deployments: [
    {
      name: 'chat-eu',
      model: 'gpt-5.2',
      type: 'datazone',
      mode: 'conservative',
      reason: 'coverage 0.67 < 0.75: no fresh data for swedencentral',
      coverage: 2 / 3,
      rejection: null,
      regions: [
        { region: 'norwayeast', share: 0.27, fresh: true, ageMs: 91, headroom: 14, estimate: null, state: 'active' },
        {
          region: 'swedencentral',
          share: 0.33,
          fresh: false,
          ageMs: 84_000,
          headroom: 19,
          estimate: 'median',
          state: 'slow-start',
          weightFactor: 0.4,
        },
        {
          region: 'uksouth',
          share: 0,
          fresh: true,
          ageMs: 80,
          headroom: 24,
          estimate: null,
          state: 'ejected',
          stateReason: '400 rate 0.90 vs peers 0.00',
          stateUntil: '2026-11-26T08:42:21.000Z',
          // A field this version does not know: ignored by the table.
          queueDepth: [{ kind: 'waiting', count: 3 }],
        },
      ],
    },
    // A deployment from a newer router with most fields missing.
    { name: 'mini', mode: 'normal', regions: [{ region: 'r1' }] },
  ],
};

test('one table per deployment with share, headroom and its source, freshness, state, reason and time left', () => {
  const text = renderCapacityTable(asCapacityDoc(DOC)!, { colour: false, source: 'http://127.0.0.1:8081' });
  assert.doesNotMatch(text, /\u001b\[/, 'no colour unless asked');
  assert.match(text, /^telemetry error, last success 1\.2 s ago, 10 polls, 2 failures; last error: timeout$/m);
  assert.match(text, /^2 deployments: 1 normal, 1 conservative \(chat-eu\)$/m);
  assert.match(text, /^chat-eu {2}datazone gpt-5\.2 {2}CONSERVATIVE {2}coverage 67%$/m);
  assert.match(text, /^ {2}coverage 0\.67 < 0\.75: no fresh data for swedencentral$/m);
  assert.match(text, /^ {2}norwayeast +27% +14 reported +fresh 91 ms +active$/m);
  assert.match(text, /^ {2}swedencentral +33% +19 median +stale 1 min 24 s +slow-start \(weight 40%\)$/m);
  assert.match(
    text,
    /^ {2}uksouth +0% +24 reported +fresh 80 ms +ejected \(30 s left; 400 rate 0\.90 vs peers 0\.00\)$/m,
  );
  assert.match(text, /^mini {2}NORMAL {2}coverage -$/m);
  assert.match(text, /^ {2}r1 +- +- +no data +-$/m);
});

test('colour is an option: modes and states are painted, columns still line up', () => {
  const plain = renderCapacityTable(asCapacityDoc(DOC)!, { colour: false, source: 'x' });
  const coloured = renderCapacityTable(asCapacityDoc(DOC)!, { colour: true, source: 'x' });
  assert.match(coloured, /\u001b\[33m\u001b\[1mCONSERVATIVE/);
  assert.equal(coloured.replace(/\u001b\[[0-9;]*m/g, ''), plain);
});

test('anything that is not a capacity document is refused; any mode but normal counts as conservative', () => {
  assert.equal(asCapacityDoc({ error: { code: 'NotFound' } }), null);
  assert.equal(asCapacityDoc('x'), null);
  assert.equal(anyConservative(asCapacityDoc({ deployments: [{ mode: 'normal' }] })!), false);
  assert.equal(anyConservative(asCapacityDoc({ deployments: [{ mode: 'normal' }, { mode: 'conservative' }] })!), true);
  assert.equal(anyConservative(asCapacityDoc({ deployments: [{}] })!), true);
});

test('durations and percentages read like the dashboard', () => {
  assert.equal(formatDuration(250), '250 ms');
  assert.equal(formatDuration(1234), '1.2 s');
  assert.equal(formatDuration(61_000), '1 min 1 s');
  assert.equal(formatDuration(null), '-');
  assert.equal(formatPercent(0.0512), '5.1%');
  assert.equal(formatPercent(1), '100%');
  assert.equal(formatPercent(undefined), '-');
});

test('requests waiting for room are one line under the deployment, by priority; nothing when none waits', () => {
  const admission = (waiting: number) => ({
    maxWaitMs: 3000,
    waiting,
    oldestWaitMs: 1800,
    byPriority:
      waiting === 0
        ? []
        : [
            { priority: 5, waiting: 2, keys: 1, oldestWaitMs: 300 },
            { priority: 0, waiting: waiting - 2, keys: 3, oldestWaitMs: 1800 },
          ],
  });
  const doc = (waiting: number) => ({
    generatedAt: DOC.generatedAt,
    deployments: [{ name: 'chat', mode: 'normal', admission: admission(waiting), regions: [] }],
  });
  const text = renderCapacityTable(asCapacityDoc(doc(9))!, { colour: false, source: 'x' });
  assert.match(
    text,
    /^ {2}9 waiting for room, oldest 1\.8 s of 3\.0 s \(priority 5: 2 \(oldest 300 ms\), priority 0: 7 \(oldest 1\.8 s\)\)$/m,
  );
  assert.doesNotMatch(renderCapacityTable(asCapacityDoc(doc(0))!, { colour: false, source: 'x' }), /waiting/);
});

test('the stored-state line: homes cached and the hit rate; absent from an older router', () => {
  const withAffinity = {
    ...DOC,
    affinity: { enabled: true, cacheEntries: 1840, cacheLimit: 100000, hits: 943, misses: 57, hitRate: 0.943 },
  };
  const text = renderCapacityTable(asCapacityDoc(withAffinity)!, { colour: false, source: 'x' });
  assert.match(text, /^stored state: 1840 homes cached \(limit 100000\), hit rate 94% of 1000 lookups$/m);
  const off = { ...DOC, affinity: { enabled: false } };
  assert.match(
    renderCapacityTable(asCapacityDoc(off)!, { colour: false, source: 'x' }),
    /^stored state: affinity off$/m,
  );
  assert.doesNotMatch(renderCapacityTable(asCapacityDoc(DOC)!, { colour: false, source: 'x' }), /stored state/);
});
