// The official openai package drives the router in front of the simulated fleet, as an
// application would: the OpenAI client (on /v1 and on Azure's /openai/v1) and the
// AzureOpenAI client; chat, streamed and not, the Responses API streamed, embeddings,
// models.list(), and an unknown deployment as the SDK's NotFoundError.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI, { AzureOpenAI, NotFoundError } from 'openai';
import { type FleetSetup, startFleetAndRouter } from '../helpers/fleet-harness.js';

const DEPLOYMENTS = ['chat-global', 'chat-eu', 'emb-global'];

describe('the openai package against the router', () => {
  let setup: FleetSetup;
  let openai: OpenAI;
  let azure: AzureOpenAI;

  before(async () => {
    setup = await startFleetAndRouter({
      regions: [
        { region: 'eastus2', capacity: 8 },
        { region: 'swedencentral', capacity: 8 },
      ],
      zones: { us: ['eastus2'], eu: ['swedencentral'] },
      deployments: [
        { name: 'chat-global', model: 'gpt-5.2', type: 'global' },
        { name: 'chat-eu', model: 'gpt-5.2', type: 'datazone', zone: 'eu' },
        { name: 'emb-global', model: 'gpt-5.2', type: 'global' },
      ],
      models: ['gpt-5.2'],
    });
    // No retries: an error must surface as the first answer, not be retried away.
    openai = new OpenAI({ baseURL: `${setup.router.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    azure = new AzureOpenAI({
      endpoint: setup.router.url,
      apiKey: 'azure-test-key',
      apiVersion: '2024-10-21',
      maxRetries: 0,
    });
  });
  after(() => setup.close());

  test('chat completion, not streamed', async () => {
    const completion = await openai.chat.completions.create({
      model: 'chat-global',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 3,
    });
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.model, 'chat-global');
    assert.equal(completion.choices[0]?.message.content?.trim().split(' ').length, 3);
  });

  test('chat completion, streamed', async () => {
    const stream = await openai.chat.completions.create({
      model: 'chat-eu',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 4,
      stream: true,
    });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text.trim().split(' ').length, 4);
    assert.equal(finish, 'stop');
    assert.equal(setup.fleet.region('swedencentral').stats.served >= 1, true, 'chat-eu stays in its data zone');
  });

  test('the Responses API, streamed', async () => {
    const stream = await openai.responses.create({
      model: 'chat-global',
      input: 'hi',
      max_output_tokens: 3,
      stream: true,
    });
    const types: string[] = [];
    let deltas = '';
    let completed: OpenAI.Responses.Response | null = null;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') deltas += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    assert.equal(types[0], 'response.created');
    assert.equal(types.at(-1), 'response.completed');
    assert.equal(deltas.trim().split(' ').length, 3);
    assert.equal(completed?.status, 'completed');
    assert.equal(completed?.output_text ?? deltas, deltas);
  });

  test('embeddings (the SDK asks for base64 and decodes it)', async () => {
    const result = await openai.embeddings.create({ model: 'emb-global', input: ['a', 'b'] });
    assert.equal(result.data.length, 2);
    assert.equal(result.data[0]?.embedding.length, 8);
    const norm = result.data[0]!.embedding.reduce((s, x) => s + x * x, 0);
    assert.ok(Math.abs(norm - 1) < 1e-5, `unit length, got ${norm}`);
  });

  test('models.list() and models.retrieve() answer the configured deployments', async () => {
    const ids: string[] = [];
    for await (const model of openai.models.list()) {
      ids.push(model.id);
      assert.equal(model.object, 'model');
      assert.equal(model.owned_by, 'switchyard');
      assert.equal(typeof model.created, 'number');
    }
    assert.deepEqual(ids, DEPLOYMENTS);
    assert.equal((await openai.models.retrieve('chat-eu')).id, 'chat-eu');
  });

  test("an unknown deployment is the SDK's NotFoundError, with the router's code and OpenAI's type", async () => {
    for (const call of [
      () => openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
      () => openai.models.retrieve('gpt-4o'),
      () => azure.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    ]) {
      await assert.rejects(call, (err: unknown) => {
        assert.ok(err instanceof NotFoundError, `got ${String(err)}`);
        assert.equal(err.status, 404);
        assert.equal(err.code, 'DeploymentNotFound');
        assert.equal(err.type, 'invalid_request_error');
        assert.match(err.message, /gpt-4o/);
        return true;
      });
    }
  });

  test('AzureOpenAI: chat (streamed and not), embeddings, the Responses API and models.list()', async () => {
    const completion = await azure.chat.completions.create({
      model: 'chat-eu',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 2,
    });
    assert.equal(completion.model, 'chat-eu', 'the deployment went in the path');
    const stream = await azure.chat.completions.create({
      model: 'chat-global',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 2,
      stream: true,
    });
    let chunks = 0;
    for await (const _ of stream) chunks++;
    assert.equal(chunks, 2);
    const embeddings = await azure.embeddings.create({ model: 'emb-global', input: 'a', encoding_format: 'float' });
    assert.equal(embeddings.data[0]?.embedding.length, 8);
    const response = await azure.responses.create({ model: 'chat-global', input: 'hi', max_output_tokens: 2 });
    assert.equal(response.status, 'completed');
    assert.equal(response.output_text.trim().split(' ').length, 2);
    const ids: string[] = [];
    for await (const model of azure.models.list()) ids.push(model.id);
    assert.deepEqual(ids, DEPLOYMENTS);
    // The regions' last requests that came from this client (Azure paths).
    const last = setup.fleet.regions.map((r) => r.lastRequest()).filter((x) => x?.url.startsWith('/openai/') === true);
    assert.ok(last.length > 0);
    assert.ok(
      last.every((req) => req?.headers['api-key'] === 'azure-test-key'),
      'the client api-key passes to backends without settings',
    );
  });

  test("Azure OpenAI's v1 API (/openai/v1, the deployment in the body's model)", async () => {
    const v1 = new OpenAI({ baseURL: `${setup.router.url}/openai/v1`, apiKey: 'azure-test-key', maxRetries: 0 });
    const completion = await v1.chat.completions.create({
      model: 'chat-global',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 2,
    });
    assert.equal(completion.model, 'chat-global');
    const ids: string[] = [];
    for await (const model of v1.models.list()) ids.push(model.id);
    assert.deepEqual(ids, DEPLOYMENTS);
  });
});
