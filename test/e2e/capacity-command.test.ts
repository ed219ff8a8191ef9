import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startCli } from '../helpers/cli.js';
import { startFleetAndRouter } from '../helpers/fleet-harness.js';
import { deploymentOf } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function fleet() {
  return startFleetAndRouter({
    regions: [
      { region: 'norwayeast', capacity: 10 },
      { region: 'swedencentral', capacity: 10 },
    ],
    zones: { eu: ['norwayeast', 'swedencentral'] },
    deployments: [{ name: 'chat-eu', model: 'm', type: 'datazone', zone: 'eu' }],
  });
}

test('capacity prints a table and exits 0 while every deployment is normal, 1 once one is conservative', async (t) => {
  const setup = await fleet();
  t.after(() => setup.close());
  const admin = setup.router.adminUrl;
  await waitFor('normal mode', async () => deploymentOf(await setup.router.capacity(), 'chat-eu').mode === 'normal');

  const normal = await runCli(['capacity', '--admin', admin]);
  assert.equal(normal.code, 0, normal.stderr);
  assert.match(normal.stdout, /^chat-eu {2}datazone m {2}NORMAL {2}coverage 100%$/m);
  assert.match(normal.stdout, /^ {2}swedencentral +\d+(\.\d)?% +\d+ reported +fresh /m);
  assert.doesNotMatch(normal.stdout, /\u001b\[/, 'no colour when stdout is not a terminal');

  setup.fleet.telemetry.drop('swedencentral');
  await waitFor(
    'conservative mode',
    async () => deploymentOf(await setup.router.capacity(), 'chat-eu').mode === 'conservative',
  );
  const conservative = await runCli(['capacity', '--admin', admin.replace('http://', '')]);
  assert.equal(conservative.code, 1);
  assert.match(conservative.stdout, /CONSERVATIVE/);
  assert.match(conservative.stdout, /no fresh data for swedencentral/);

  const json = await runCli(['capacity', '--admin', admin, '--json']);
  assert.equal(json.code, 1);
  const doc = JSON.parse(json.stdout) as { deployments: Array<{ name: string; mode: string }> };
  assert.equal(doc.deployments[0]!.mode, 'conservative');
});

test('capacity exits 2 with a one-line reason when the admin listener cannot be reached', async () => {
  const port = await closedPort();
  const { code, stdout, stderr } = await runCli(['capacity', '--admin', `http://127.0.0.1:${port}`]);
  assert.equal(code, 2);
  assert.equal(stdout, '');
  assert.match(
    stderr,
    new RegExp(`^switchyard capacity: cannot reach http://127\\.0\\.0\\.1:${port}: ECONNREFUSED$`, 'm'),
  );
  assert.equal((await runCli(['capacity', '--frobnicate'])).code, 2, 'bad usage');
});

test('capacity --watch --json prints one document per refresh until stopped', async (t) => {
  const setup = await fleet();
  t.after(() => setup.close());
  const { child, exited } = startCli(t, [
    'capacity',
    '--admin',
    setup.router.adminUrl,
    '--watch',
    '--json',
    '--interval',
    '100',
  ]);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const lines = await waitFor('three snapshots', () => {
    const complete = out.split('\n').slice(0, -1);
    return complete.length >= 3 ? complete : null;
  });
  for (const line of lines) assert.ok(Array.isArray((JSON.parse(line) as { deployments: unknown }).deployments));
  child.kill('SIGINT');
  assert.ok([0, 1].includes((await exited) ?? -1), 'exits with the last snapshot’s code');
});

test('health reads the admin port from the config the router runs with, and fails when nothing answers', async (t) => {
  const setup = await fleet();
  t.after(() => setup.close());
  const port = new URL(setup.router.adminUrl).port;
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-health-'));
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    [
      `admin: { host: 0.0.0.0, port: ${port} }`,
      'zones: { eu: [norwayeast] }',
      'backends: [ { region: norwayeast, url: "http://127.0.0.1:9" } ]',
      'deployments: [ { name: chat, model: m, type: global } ]',
      'telemetry: { url: "http://127.0.0.1:9/telemetry" }',
    ].join('\n'),
  );
  const live = await runCli(['health', '--config', config]);
  assert.equal(live.code, 0, live.stderr);
  assert.match(live.stdout, new RegExp(`^http://127\\.0\\.0\\.1:${port}/healthz: 200$`, 'm'));
  assert.equal((await runCli(['health', '--config', config, '--ready'])).code, 0);

  const dead = await runCli(['health', '--admin', `127.0.0.1:${await closedPort()}`]);
  assert.equal(dead.code, 1);
  assert.match(dead.stderr, /ECONNREFUSED/);
  const bad = await runCli(['health', '--config', join(dir, 'missing.yaml')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /cannot read the config file/);
});
