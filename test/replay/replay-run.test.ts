// A shortened replay of one incident through the real processes (simulated fleet, router
// from the CLI, seeded clients): the results have the documented shape, so the replay
// cannot rot unnoticed.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ChildRegistry } from '../../tools/children.js';
import { REGION_NAMES } from '../../replay/fleet.js';
import { runReplay } from '../../replay/replay.js';
import { writeReplayReport } from '../../replay/report.js';
import type { ReplayResults } from '../../replay/types.js';

const REQUIRED = [
  'policy',
  'sent',
  'failed',
  'failedRate',
  'failedInteractive',
  'failedBacklog',
  'timeToAnswerP50Ms',
  'timeToAnswerP99Ms',
  'status429',
  'status400',
  'status5xx',
  'retryAmplification',
  'peakUtilisation',
  'recoverySeconds',
  'boundaryViolations',
] as const;

test('a shortened engine-mismatch replay gives results of the documented shape', async (t) => {
  const reg = new ChildRegistry();
  const out = mkdtempSync(path.join(tmpdir(), 'switchyard-replay-test-'));
  t.after(async () => {
    await reg.stopAll();
    rmSync(out, { recursive: true, force: true });
  });
  const results = await runReplay(
    {
      only: ['engine-mismatch'],
      policies: ['switchyard', 'no 400 detection'],
      seed: 5,
      scale: 0.1,
      command: 'test',
      quiet: true,
    },
    reg,
    () => undefined,
  );
  writeFileSync(path.join(out, 'results.json'), JSON.stringify(results));
  writeReplayReport(out, results);

  const doc = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as ReplayResults;
  assert.equal(doc.incidents.length, 1);
  const incident = doc.incidents[0];
  assert.ok(incident);
  assert.equal(incident.name, 'engine-mismatch');
  assert.deepEqual(
    incident.policies.map((p) => p.policy),
    ['switchyard', 'no 400 detection'],
  );
  for (const p of incident.policies) {
    for (const key of REQUIRED) assert.ok(key in p, `${p.policy}: ${key}`);
    assert.ok(p.sent > 100, `${p.policy} sent ${p.sent}`);
    assert.equal(p.failed, p.sent - p.ok);
    assert.ok(p.failedRate >= 0 && p.failedRate <= 1);
    assert.ok(p.status429 + p.status400 + p.status5xx + p.transportErrors <= p.failed);
    assert.ok(p.retryAmplification > 0.5 && p.retryAmplification < 5, `amplification ${p.retryAmplification}`);
    assert.ok(p.peakUtilisation > 0 && p.peakUtilisation < 2);
    assert.ok(p.recoverySeconds === null || p.recoverySeconds >= 0);
    assert.ok((p.timeToAnswerP50Ms ?? 0) <= (p.timeToAnswerP99Ms ?? 0), `time to answer ${p.timeToAnswerP50Ms}`);
    assert.equal(p.boundaryViolations, 0);
    assert.equal(p.series.shares.length, p.series.failureRate.length);
    for (const s of p.series.shares) assert.equal(s.length, REGION_NAMES.length);
  }
  assert.equal(incident.policies[0]?.sent, incident.policies[1]?.sent, 'the same requests for every policy');
  assert.ok(existsSync(path.join(out, 'RESULTS.md')));
  assert.match(readFileSync(path.join(out, 'engine-mismatch.svg'), 'utf8'), /^<svg /);
});
