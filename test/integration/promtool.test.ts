// The shipped Prometheus rules and the Grafana dashboard's queries, checked by
// Prometheus's own promtool (Debian package prometheus): the rules load, their unit
// tests (deploy/prometheus/alerts.test.yml) pass, and every dashboard query parses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { repoRoot } from '../helpers/repo-root.js';
import { haveBinary } from './binaries.js';

const PROMTOOL = '/usr/bin/promtool';

function promtool(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(PROMTOOL, args, { cwd: repoRoot() }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

test('promtool check rules accepts deploy/prometheus/alerts.yml', async (t) => {
  if (!haveBinary(t, PROMTOOL, 'prometheus')) return;
  const { code, output } = await promtool(['check', 'rules', 'deploy/prometheus/alerts.yml']);
  assert.equal(code, 0, output);
  assert.match(output, /SUCCESS: \d+ rules found/);
});

test('the alert rules fire as their unit tests say (promtool test rules)', async (t) => {
  if (!haveBinary(t, PROMTOOL, 'prometheus')) return;
  const { code, output } = await promtool(['test', 'rules', 'deploy/prometheus/alerts.test.yml']);
  assert.equal(code, 0, output);
  assert.match(output, /SUCCESS/);
});

test("every query of the Grafana dashboard is valid PromQL once Grafana's variables are filled in", async (t) => {
  if (!haveBinary(t, PROMTOOL, 'prometheus')) return;
  const exprs: string[] = [];
  JSON.parse(readFileSync(join(repoRoot(), 'deploy/grafana/switchyard.json'), 'utf8'), (key, value: unknown) => {
    if (key === 'expr' && typeof value === 'string') exprs.push(value);
    return value;
  });
  assert.ok(exprs.length > 20, `found ${exprs.length} queries`);
  const filled = exprs.map((e) =>
    e.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*').replaceAll('$deployment', '.*'),
  );
  assert.ok(
    filled.every((e) => !e.includes('$')),
    'a Grafana variable this test does not fill in',
  );
  // promtool checks PromQL in rule files: each query becomes a recording rule.
  const rules = {
    groups: [{ name: 'dashboard', rules: filled.map((expr, i) => ({ record: `dashboard:query_${i}`, expr })) }],
  };
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-promql-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'dashboard-queries.yml');
  writeFileSync(file, stringify(rules));
  const { code, output } = await promtool(['check', 'rules', file]);
  assert.equal(code, 0, output);
});
