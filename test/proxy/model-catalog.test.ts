// GET /v1/models: the configured deployments in OpenAI's list shape, on OpenAI's and
// Azure OpenAI's paths; an unknown id is reported as such; other paths are not its.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ModelCatalog } from '../../src/proxy/model-catalog.js';

const catalog = new ModelCatalog(['chat-global', 'chat-eu'], 1_790_000_000);

function bodyOf(target: string): unknown {
  const answer = catalog.lookup(target);
  assert.ok(answer?.found, `${target} is answered`);
  return JSON.parse(answer.body.toString());
}

test('the list, on every path form, the query ignored', () => {
  const list = {
    object: 'list',
    data: [
      { id: 'chat-global', object: 'model', created: 1_790_000_000, owned_by: 'switchyard' },
      { id: 'chat-eu', object: 'model', created: 1_790_000_000, owned_by: 'switchyard' },
    ],
  };
  for (const target of ['/v1/models', '/v1/models/', '/openai/v1/models', '/openai/models?api-version=2024-10-21']) {
    assert.deepEqual(bodyOf(target), list, target);
  }
});

test('one model by id, and an unknown id', () => {
  assert.deepEqual(bodyOf('/v1/models/chat-eu'), {
    id: 'chat-eu',
    object: 'model',
    created: 1_790_000_000,
    owned_by: 'switchyard',
  });
  assert.deepEqual(bodyOf('/openai/models/chat%2Deu?api-version=x'), bodyOf('/v1/models/chat-eu'));
  assert.deepEqual(catalog.lookup('/v1/models/gpt-4o'), { found: false, id: 'gpt-4o' });
  assert.deepEqual(catalog.lookup('/v1/models/%zz'), { found: false, id: '%zz' });
});

test('other paths are not the catalog', () => {
  for (const target of ['/v1/chat/completions', '/v1/modelsx', '/v2/models', '/openai/deployments/models']) {
    assert.equal(catalog.lookup(target), null, target);
  }
});
