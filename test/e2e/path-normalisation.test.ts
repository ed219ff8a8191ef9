// Routing and forwarding use one normalised path, so a backend that normalises paths
// itself can never serve a different deployment than the one the router routed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headerValues, rawRequest } from '../helpers/strict-http.js';
import { settled, startRecordingFleet, type RecordingFleet } from '../helpers/recording-fleet.js';

// d-1xx may only be served in r1; d-normal only in r2.
const ZONES = { z1: ['r1'], z2: ['r2'] };
const DEPLOYMENTS = [
  { name: 'd-normal', model: 'm', type: 'regional', region: 'r2' },
  { name: 'd-1xx', model: 'm', type: 'regional', region: 'r1' },
];
const BODY = '{"model":"d-normal"}';

function send(fleet: RecordingFleet, target: string, body = BODY) {
  return rawRequest(
    fleet.port,
    `POST ${target} HTTP/1.1\r\nhost: x\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

test('dot segments, raw or percent-encoded, are refused with 400 InvalidPath', async (t) => {
  const fleet = await startRecordingFleet(t, { zones: ZONES, deployments: DEPLOYMENTS });
  for (const target of [
    '/openai/deployments/d-normal/../d-1xx/chat/completions',
    '/openai/deployments/d-normal/%2e%2e/d-1xx/chat/completions',
    '/openai/deployments/d-normal/.%2E/d-1xx/chat/completions',
    '/openai/deployments/./d-1xx/chat/completions',
    '/v1/chat/completions/..',
    '/openai/deployments/d-normal%2f..%2fd-1xx/chat/completions',
    '/openai/deployments/d-normal\\..\\d-1xx/chat/completions',
  ]) {
    const answer = await send(fleet, target);
    assert.equal(answer.status, 400, `${target}: ${answer.text}`);
    assert.equal(JSON.parse(answer.text).error.code, 'InvalidPath', target);
  }
  assert.equal(fleet.received.r1?.length, 0);
  assert.equal(fleet.received.r2?.length, 0);
  await settled(fleet);
});

test('repeated slashes are merged before routing, and the merged path is what the backend gets', async (t) => {
  const fleet = await startRecordingFleet(t, { zones: ZONES, deployments: DEPLOYMENTS });
  const answer = await send(fleet, '//openai/deployments/d-1xx//chat/completions?api-version=1');
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(headerValues(answer, 'x-switchyard-region'), ['r1']);
  assert.deepEqual(
    fleet.received.r1?.map((r) => r.url),
    ['/openai/deployments/d-1xx/chat/completions?api-version=1'],
  );
  assert.equal(fleet.received.r2?.length, 0);
});

test('an absolute-form target is forwarded in origin form, routed by its path', async (t) => {
  const fleet = await startRecordingFleet(t, { zones: ZONES, deployments: DEPLOYMENTS });
  const answer = await send(fleet, 'http://example.com/openai/deployments/d-1xx/chat/completions?x=1');
  assert.equal(answer.status, 200, answer.text);
  assert.deepEqual(
    fleet.received.r1?.map((r) => r.url),
    ['/openai/deployments/d-1xx/chat/completions?x=1'],
  );
  const star = await send(fleet, 'example.com:443');
  assert.equal(star.status, 400);
});

test('percent-encoded letters and prefix case cannot hide the deployment in the path', async (t) => {
  const fleet = await startRecordingFleet(t, { zones: ZONES, deployments: DEPLOYMENTS });
  const encoded = await send(fleet, '/openai/%64eployments/d-1xx/chat/completions');
  assert.equal(encoded.status, 200, encoded.text);
  assert.deepEqual(headerValues(encoded, 'x-switchyard-region'), ['r1']);
  const upper = await send(fleet, '/OpenAI/Deployments/d-1xx/chat/completions');
  assert.equal(upper.status, 200, upper.text);
  assert.deepEqual(headerValues(upper, 'x-switchyard-region'), ['r1']);
  assert.deepEqual(
    fleet.received.r1?.map((r) => r.url),
    ['/openai/deployments/d-1xx/chat/completions', '/OpenAI/Deployments/d-1xx/chat/completions'],
  );
  assert.equal(fleet.received.r2?.length, 0);
});
