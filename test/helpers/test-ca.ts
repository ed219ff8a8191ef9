// A certificate authority made for one test run with the openssl command (Debian's
// `openssl`, on every machine the project uses; .ci/run installs it when missing): a
// CA, and a server certificate it signed for backend.test only (so that a client must send
// that name in SNI: the listener is 127.0.0.1). Nothing is
// kept in the repository, so nothing expires there.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export interface TestCa {
  readonly dir: string;
  /** The CA certificate's file (what a backend's tls.caFile names) and PEM. */
  readonly caFile: string;
  readonly caPem: string;
  /** The server's key and certificate, for an https fake backend. */
  readonly serverKey: string;
  readonly serverCert: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function haveOpenssl(t: TestContext): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    const message = 'openssl is missing: apt-get install -y --no-install-recommends openssl';
    if (process.env.CI === 'true') throw new Error(`${message} (CI must have it; .ci/run installs it)`);
    t.skip(`skipped: ${message}`);
    return false;
  }
}

/** A fresh CA and server certificate, removed when the test ends; null when the test was skipped. */
export function makeTestCa(t: TestContext): TestCa | null {
  if (!haveOpenssl(t)) return null;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-ca-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=switchyard test CA',
  ]);
  openssl(dir, ['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=backend.test']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:backend.test\n');
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'server.ext',
    '-out',
    'server.pem',
  ]);
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    serverKey: readFileSync(join(dir, 'server.key'), 'utf8'),
    serverCert: readFileSync(join(dir, 'server.pem'), 'utf8'),
  };
}
