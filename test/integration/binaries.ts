// Integration tests drive programs from Debian packages (chromium, promtool, prometheus). CI
// installs them (.ci/run), so there a missing one is a failure; on a developer's
// machine the test is skipped with the command that installs it.
import { accessSync, constants } from 'node:fs';
import type { TestContext } from 'node:test';

export function haveBinary(t: TestContext, path: string, debianPackage: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    const message = `${path} is missing: apt-get install -y --no-install-recommends ${debianPackage}`;
    if (process.env.CI === 'true') throw new Error(`${message} (CI must have it; .ci/run installs it)`);
    t.skip(`skipped: ${message}`);
    return false;
  }
}

/** The programs npm run test:integration drives, for npm test to say which it would skip. */
export const INTEGRATION_PROGRAMS: ReadonlyArray<{ path: string; debianPackage: string; tests: string }> = [
  { path: '/usr/bin/chromium', debianPackage: 'chromium', tests: 'the dashboard in a browser' },
  { path: '/usr/bin/promtool', debianPackage: 'prometheus', tests: 'the alert rules and dashboard queries' },
  { path: '/usr/bin/prometheus', debianPackage: 'prometheus', tests: 'the Prometheus source against a real server' },
];

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
