import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { jsonLinesOf, runCli, startCli } from '../helpers/cli.js';
import { startSimFleet } from '../../src/sim/index.js';
import { waitFor } from '../helpers/wait.js';

async function tempFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-cli-'));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const BAD_YAML = `
zones:
  eu: [swedencentral]
  us: [eastus2]
backends:
  - { region: swedencentral, url: "http://127.0.0.1:9002" }
  - { region: westus, url: "http://127.0.0.1:9003" }
deployments:
  - { name: chat-global, model: gpt-5.2, type: global }
  - { name: chat-eu, model: gpt-5.2, type: datazone, zone: euw }
telemetry:
  url: "http://127.0.0.1:9100/telemetry"
  minCoverage: 2
`;

test('validate lists every problem with its key path and exits 2', async () => {
  const path = await tempFile('bad.yaml', BAD_YAML);
  const { code, stderr } = await runCli(['validate', path]);
  assert.equal(code, 2);
  assert.match(stderr, /^deployments\[1\]\.zone: unknown data zone "euw" \(known: eu, us\)$/m);
  assert.match(stderr, /^backends\[1\]\.region: .*westus/m);
  assert.match(stderr, /^telemetry\.minCoverage: /m);
});

test('start never starts a router on a bad config', async () => {
  const path = await tempFile('bad.yaml', BAD_YAML);
  const { code, stdout, stderr } = await runCli(['start', '--config', path]);
  assert.equal(code, 2);
  assert.doesNotMatch(stdout, /listening/);
  assert.match(stderr, /deployments\[1\]\.zone/);
});

test('validate accepts a good config (--config form too) and unknown commands exit 2', async () => {
  const path = await tempFile(
    'good.json',
    JSON.stringify({
      zones: { eu: ['swedencentral'] },
      backends: [{ region: 'swedencentral', url: 'http://127.0.0.1:9002' }],
      deployments: [{ name: 'chat', model: 'm', type: 'global' }],
      telemetry: { url: 'http://127.0.0.1:9100/telemetry' },
    }),
  );
  assert.equal((await runCli(['validate', path])).code, 0);
  assert.equal((await runCli(['validate', '--config', path])).code, 0);
  assert.equal((await runCli(['frobnicate'])).code, 2);
});

test('start serves, logs its ports, and on SIGTERM lets an in-flight stream finish, then exits 0', async (t) => {
  const fleet = await startSimFleet({ regions: [{ region: 'r1', capacity: 10, perTokenMs: 30 }], models: ['m'] });
  t.after(() => fleet.close());
  const path = await tempFile(
    'router.yaml',
    [
      'listen: { host: 127.0.0.1, port: 0 }',
      'admin: { host: 127.0.0.1, port: 0 }',
      'zones: { z: [r1] }',
      `backends: [ { region: r1, url: "${fleet.backends[0]!.url}" } ]`,
      'deployments: [ { name: chat, model: m, type: global } ]',
      `telemetry: { url: "${fleet.telemetryUrl}", intervalMs: 100 }`,
      'shutdown: { drainMs: 10000 }',
    ].join('\n'),
  );
  const { child, exited } = startCli(t, ['start', '--config', path]);
  const lines = jsonLinesOf(child);
  const data = await waitFor('data listener', () => lines.find((l) => l.msg === 'listening' && l.listener === 'data'));
  const admin = await waitFor('admin listener', () =>
    lines.find((l) => l.msg === 'listening' && l.listener === 'admin'),
  );
  assert.equal((await fetch(`http://127.0.0.1:${admin.port}/readyz`)).status, 200);
  assert.equal((await fetch(`http://127.0.0.1:${admin.port}/healthz`)).status, 200);

  const body = await new Promise<string>((resolve, reject) => {
    const req = request(
      `http://127.0.0.1:${data.port}/v1/chat/completions`,
      { method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.once('data', () => child.kill('SIGTERM'));
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(text));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'chat', stream: true, max_tokens: 20 }));
  });
  assert.match(body, /data: \[DONE\]\n\n$/, 'the stream in flight at SIGTERM completed');
  assert.equal((body.match(/^data: \{/gm) ?? []).length, 20);
  assert.equal(await exited, 0);
  assert.ok(lines.some((l) => l.msg === 'draining'));
});

test('the demo (npm start) serves a request through its simulated fleet and stops on SIGINT', async (t) => {
  const { child, exited } = startCli(t, ['demo', '--port', '0', '--admin-port', '0']);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const dataUrl = await waitFor(
    'the banner',
    () => /router \(data plane\)\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1],
  );
  const adminUrl = await waitFor('the admin URL', () => /admin\s+(http:\/\/127\.0\.0\.1:\d+)\/capacity/.exec(out)?.[1]);
  assert.match(out, /curl -s .*\/openai\/deployments\/chat-eu\/chat\/completions/);
  await waitFor('normal mode', async () => {
    const doc = (await (await fetch(`${adminUrl}/capacity`)).json()) as {
      deployments: Array<{ name: string; mode: string; boundary: string[] }>;
    };
    return doc.deployments.find((d) => d.name === 'chat-eu')?.mode === 'normal';
  });
  const res = await fetch(`${dataUrl}/openai/deployments/chat-eu/chat/completions?api-version=2024-10-21`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
  });
  assert.equal(res.status, 200);
  assert.ok(
    ['norwayeast', 'swedencentral', 'uksouth'].includes(res.headers.get('x-switchyard-region') ?? ''),
    'served inside the eu zone',
  );
  await res.text();
  child.kill('SIGINT');
  assert.equal(await exited, 0);
});
