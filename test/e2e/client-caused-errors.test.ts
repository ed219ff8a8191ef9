// What a client sends can make a request impossible to forward, but never counts
// against a backend: such requests are answered with a client error (or, for
// Expect: 100-continue, forwarded without the header) and no region is ejected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { headerValues, openRaw, parseStrictResponses, rawRequest } from '../helpers/strict-http.js';
import { settled, startRecordingFleet } from '../helpers/recording-fleet.js';

const ZONES = { z: ['r1', 'r2'] };
const DEPLOYMENTS = [{ name: 'chat', model: 'm', type: 'datazone', zone: 'z' }];
// Eject fast, so that a request wrongly counted as a backend failure shows.
const OUTLIER = { outlier: { consecutiveFailures: 2, minRequests: 4 } };

function post(target: string, extraHeaders: string, body: string): string {
  return (
    `POST ${target} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\n${extraHeaders}connection: close\r\n\r\n${body}`
  );
}

test('Expect: 100-continue is answered with 100, the body is forwarded without the header, nothing is ejected', async (t) => {
  const fleet = await startRecordingFleet(t, { zones: ZONES, deployments: DEPLOYMENTS, extra: OUTLIER });
  const body = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x'.repeat(2000) }] });
  for (let i = 0; i < 12; i++) {
    const answer = await rawRequest(fleet.port, post('/v1/chat/completions', 'expect: 100-continue\r\n', body));
    assert.deepEqual(answer.interim, [100], 'a 100 Continue first');
    assert.equal(answer.status, 200, answer.text);
  }
  const received = [...(fleet.received.r1 ?? []), ...(fleet.received.r2 ?? [])];
  assert.equal(received.length, 12);
  for (const r of received) {
    assert.equal(r.headers.expect, undefined, 'Expect is not forwarded');
    assert.equal(r.body.toString('utf8'), body);
  }
  const doc = await fleet.router.capacity();
  assert.deepEqual(
    doc.deployments[0]?.regions.map((r) => r.state),
    ['active', 'active'],
  );
  await settled(fleet);
});

test('OPTIONS * with a model body is a 400, never forwarded, never counted against a region', async (t) => {
  const fleet = await startRecordingFleet(t, { zones: ZONES, deployments: DEPLOYMENTS, extra: OUTLIER });
  for (let i = 0; i < 12; i++) {
    const answer = await rawRequest(
      fleet.port,
      `OPTIONS * HTTP/1.1\r\nhost: x\r\ncontent-length: 16\r\nconnection: close\r\n\r\n{"model":"chat"}`,
    );
    assert.equal(answer.status, 400, answer.text);
    assert.equal(JSON.parse(answer.text).error.code, 'InvalidPath');
  }
  assert.equal((fleet.received.r1?.length ?? 0) + (fleet.received.r2?.length ?? 0), 0);
  const doc = await fleet.router.capacity();
  assert.deepEqual(
    doc.deployments[0]?.regions.map((r) => r.state),
    ['active', 'active'],
  );
  assert.doesNotMatch(await fleet.router.metrics(), /switchyard_upstream_errors_total\{/);
  await settled(fleet);
});

test('an HTTP/1.0 request with Expect (no 100 Continue is due) is forwarded without the header', async (t) => {
  const fleet = await startRecordingFleet(t, { zones: ZONES, deployments: DEPLOYMENTS, extra: OUTLIER });
  const body = '{"model":"chat"}';
  const answer = await rawRequest(
    fleet.port,
    `POST /v1/chat/completions HTTP/1.0\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
  );
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(answer.interim, [], 'no 100 Continue to an HTTP/1.0 client');
  const received = [...(fleet.received.r1 ?? []), ...(fleet.received.r2 ?? [])];
  assert.equal(received[0]?.headers.expect, undefined);
  await settled(fleet);
});

test('a request refused on its head alone gets no 100 Continue: the client never uploads its body', async (t) => {
  const fleet = await startRecordingFleet(t, {
    zones: ZONES,
    deployments: DEPLOYMENTS,
    extra: { limits: { maxBodyBytes: 1024 } },
  });
  const socket = await openRaw(
    fleet.port,
    'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 50000000\r\n\r\n',
  );
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await once(socket, 'close');
  const answers = parseStrictResponses(Buffer.concat(chunks));
  assert.deepEqual(
    answers.map((a) => [a.interim, a.status]),
    [[[], 413]],
    'the first thing the client hears is the 413, not 100 Continue',
  );
  assert.deepEqual(headerValues(answers[0]!, 'connection'), ['close']);
  await settled(fleet);
});
