// npm test runs no test that needs a program outside Node: those run in
// npm run test:integration (test/integration/). This says in npm test's own output which
// of them this machine has, and which would be skipped there.
import { test } from 'node:test';
import { INTEGRATION_PROGRAMS, isExecutable } from './integration/binaries.js';

test('programs for npm run test:integration (run separately)', (t) => {
  const missing = INTEGRATION_PROGRAMS.filter((p) => !isExecutable(p.path));
  for (const p of INTEGRATION_PROGRAMS) {
    t.diagnostic(
      isExecutable(p.path)
        ? `${p.path} present: npm run test:integration runs ${p.tests}`
        : `${p.path} missing: npm run test:integration skips ${p.tests} (apt-get install -y --no-install-recommends ${p.debianPackage})`,
    );
  }
  if (missing.length > 0) {
    t.skip(`npm run test:integration will skip: ${missing.map((p) => p.tests).join('; ')}`);
  }
});
