import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { startSimFleet } from '../../src/sim/index.js';
import { collectReads, openPost, postJson, request } from './client.js';
import { waitFor } from '../helpers/wait.js';

test('stop() cuts open streams and refuses connections; start() serves again on the same port', async (t) => {
  const fleet = await startSimFleet({ regions: [{ region: 'a', capacity: 2, perTokenMs: 20 }], models: ['m'] });
  t.after(() => fleet.close());
  const region = fleet.region('a');
  const url = region.url;
  assert.equal(fleet.backends[0]?.url, url);

  const { res } = await openPost(`${url}/v1/chat/completions`, { model: 'm', stream: true, max_tokens: 10_000 });
  const cut = assert.rejects(collectReads(res));
  await region.stop();
  await cut;
  assert.equal(region.isListening(), false);
  await waitFor('the cut stream counted as aborted', () => region.stats.aborted === 1 && region.inFlight() === 0);
  await assert.rejects(request(`${url}/healthz`), { code: 'ECONNREFUSED' });
  await region.stop();

  await region.start();
  assert.equal(region.url, url);
  assert.equal(region.isListening(), true);
  assert.equal((await postJson(`${url}/v1/chat/completions`, { model: 'm', max_tokens: 1 })).status, 200);
});

test('close() is idempotent and a closed fleet cannot be restarted', async () => {
  const fleet = await startSimFleet({ regions: [{ region: 'a', capacity: 1 }], models: ['m'] });
  const url = fleet.region('a').url;
  await Promise.all([fleet.close(), fleet.close()]);
  await fleet.close();
  await assert.rejects(request(`${url}/healthz`), { code: 'ECONNREFUSED' });
  await assert.rejects(request(fleet.telemetryUrl), { code: 'ECONNREFUSED' });
  await assert.rejects(fleet.region('a').start(), /fleet is closed/);
});

test('invalid options are rejected with the key path', async () => {
  await assert.rejects(
    startSimFleet({ regions: [{ region: 'a', capacity: -1 }], models: ['m'] }),
    /regions\[0\]\.capacity: must be a finite number >= 0, got -1/,
  );
  await assert.rejects(
    startSimFleet({
      regions: [
        { region: 'a', capacity: 1 },
        { region: 'a', capacity: 1 },
      ],
      models: ['m'],
    }),
    /duplicate name "a"/,
  );
  await assert.rejects(startSimFleet({ regions: [{ region: 'a', capacity: 1 }], models: [] }), /models/);
  await assert.rejects(
    startSimFleet({ regions: [{ region: 'east us', capacity: 1 }], models: ['m'] }),
    /regions\[0\]\.region/,
  );
  const fleet = await startSimFleet({ regions: [{ region: 'a', capacity: 1 }], models: ['m'] });
  try {
    assert.throws(() => fleet.region('z'), /unknown region "z" \(known: a\)/);
    assert.throws(() => fleet.region('a').setCapacity(Number.NaN), /capacity/);
  } finally {
    await fleet.close();
  }
});

// Runs in a child process so that "no handle left" is observable: the child must exit on
// its own after close(), with a held stream, a held non-streaming answer, a held
// telemetry poll, an idle keep-alive connection and a silent raw TCP connection open.
const CHILD = `
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
const { startSimFleet } = await import(process.env.SIM_MODULE);
const fleet = await startSimFleet({
  regions: [{ region: 'a', capacity: 5, ttftMs: 60000 }, { region: 'b', capacity: 5 }],
  models: ['m'],
});
const a = fleet.region('a');
fleet.telemetry.fail('hang');
const ignore = () => {};
for (const body of [{ model: 'm', stream: true }, { model: 'm' }]) {
  const req = request(a.url + '/v1/chat/completions', { method: 'POST' });
  req.on('error', ignore);
  req.end(JSON.stringify(body));
}
request(fleet.telemetryUrl).on('error', ignore).end();
const keepAlive = new Agent({ keepAlive: true });
await new Promise((resolve) => {
  request(fleet.region('b').url + '/healthz', { agent: keepAlive }, (res) => res.resume().on('end', resolve)).end();
});
connect(Number(new URL(a.url).port), '127.0.0.1').on('error', ignore);
while (a.inFlight() < 2 || fleet.telemetry.polls() < 1) await new Promise((r) => setTimeout(r, 5));
await fleet.close();
console.log('closed');
`;

test('close() leaves no handle open: a process that used the fleet exits by itself', async () => {
  const child = spawn(
    process.execPath,
    [...process.execArgv.filter((a) => !a.startsWith('--test')), '--input-type=module', '-e', CHILD],
    {
      env: { ...process.env, SIM_MODULE: new URL('../../src/sim/index.js', import.meta.url).href },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await exited;
  clearTimeout(deadline);
  assert.equal(code, 0, `child did not exit cleanly on its own:\n${output}`);
  assert.match(output, /closed/);
});
