// npm test runs no test that needs a program outside Node: those run in
// npm run test:integration (test/integration/). This checks, in npm test's own output,
// which of them this machine has. In CI (CI=true, where .ci/run installs them) a missing
// one fails here, before the integration suite would have to; elsewhere the test is
// skipped with the command that installs it. The list itself is checked against the
// programs the integration tests call, so it cannot drift from them.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './helpers/repo-root.js';
import { INTEGRATION_PROGRAMS, isExecutable } from './integration/binaries.js';

/** Every `haveBinary(t, PATH_CONSTANT, 'package')` of the integration tests, resolved to [path, package]. */
function programsTheIntegrationTestsCall(): Array<[string, string]> {
  const dir = join(repoRoot(), 'test', 'integration');
  const calls: Array<[string, string]> = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.test.ts'))) {
    const source = readFileSync(join(dir, file), 'utf8');
    const constants = new Map(
      [...source.matchAll(/const ([A-Z_]+) = '(\/[^']+)';/g)].map((m) => [m[1] as string, m[2] as string]),
    );
    for (const m of source.matchAll(/haveBinary\(t, ([A-Z_]+|'[^']+'), '([^']+)'\)/g)) {
      const ref = m[1] as string;
      const path = ref.startsWith("'") ? ref.slice(1, -1) : constants.get(ref);
      assert.ok(path !== undefined, `${file}: haveBinary(t, ${ref}, ...) names a constant this test cannot resolve`);
      calls.push([path, m[2] as string]);
    }
  }
  return calls;
}

test('the list of integration programs is the set the integration tests call', () => {
  const called = programsTheIntegrationTestsCall();
  assert.ok(called.length > 0, 'the integration tests check for their programs with haveBinary');
  const listed = new Set(INTEGRATION_PROGRAMS.map((p) => `${p.path} (${p.debianPackage})`));
  const calledSet = new Set(called.map(([path, pkg]) => `${path} (${pkg})`));
  assert.deepEqual([...calledSet].sort(), [...listed].sort());
});

test('programs for npm run test:integration (run separately): present, or in CI a failure', (t) => {
  const missing = INTEGRATION_PROGRAMS.filter((p) => !isExecutable(p.path));
  for (const p of INTEGRATION_PROGRAMS) {
    t.diagnostic(
      isExecutable(p.path)
        ? `${p.path} present: npm run test:integration runs ${p.tests}`
        : `${p.path} missing: npm run test:integration skips ${p.tests} (apt-get install -y --no-install-recommends ${p.debianPackage})`,
    );
  }
  if (missing.length > 0 && process.env.CI !== 'true') {
    t.skip(`npm run test:integration will skip: ${missing.map((p) => p.tests).join('; ')}`);
    return;
  }
  // In CI, .ci/run installs every one of them: a missing program is a broken CI machine.
  assert.deepEqual(
    missing.map((p) => `${p.path} (apt-get install -y --no-install-recommends ${p.debianPackage})`),
    [],
    'programs the integration tests need are missing',
  );
});
