// Which request targets concern stored state, and what they name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createsObjects, idKey, retrievePath, storedTargetOf } from '../../../src/proxy/affinity/stored-target.js';

test('inference paths are not stored-state targets', () => {
  for (const url of [
    '/v1/chat/completions',
    '/v1/embeddings',
    '/v1/models',
    '/openai/deployments/chat/chat/completions?api-version=2024-10-21',
    '/openai/deployments/chat/responses',
    '/v1/responsesX',
    '/v2/responses',
    '/',
    '/v1/files-other',
  ]) {
    assert.equal(storedTargetOf(url), null, url);
  }
});

test('the OpenAI and Azure forms of each collection, with and without an id', () => {
  assert.deepEqual(storedTargetOf('/v1/responses'), {
    collection: 'responses',
    id: null,
    rest: '',
    prefix: '/v1/',
    query: '',
  });
  assert.deepEqual(storedTargetOf('/openai/v1/responses/resp_1/input_items?limit=5'), {
    collection: 'responses',
    id: 'resp_1',
    rest: 'input_items',
    prefix: '/openai/v1/',
    query: '?limit=5',
  });
  assert.deepEqual(storedTargetOf('/openai/files/file-9/content?api-version=2024-10-21'), {
    collection: 'files',
    id: 'file-9',
    rest: 'content',
    prefix: '/openai/',
    query: '?api-version=2024-10-21',
  });
  assert.deepEqual(storedTargetOf('/v1/conversations/conv_1/items/msg_2'), {
    collection: 'conversations',
    id: 'conv_1',
    rest: 'items/msg_2',
    prefix: '/v1/',
    query: '',
  });
  assert.equal(storedTargetOf('/v1/batches/batch_1/cancel')?.id, 'batch_1');
  assert.equal(storedTargetOf('/v1/batches?after=x')?.id, null);
});

test('only POST on a collection creates objects whose ids are learned', () => {
  const root = storedTargetOf('/v1/files');
  const one = storedTargetOf('/v1/files/file-1');
  assert.ok(root !== null && one !== null);
  assert.equal(createsObjects('POST', root), true);
  assert.equal(createsObjects('GET', root), false);
  assert.equal(createsObjects('POST', one), false);
});

test('a probe uses the API form and query of the request', () => {
  const azure = storedTargetOf('/openai/responses?api-version=2025-04-01-preview');
  assert.ok(azure !== null);
  assert.equal(
    retrievePath(azure, 'responses', 'resp_a/b'),
    '/openai/responses/resp_a%2Fb?api-version=2025-04-01-preview',
  );
  assert.equal(idKey('resp_a%2Fb'), 'resp_a/b');
  assert.equal(idKey('%E0%A4%A'), '%E0%A4%A');
});
