// Finding the deployment of an OpenAI-style request reads the top level of its JSON
// body with a byte scanner: the document is never built, so a large or deeply nested
// body costs neither heap nor an event-loop stall.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { settled, startRecordingFleet } from '../helpers/recording-fleet.js';

const ZONES = { z: ['r1'] };
const DEPLOYMENTS = [{ name: 'chat', model: 'm', type: 'global' }];

async function post(url: string, body: string | Buffer) {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, code: res.status >= 400 ? (JSON.parse(text).error?.code as string) : null };
}

test('routing an OpenAI-style request never parses its body as a whole document', async (t) => {
  const fleet = await startRecordingFleet(t, { zones: ZONES, deployments: DEPLOYMENTS });
  const body = JSON.stringify({
    messages: Array.from({ length: 2000 }, (_, i) => ({ role: 'user', content: `message ${i}` })),
    model: 'chat',
  });
  const parse = JSON.parse;
  let bodyParses = 0;
  JSON.parse = ((text: string, reviver?: (this: unknown, key: string, value: unknown) => unknown) => {
    if (typeof text === 'string' && text.length >= body.length) bodyParses++;
    return parse(text, reviver);
  }) as typeof JSON.parse;
  let answer: Awaited<ReturnType<typeof post>>;
  try {
    answer = await post(fleet.router.url, body);
  } finally {
    JSON.parse = parse;
  }
  assert.equal(answer.status, 200, answer.text);
  assert.equal(bodyParses, 0, 'the body was handed to JSON.parse');
  assert.equal(fleet.received.r1?.length, 1);
});

test('nesting deeper than 64 levels is refused with 400 InvalidJson and nothing is forwarded', async (t) => {
  const fleet = await startRecordingFleet(t, { zones: ZONES, deployments: DEPLOYMENTS });
  const ok = await post(fleet.router.url, `{"model":"chat","x":${'['.repeat(63)}${']'.repeat(63)}}`);
  assert.equal(ok.status, 200, '64 levels (the object and 63 arrays) are fine');
  const deep = await post(fleet.router.url, `{"model":"chat","x":${'['.repeat(64)}${']'.repeat(64)}}`);
  assert.equal(deep.status, 400);
  assert.equal(deep.code, 'InvalidJson');
  assert.match(deep.text, /64/);
  // A megabyte of nested arrays after the model: refused at the first level too deep.
  const half = 512 * 1024;
  const huge = await post(fleet.router.url, `{"model":"chat","x":${'['.repeat(half)}${']'.repeat(half)}}`);
  assert.equal(huge.status, 400);
  assert.equal(huge.code, 'InvalidJson');
  assert.equal(fleet.received.r1?.length, 1, 'only the first request reached the backend');
  await settled(fleet);
});

test('a body that names "model" twice is refused: the router and a backend could disagree on it', async (t) => {
  const fleet = await startRecordingFleet(t, { zones: ZONES, deployments: DEPLOYMENTS });
  const twice = await post(fleet.router.url, '{"model":"chat","messages":[],"model":"other"}');
  assert.equal(twice.status, 400);
  assert.equal(twice.code, 'InvalidJson');
  assert.match(twice.text, /more than once/);
  assert.equal(fleet.received.r1?.length, 0);
});

test('the scan reads what JSON.parse would: escapes in keys and values, nested "model" fields ignored', async (t) => {
  const fleet = await startRecordingFleet(t, { zones: ZONES, deployments: DEPLOYMENTS });
  assert.equal((await post(fleet.router.url, '{"mod\\u0065l":"ch\\u0061t"}')).status, 200);
  assert.equal((await post(fleet.router.url, '{"x":{"model":"nope"},"model":"chat"}')).status, 200);
  const nested = await post(fleet.router.url, '{"x":{"model":"chat"}}');
  assert.equal(nested.code, 'MissingDeployment');
  assert.equal((await post(fleet.router.url, '{"model":"chat"} x')).code, 'InvalidJson');
  assert.equal((await post(fleet.router.url, '[{"model":"chat"}]')).code, 'InvalidJson');
  assert.equal((await post(fleet.router.url, '{"model":7}')).code, 'MissingDeployment');
  assert.equal((await post(fleet.router.url, '{"model":""}')).code, 'MissingDeployment');
  assert.equal((await post(fleet.router.url, '{"model":"chat",}')).code, 'InvalidJson');
  assert.equal(fleet.received.r1?.length, 2);
});
