// Reload: a valid config is swapped in without dropping a request in flight (a stream
// included), a bad one is rejected with every problem while the running one serves,
// the pool of a removed backend closes after its last request, and SIGHUP drives it
// from the command line.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateConfig } from '../../src/config/validate.js';
import { startSimFleet } from '../../src/sim/index.js';
import { jsonLinesOf, startCli } from '../helpers/cli.js';
import { closedPort, startFakeBackend } from '../helpers/fake-backend.js';
import { baseConfig, startRouter } from '../helpers/router-harness.js';
import { waitFor } from '../helpers/wait.js';

/** POSTs a streaming chat; resolves once the first bytes came; `rest` is the whole body. */
function openStream(url: string, body: unknown): Promise<{ first: string; rest: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      const rest = new Promise<string>((done, fail) => {
        res.on('end', () => done(text));
        res.on('error', fail);
        res.on('close', () => (res.complete ? undefined : fail(new Error('stream cut'))));
      });
      res.once('data', (c: string) => resolve({ first: c, rest }));
      res.on('data', (c: string) => (text += c));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

test('a reload swaps in new deployments while a stream in flight runs to its end', async (t) => {
  const fleet = await startSimFleet({
    regions: [
      { region: 'east', capacity: 10, perTokenMs: 15 },
      { region: 'west', capacity: 10, perTokenMs: 15 },
    ],
    models: ['m'],
  });
  const raw = (deployments: unknown[], extra: Record<string, unknown> = {}) =>
    baseConfig({
      zones: { z: ['east', 'west'] },
      backends: fleet.backends.map((b) => ({ region: b.region, url: b.url })),
      deployments,
      telemetry: { url: fleet.telemetryUrl, intervalMs: 100 },
      ...extra,
    });
  const r = await startRouter(raw([{ name: 'chat', model: 'm', type: 'global' }]));
  t.after(async () => {
    await r.stop();
    await fleet.close();
  });
  const stream = await openStream(`${r.url}/v1/chat/completions`, { model: 'chat', stream: true, max_tokens: 30 });
  assert.match(stream.first, /^data: /);

  const reloaded = r.router.reloadWith(
    validateConfig(
      raw(
        [
          { name: 'chat', model: 'm', type: 'regional', region: 'west' },
          { name: 'chat-new', model: 'm', type: 'global' },
        ],
        { listen: { host: '127.0.0.1', port: 1 } },
      ),
    ),
    'test',
  );
  assert.equal(reloaded, true);
  const body = await stream.rest;
  assert.match(body, /data: \[DONE\]\n\n$/, 'the stream in flight completed');
  assert.equal((body.match(/^data: \{/gm) ?? []).length, 30, 'every token');

  // The new config serves: a new deployment, a new boundary, the catalog.
  const created = await fetch(`${r.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"chat-new"}' });
  assert.equal(created.status, 200);
  await created.text();
  for (let i = 0; i < 4; i++) {
    const res = await fetch(`${r.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"chat"}' });
    assert.equal(res.headers.get('x-switchyard-region'), 'west', 'chat is regional now');
    await res.text();
  }
  const models = (await (await fetch(`${r.url}/v1/models`)).json()) as { data: Array<{ id: string }> };
  assert.deepEqual(
    models.data.map((m) => m.id),
    ['chat', 'chat-new'],
  );
  const history = (await (await fetch(`${r.adminUrl}/history`)).json()) as { deployments: Array<{ name: string }> };
  assert.deepEqual(
    history.deployments.map((d) => d.name),
    ['chat', 'chat-new'],
    'the history ring was laid out anew',
  );
  assert.match(await r.metrics(), /switchyard_config_reloads_total\{result="ok"\} 1/);
  const ignored = r.logs.find((l) => l.msg === 'config change ignored until restart');
  assert.equal(ignored?.key, 'listen.port');
  assert.equal(ignored?.wanted, 1);
  assert.ok(r.logs.some((l) => l.msg === 'config reloaded'));
});

test('a bad config is rejected with every problem, and the running config keeps serving', async (t) => {
  const fleet = await startSimFleet({ regions: [{ region: 'east', capacity: 10 }], models: ['m'] });
  const good = baseConfig({
    zones: { z: ['east'] },
    backends: [{ region: 'east', url: fleet.backends[0]!.url }],
    deployments: [{ name: 'chat', model: 'm', type: 'global' }],
    telemetry: { url: fleet.telemetryUrl, intervalMs: 100 },
  });
  const r = await startRouter(good);
  t.after(async () => {
    await r.stop();
    await fleet.close();
  });
  const bad = {
    ...good,
    deployments: [{ name: 'chat', model: 'm', type: 'datazone', zone: 'nowhere' }],
    telemetry: { url: fleet.telemetryUrl, minCoverage: 2 },
  };
  assert.equal(r.router.reloadWith(validateConfig(bad), 'bad.yaml'), false);
  const rejected = r.logs.find((l) => l.msg === 'config reload rejected; the running config keeps serving');
  assert.deepEqual(rejected?.problems, [
    'deployments[0].zone: unknown data zone "nowhere" (known: z)',
    'telemetry.minCoverage: got 2 (expected a number from 0 to 1)',
  ]);
  assert.equal(rejected?.source, 'bad.yaml');
  const res = await fetch(`${r.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"chat"}' });
  assert.equal(res.status, 200);
  await res.text();
  assert.match(await r.metrics(), /switchyard_config_reloads_total\{result="error"\} 1/);
});

test('a reload switches telemetry sources: the JSON report goes, the load headers on answers take over', async (t) => {
  const fleet = await startSimFleet({ regions: [{ region: 'east', capacity: 10 }], models: ['m'] });
  const raw = (telemetry: Record<string, unknown>) =>
    baseConfig({
      zones: { z: ['east'] },
      backends: [{ region: 'east', url: fleet.backends[0]!.url }],
      deployments: [{ name: 'chat', model: 'm', type: 'global' }],
      telemetry: { intervalMs: 100, ...telemetry },
    });
  const r = await startRouter(raw({ url: fleet.telemetryUrl, inBand: false }));
  t.after(async () => {
    await r.stop();
    await fleet.close();
  });
  await waitFor('a JSON poll', async () => (await r.capacity()).telemetry.status === 'ok');
  assert.deepEqual(
    (await r.capacity()).telemetry.sources.map((s) => s.source),
    ['json'],
  );

  assert.equal(r.router.reloadWith(validateConfig(raw({ inBand: true })), 'test'), true);
  const after = await r.capacity();
  assert.deepEqual(
    after.telemetry.sources.map((s) => s.source),
    ['in-band'],
    'the JSON source is gone, the in-band one is there',
  );
  assert.equal(after.telemetry.url, null);
  // Answers now carry ORCA headers (the router asks for them) and feed the store.
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${r.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"chat"}' });
    assert.equal(res.status, 200);
    await res.text();
  }
  const region = await waitFor('an in-band reading behind the region', async () => {
    const doc = await r.capacity();
    const east = doc.deployments[0]!.regions.find((x) => x.region === 'east');
    return east?.sources.some((s) => s.source === 'in-band') ? east : undefined;
  });
  assert.ok(
    region.sources.every((s) => s.source === 'in-band'),
    'the JSON reading was dropped with its source',
  );
  assert.doesNotMatch(await r.metrics(), /switchyard_telemetry_source_health\{source="json"/);
});

test("a removed backend's pool is closed once its last request has ended", async (t) => {
  let release: (() => void) | null = null;
  const old = await startFakeBackend((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"n":1}\n\n');
    release = () => res.end('data: [DONE]\n\n');
  });
  const replacement = await startFakeBackend((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  const raw = async (url: string) =>
    baseConfig({
      zones: { z: ['east'] },
      backends: [{ region: 'east', url }],
      deployments: [{ name: 'chat', model: 'm', type: 'global' }],
      telemetry: { url: `http://127.0.0.1:${await closedPort()}/telemetry` },
    });
  const r = await startRouter(await raw(old.url));
  t.after(async () => {
    await r.stop();
    await old.close();
    await replacement.close();
  });
  const removed = r.router.upstreams.get('east')!.backends[0]!;
  const stream = await openStream(`${r.url}/v1/chat/completions`, { model: 'chat', stream: true });
  assert.equal(r.router.reloadWith(validateConfig(await raw(replacement.url)), 'test'), true);

  // New requests go to the new backend; the old one still serves its stream.
  const next = await fetch(`${r.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"chat"}' });
  assert.equal(next.status, 200);
  await next.text();
  assert.equal(replacement.openConnections() > 0, true);
  assert.equal(removed.pool.closed, false, 'the pool stays open while its request runs');
  assert.equal(old.openConnections(), 1);

  (release as unknown as () => void)();
  assert.match(await stream.rest, /\[DONE\]/);
  await waitFor('the removed backend closed', () => r.logs.some((l) => l.msg === 'removed backend closed'));
  assert.equal(removed.pool.closed, true);
  await waitFor('its connection closed', () => old.openConnections() === 0);
});

test('SIGHUP re-reads the file given to start: new deployments, and a bad file logged and ignored', async (t) => {
  const fleet = await startSimFleet({ regions: [{ region: 'r1', capacity: 10 }], models: ['m'] });
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-reload-'));
  t.after(async () => {
    await fleet.close();
    await rm(dir, { recursive: true, force: true });
  });
  const path = join(dir, 'router.yaml');
  const write = (deployments: string) =>
    writeFileSync(
      path,
      [
        'listen: { host: 127.0.0.1, port: 0 }',
        'admin: { host: 127.0.0.1, port: 0 }',
        'zones: { z: [r1] }',
        `backends: [ { region: r1, url: "${fleet.backends[0]!.url}" } ]`,
        `deployments: ${deployments}`,
        `telemetry: { url: "${fleet.telemetryUrl}", intervalMs: 100 }`,
      ].join('\n'),
    );
  write('[ { name: chat, model: m, type: global } ]');
  const { child, exited } = startCli(t, ['start', '--config', path]);
  const lines = jsonLinesOf(child);
  const data = await waitFor('data listener', () => lines.find((l) => l.msg === 'listening' && l.listener === 'data'));
  const models = async () =>
    (
      (await (await fetch(`http://127.0.0.1:${data.port}/v1/models`)).json()) as { data: Array<{ id: string }> }
    ).data.map((m) => m.id);
  assert.deepEqual(await models(), ['chat']);

  write('[ { name: chat, model: m, type: global }, { name: chat-2, model: m, type: global } ]');
  child.kill('SIGHUP');
  await waitFor('config reloaded', () => lines.some((l) => l.msg === 'config reloaded'));
  assert.deepEqual(await models(), ['chat', 'chat-2']);

  write('[ { name: chat, model: m, type: sideways } ]');
  child.kill('SIGHUP');
  const rejected = await waitFor('reload rejected', () =>
    lines.find((l) => l.msg === 'config reload rejected; the running config keeps serving'),
  );
  assert.equal(rejected.source, path);
  assert.match(
    String((rejected.problems as string[])[0]),
    /^deployments\[0\]\.type: unknown deployment type "sideways"/,
  );
  assert.deepEqual(await models(), ['chat', 'chat-2'], 'the running config serves');

  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
