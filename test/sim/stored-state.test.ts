// Each simulated region keeps what it made and answers another region's ids as the
// real service does: the failures a router that spreads stateful requests would cause.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fleetFor } from './fixture.js';

const json = (url: string, body: unknown): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test("another region's previous response, conversation, encrypted reasoning and file are refused", async (t) => {
  const fleet = await fleetFor(t, {
    regions: [
      { region: 'a', capacity: 4 },
      { region: 'b', capacity: 4 },
    ],
    models: ['m'],
  });
  const [a, b] = fleet.backends.map((x) => x.url) as [string, string];
  const made = (await (
    await json(`${a}/v1/responses`, { model: 'm', input: 'hi', include: ['reasoning.encrypted_content'] })
  ).json()) as { id: string; output: Array<{ type: string; id: string }> };
  assert.doesNotMatch(made.id, /-a-|_a_/, 'the id says nothing of its region');

  const follow = await json(`${b}/v1/responses`, { model: 'm', input: 'x', previous_response_id: made.id });
  assert.equal(follow.status, 404);
  assert.deepEqual(((await follow.json()) as { error: unknown }).error, {
    message: `Previous response with id '${made.id}' not found.`,
    type: 'invalid_request_error',
    param: 'previous_response_id',
    code: 'previous_response_not_found',
  });
  assert.equal(
    (await json(`${a}/v1/responses`, { model: 'm', input: 'x', previous_response_id: made.id })).status,
    200,
  );

  const reasoning = made.output.find((o) => o.type === 'reasoning');
  const replay = await json(`${b}/openai/v1/responses`, { model: 'm', input: [reasoning] });
  assert.equal(replay.status, 400);
  assert.equal(((await replay.json()) as { error: { code: string } }).error.code, 'invalid_encrypted_content');

  const conversation = (await (await json(`${a}/v1/conversations`, {})).json()) as { id: string };
  assert.equal((await fetch(`${b}/v1/conversations/${conversation.id}`)).status, 404);
  assert.equal(
    (await json(`${b}/v1/responses`, { model: 'm', input: 'x', conversation: conversation.id })).status,
    404,
  );

  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob(['{}\n']), 'in.jsonl');
  const file = (await (
    await fetch(`${a}/openai/files?api-version=2024-10-21`, { method: 'POST', body: form })
  ).json()) as {
    id: string;
  };
  const batch = { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' };
  const foreign = await json(`${b}/v1/batches`, batch);
  assert.equal(foreign.status, 400);
  assert.equal(((await foreign.json()) as { error: { code: string } }).error.code, 'invalid_file');
  assert.equal((await json(`${a}/v1/batches`, batch)).status, 200);
  assert.equal(await (await fetch(`${a}/v1/files/${file.id}/content`)).text(), '{}\n');
  assert.equal((await fetch(`${b}/v1/files/${file.id}`)).status, 404);
});

test('a stopped region keeps its store: its ids work again when it is back', async (t) => {
  const fleet = await fleetFor(t, { regions: [{ region: 'a', capacity: 4 }], models: ['m'] });
  const url = fleet.backends[0]?.url as string;
  const made = (await (await json(`${url}/v1/responses`, { model: 'm', input: 'hi' })).json()) as { id: string };
  await fleet.region('a').stop();
  await fleet.region('a').start();
  assert.equal((await fetch(`${url}/v1/responses/${made.id}`)).status, 200);
});
