// No container engine runs here, so the Dockerfile is checked by reading it: the
// defects a reader once found in it must not come back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/validate.js';
import { repoRoot } from '../helpers/repo-root.js';

const dockerfile = readFileSync(join(repoRoot(), 'Dockerfile'), 'utf8');
/** Instructions only: comments dropped, continuation lines joined. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const all = (keyword: string): string[] => instructions.filter((l) => l.toUpperCase().startsWith(`${keyword} `));

test('builds and runs on the primary Node release, the one CI runs everything on', () => {
  // .node-releases: the pinned releases, the primary one first.
  const [primary] = readFileSync(join(repoRoot(), '.node-releases'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '');
  const major = primary?.split('.')[0];
  assert.equal(major, '24', 'the README, docs/operations.md and this test say Node 24');
  const from = all('FROM');
  assert.equal(from.length, 2, 'a build stage and the image');
  for (const f of from) assert.match(f, new RegExp(`^FROM node:${major}([-.][-.\\w]*)?( AS \\w+)?$`, 'i'));
});

test('runs as a non-root user over files it does not own, with no anonymous volume', () => {
  const users = all('USER');
  assert.equal(users.length, 1);
  assert.doesNotMatch(users[0]!, /^USER (root|0)(:|$)/i);
  assert.deepEqual(
    all('COPY').filter((c) => /--chown/.test(c)),
    [],
    'no --chown: code owned by root',
  );
  assert.deepEqual(all('VOLUME'), []);
});

test('the health check asks switchyard itself, which reads the admin port from the config', () => {
  const [check] = all('HEALTHCHECK');
  assert.ok(check !== undefined);
  assert.match(check, /CMD \["node", "bin\/switchyard\.js", "health"\]/);
  assert.doesNotMatch(check, /ADMIN_PORT|8081/);
  assert.ok(all('ENV').some((e) => /SWITCHYARD_CONFIG=\/etc\/switchyard\/config\.yaml/.test(e)));
  assert.match(all('CMD').at(-1)!, /^CMD \["start"\]$/);
});

test("the default drain ends inside docker stop's 10 s grace period", () => {
  const minimal = validateConfig({
    zones: { z: ['r'] },
    backends: [{ region: 'r', url: 'http://127.0.0.1:9' }],
    deployments: [{ name: 'd', model: 'm', type: 'global' }],
    telemetry: { url: 'http://127.0.0.1:9/t' },
  });
  assert.ok(minimal.ok);
  assert.ok(minimal.config.shutdown.drainMs <= 10_000 - 2000, `drainMs ${minimal.config.shutdown.drainMs}`);
  assert.deepEqual(all('STOPSIGNAL'), ['STOPSIGNAL SIGTERM']);
});
