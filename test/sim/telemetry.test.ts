import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SimFleet } from '../../src/sim/index.js';
import { fleetFor } from './fixture.js';
import { firePost, request } from './client.js';
import { waitFor } from '../helpers/wait.js';

interface Report {
  region: string;
  model: string;
  capacity: number;
  inUse: number;
  at: string;
}

const T0 = Date.parse('2026-11-26T07:00:00.000Z');

async function poll(fleet: SimFleet): Promise<Report[]> {
  const res = await request(fleet.telemetryUrl);
  assert.equal(res.status, 200);
  return (JSON.parse(res.body) as { reports: Report[] }).reports;
}

function find(reports: Report[], region: string, model: string): Report | undefined {
  return reports.find((r) => r.region === region && r.model === model);
}

test('telemetry reports every region and model with capacity and in-flight plus background', async (t) => {
  const clock = { now: T0 };
  const fleet = await fleetFor(t, {
    regions: [
      { region: 'a', capacity: 10, backgroundLoad: 2, ttftMs: 60_000 },
      { region: 'b', capacity: 5 },
    ],
    models: ['m1', 'm2'],
    now: () => clock.now,
  });
  assert.match(fleet.telemetryUrl, /^http:\/\/127\.0\.0\.1:\d+\/telemetry$/);
  const held = firePost(`${fleet.region('a').url}/v1/chat/completions`, { model: 'm1' });
  await waitFor('request in flight', () => fleet.region('a').inFlight() === 1);

  const reports = await poll(fleet);
  assert.equal(reports.length, 4);
  const at = '2026-11-26T07:00:00.000Z';
  assert.deepEqual(find(reports, 'a', 'm2'), { region: 'a', model: 'm2', capacity: 10, inUse: 3, at });
  assert.deepEqual(find(reports, 'b', 'm1'), { region: 'b', model: 'm1', capacity: 5, inUse: 0, at });

  fleet.region('b').setCapacity(7);
  assert.equal(find(await poll(fleet), 'b', 'm2')?.capacity, 7);
  held.destroy();
  await waitFor('slot released', () => fleet.region('a').inFlight() === 0);
  assert.equal(find(await poll(fleet), 'a', 'm1')?.inUse, 2);
  assert.equal(fleet.telemetry.polls(), 3);
});

test('drop omits a region and restore brings it back', async (t) => {
  const fleet = await fleetFor(t, {
    regions: [
      { region: 'a', capacity: 1 },
      { region: 'b', capacity: 1 },
    ],
    models: ['m'],
  });
  fleet.telemetry.drop('a');
  assert.deepEqual(
    (await poll(fleet)).map((r) => r.region),
    ['b'],
  );
  assert.equal(fleet.telemetry.regionMode('a'), 'dropped');
  fleet.telemetry.restore('a');
  assert.deepEqual(
    (await poll(fleet)).map((r) => r.region),
    ['a', 'b'],
  );
  assert.throws(() => fleet.telemetry.drop('nowhere'), /unknown region "nowhere"/);
});

test('freeze keeps the old figures and their old `at` while other regions move on', async (t) => {
  const clock = { now: T0 };
  const fleet = await fleetFor(t, {
    regions: [
      { region: 'a', capacity: 4, ttftMs: 60_000 },
      { region: 'b', capacity: 4 },
    ],
    models: ['m'],
    now: () => clock.now,
  });
  fleet.telemetry.freeze('a');
  clock.now = T0 + 5000;
  fleet.region('a').setCapacity(9);
  const held = firePost(`${fleet.region('a').url}/v1/chat/completions`, { model: 'm' });
  await waitFor('request in flight', () => fleet.region('a').inFlight() === 1);

  const reports = await poll(fleet);
  const frozen = { region: 'a', model: 'm', capacity: 4, inUse: 0, at: new Date(T0).toISOString() };
  assert.deepEqual(find(reports, 'a', 'm'), frozen);
  assert.equal(find(reports, 'b', 'm')?.at, new Date(T0 + 5000).toISOString());

  fleet.telemetry.restore('a');
  assert.deepEqual(find(await poll(fleet), 'a', 'm'), {
    region: 'a',
    model: 'm',
    capacity: 9,
    inUse: 1,
    at: new Date(T0 + 5000).toISOString(),
  });
  held.destroy();
});

test('fail modes: HTTP 500, a malformed body, a held request; null heals', async (t) => {
  const fleet = await fleetFor(t, { regions: [{ region: 'a', capacity: 1 }], models: ['m'] });

  fleet.telemetry.fail('status500');
  const failed = await request(fleet.telemetryUrl);
  assert.equal(failed.status, 500);
  assert.equal((JSON.parse(failed.body) as { error: { code: string } }).error.code, 'sim_telemetry_failure');

  fleet.telemetry.fail('malformed');
  const malformed = await request(fleet.telemetryUrl);
  assert.equal(malformed.status, 200);
  assert.throws(() => JSON.parse(malformed.body), SyntaxError);

  fleet.telemetry.fail('hang');
  await assert.rejects(request(fleet.telemetryUrl, { timeoutMs: 150 }), /client timeout/);
  assert.equal(fleet.telemetry.polls(), 3);
  assert.equal(fleet.telemetry.failMode(), 'hang');

  fleet.telemetry.fail(null);
  assert.equal((await poll(fleet)).length, 1);
  assert.equal(fleet.telemetry.polls(), 4);
});

test('a background wave moves with the clock within base +/- 50%, out of phase across regions', async (t) => {
  const clock = { now: T0 };
  const fleet = await fleetFor(t, {
    regions: [
      { region: 'a', capacity: 100, backgroundLoad: 10, backgroundWavePeriodMs: 1000 },
      { region: 'b', capacity: 100, backgroundLoad: 10, backgroundWavePeriodMs: 1000 },
    ],
    models: ['m'],
    now: () => clock.now,
  });
  const samples: Array<[number, number]> = [];
  for (let step = 0; step < 20; step++) {
    clock.now = T0 + step * 50;
    samples.push([fleet.region('a').background(), fleet.region('b').background()]);
  }
  const a = samples.map(([x]) => x);
  assert.ok(Math.max(...a) - Math.min(...a) > 5, 'the wave should swing by most of its amplitude');
  assert.ok(samples.flat().every((v) => v >= 5 - 1e-9 && v <= 15 + 1e-9));
  assert.ok(
    samples.some(([x, y]) => Math.abs(x - y) > 1),
    'regions should not move in lockstep',
  );

  clock.now = T0 + 123;
  const reported = find(await poll(fleet), 'a', 'm');
  assert.equal(reported?.inUse, Math.round(fleet.region('a').background()));
});
