import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { writeReplayReport } from '../../replay/report.js';
import { verdicts } from '../../replay/targets.js';
import type { IncidentResult, PolicyKind, PolicyResult, ReplayResults } from '../../replay/types.js';

function result(policy: string, kind: PolicyKind, failed: number, byClass?: [number, number]): PolicyResult {
  const sent = 1000;
  return {
    policy,
    kind,
    sent,
    ok: sent - failed,
    failed,
    failedRate: failed / sent,
    status429: failed,
    status400: 0,
    status5xx: 0,
    transportErrors: 0,
    unfinished: 0,
    routerAnswered: 0,
    failedByDeployment: {},
    // Results written before the backlog was marked have none of these.
    ...(byClass === undefined ? {} : { sentBacklog: 300, failedInteractive: byClass[0], failedBacklog: byClass[1] }),
    failedBeforeFault: 0,
    failedDuringFault: failed,
    failedAfterFault: 0,
    clientAttempts: sent,
    upstreamAttempts: sent,
    retryAmplification: 1,
    upstreamPerClientAttempt: 1,
    backend429: 0,
    backend400: 0,
    peakUtilisation: 1,
    secondsOverCapacity: 0,
    idleWhileRejecting: null,
    recoverySeconds: 0,
    boundaryViolations: 0,
    routerEvents: [],
    series: { binS: 0.5, shares: [], failureRate: [] },
  };
}

function incident(policies: PolicyResult[]): IncidentResult {
  return {
    name: 'retry-storm',
    title: 't',
    seconds: 22,
    fault: { startS: 4, endS: 12 },
    load: 0.4,
    ratePerSecond: 70,
    client: { maxRetries: 5, label: 'workflow clients' },
    events: [],
    regions: [],
    policies,
  };
}

const COMPARED = [
  result('switchyard', 'switchyard', 40, [10, 30]),
  result('round robin', 'baseline', 50, [20, 30]),
  result('no retry budget', 'ablation', 45, [15, 30]),
];

test("a variant takes no part in switchyard's targets and has its own: no interactive request fails", () => {
  const without = verdicts(incident(COMPARED));
  const met = verdicts(incident([...COMPARED, result('client priorities', 'variant', 12, [0, 12])]));
  assert.deepEqual(met.slice(0, without.length), without, 'a variant failing fewer than switchyard changes nothing');
  assert.equal(met.length, without.length + 1);
  assert.deepEqual(met.at(-1), {
    incident: 'retry-storm',
    target: 'with client priorities, interactive failures: 0',
    measured: 'interactive 0 of 700; backlog 12 of 300',
    met: true,
  });
  const missed = verdicts(incident([...COMPARED, result('client priorities', 'variant', 14, [2, 12])]));
  assert.equal(missed.at(-1)?.met, false);
  const alone = verdicts(incident([result('client priorities', 'variant', 12, [0, 12])]));
  assert.deepEqual(alone, [met.at(-1)], 'judged in a run of the variant alone too');
});

test('results written before the backlog was marked or the time to answer measured are reported with "-", and judged not measured', (t) => {
  const out = mkdtempSync(path.join(tmpdir(), 'switchyard-report-test-'));
  t.after(() => rmSync(out, { recursive: true, force: true }));
  const old = incident([
    result('switchyard', 'switchyard', 40),
    { ...result('client priorities', 'variant', 12), timeToAnswerP50Ms: 2500, timeToAnswerP99Ms: 9000 },
  ]);
  assert.deepEqual(verdicts(old).at(-1)?.measured, 'not measured');
  assert.equal(verdicts(old).at(-1)?.met, false);
  const results: ReplayResults = {
    command: 'test',
    machine: { cpuModel: 'cpu', cores: 2, memoryGB: 1, node: 'v24', v8: '13', platform: 'linux', loadAvg1m: 0 },
    quiet: true,
    startedAt: '',
    finishedAt: '',
    seed: 1,
    scale: 1,
    incidents: [old],
  };
  writeReplayReport(out, results);
  const report = readFileSync(path.join(out, 'RESULTS.md'), 'utf8');
  const header = report.split('\n').find((l) => l.startsWith('| policy ') && l.includes('failed interactive'));
  const row = report.split('\n').find((l) => l.startsWith('| switchyard '));
  assert.ok(header !== undefined && row !== undefined, report);
  const column = (line: string, name: string): string | undefined =>
    line.split('|').map((c) => c.trim())[header.split('|').findIndex((c) => c.trim() === name)];
  assert.equal(column(row, 'failed interactive'), '-');
  assert.equal(column(row, 'failed backlog'), '-');
  assert.deepEqual([column(row, 'p50 s'), column(row, 'p99 s')], ['-', '-']);
  const measured = report.split('\n').find((l) => l.startsWith('| client priorities '));
  assert.ok(measured !== undefined);
  assert.deepEqual([column(measured, 'p50 s'), column(measured, 'p99 s')], ['2.50', '9.00']);
});
