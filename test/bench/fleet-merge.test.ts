// bench:fleet's results.json: a run of some groups replaces those groups' rows and keeps
// the others with the run that measured them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupOf, mergeResults } from '../../bench/fleet/merge.js';
import type { FleetResults, FleetRow } from '../../bench/fleet/types.js';
import { machineInfo } from '../../tools/machine.js';

function row(fleet: string, policy: string, scenario?: 'burst' | 'fairness'): FleetRow {
  return {
    fleet,
    load: 0.8,
    routers: 1,
    policy,
    build: 'current',
    sent: 100,
    failed: 0,
    routerRejected: 0,
    backend429: 0,
    status5xx: 0,
    transportErrors: 0,
    goodput: 0.8,
    shareSwing: 0,
    longestIdleZeroShareMs: 0,
    utilisation: [],
    erlangPooled: null,
    erlangStatic: null,
    seconds: 30,
    ...(scenario === undefined ? {} : { scenario }),
  };
}

function results(command: string, rows: FleetRow[], seconds = 30): FleetResults {
  return {
    command,
    machine: machineInfo(),
    quiet: true,
    startedAt: `${command} start`,
    finishedAt: `${command} end`,
    seconds,
    warmupSeconds: 5,
    rows,
    series: [],
  };
}

test('rows belong to the matrix, a scenario or the token fleet', () => {
  assert.equal(groupOf(row('a', 'switchyard')), 'matrix');
  assert.equal(groupOf(row('a', 'switchyard', 'burst')), 'burst');
  assert.equal(groupOf(row('tokens', 'switchyard')), 'tokens');
});

test('a token run keeps the matrix and the scenarios, and the matrix run stays the top level', () => {
  const full = results('full', [row('a', 'switchyard'), row('a', 'switchyard', 'burst')]);
  const tokens = results('tokens 1', [row('tokens', 'switchyard'), row('tokens', 'static')], 20);
  const merged = mergeResults(tokens, full, ['tokens']);
  assert.deepEqual(merged.rows.map(groupOf), ['matrix', 'burst', 'tokens', 'tokens']);
  assert.equal(merged.command, 'full');
  assert.equal(merged.seconds, 30);
  assert.deepEqual(
    merged.otherRuns?.map((o) => [o.command, o.groups]),
    [['tokens 1', ['tokens']]],
  );

  // A second token run replaces the first one's rows and its entry.
  const again = mergeResults(results('tokens 2', [row('tokens', 'switchyard')]), merged, ['tokens']);
  assert.deepEqual(again.rows.map(groupOf), ['matrix', 'burst', 'tokens']);
  assert.deepEqual(
    again.otherRuns?.map((o) => [o.command, o.groups]),
    [['tokens 2', ['tokens']]],
  );

  // A matrix run becomes the top level; the token rows stay with their run.
  const matrix = mergeResults(results('matrix', [row('a', 'static')]), again, ['matrix']);
  assert.equal(matrix.command, 'matrix');
  assert.deepEqual(matrix.rows.map(groupOf), ['matrix', 'burst', 'tokens']);
  assert.deepEqual(
    matrix.otherRuns?.map((o) => [o.command, o.groups]),
    [
      ['full', ['burst']],
      ['tokens 2', ['tokens']],
    ],
  );
});

test('a run of every group there is replaces the file', () => {
  const old = results('old', [row('a', 'switchyard')]);
  const fresh = results('new', [row('a', 'static')]);
  assert.equal(mergeResults(fresh, old, ['matrix']), fresh);
  assert.equal(mergeResults(fresh, null, ['matrix']), fresh);
});
