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

test('a JSON body gets the same checks whether the path or the body names the deployment', async (t) => {
  const fleet = await startRecordingFleet(t, { zones: ZONES, deployments: DEPLOYMENTS });
  const azure = '/openai/deployments/chat/chat/completions?api-version=2024-10-21';
  const send = async (path: string, body: string, type: string | null = 'application/json') => {
    const res = await fetch(`${fleet.router.url}${path}`, {
      method: 'POST',
      headers: type === null ? {} : { 'content-type': type },
      body: Buffer.from(body),
    });
    const text = await res.text();
    return { status: res.status, code: res.status >= 400 ? (JSON.parse(text).error?.code as string) : null, text };
  };
  const deep = (n: number) => `{"model":"chat","x":${'['.repeat(n)}${']'.repeat(n)}}`;
  const bad = ['{"model":"chat","messages":[}', '{"model":"chat"', '[{"model":"chat"}]', deep(100_000), deep(64)];
  for (const body of bad) {
    const label = body.length > 40 ? `${body.slice(0, 40)}... (${body.length} bytes)` : body;
    const byBody = await send('/v1/chat/completions', body);
    const byPath = await send(azure, body);
    assert.deepEqual([byPath.status, byPath.code], [byBody.status, byBody.code], label);
    assert.deepEqual([byPath.status, byPath.code], [400, 'InvalidJson'], label);
    assert.doesNotMatch(byPath.text, /"model" field/, 'the path names the deployment: no advice about "model"');
    // Without a content type, JSON APIs read the body as JSON all the same.
    assert.deepEqual((await send(azure, body, null)).code, 'InvalidJson', label);
  }
  assert.equal(fleet.received.r1?.length, 0, 'nothing refused was forwarded');
  // What the path checks never ask: a "model" at all, or once; what is not JSON passes as it is.
  assert.equal((await send(azure, deep(63))).status, 200, '64 levels are fine');
  assert.equal((await send(azure, '{"messages":[]}')).status, 200);
  assert.equal((await send(azure, '{"model":"a","model":"b"}')).status, 200, 'the path wins over the body');
  assert.equal((await send(azure, '--x\r\n{[[[', 'multipart/form-data; boundary=x')).status, 200);
  assert.equal((await send(azure, '')).status, 200, 'an empty body is no JSON to check');
  assert.equal(fleet.received.r1?.length, 5);
  await settled(fleet);
});
