// The stored state a JSON body refers to.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bodyRefsOf } from '../../../src/proxy/affinity/body-refs.js';

const body = (x: unknown): Buffer => Buffer.from(JSON.stringify(x));

test('a first turn refers to nothing', () => {
  const refs = bodyRefsOf('responses', body({ model: 'm', input: 'hi' }));
  assert.deepEqual(refs, { objects: [], sealedItems: [], sealed: false });
});

test('previous_response_id, then the conversation (a string or an object)', () => {
  const refs = bodyRefsOf(
    'responses',
    body({ model: 'm', conversation: { id: 'conv_1' }, previous_response_id: 'r_1' }),
  );
  assert.deepEqual(refs.objects, [
    { collection: 'responses', id: 'r_1' },
    { collection: 'conversations', id: 'conv_1' },
  ]);
  assert.deepEqual(bodyRefsOf('responses', body({ conversation: 'conv_2' })).objects, [
    { collection: 'conversations', id: 'conv_2' },
  ]);
});

test('reasoning items replayed with encrypted_content', () => {
  const refs = bodyRefsOf(
    'responses',
    body({
      model: 'm',
      input: [
        { type: 'reasoning', id: 'rs_1', encrypted_content: 'gAAA', summary: [] },
        { type: 'reasoning', encrypted_content: 'gBBB' },
        { role: 'user', content: 'go on' },
      ],
    }),
  );
  assert.deepEqual(refs, { objects: [], sealedItems: ['rs_1'], sealed: true });
});

test("a batch's input file; field names inside strings or nested objects are not references", () => {
  assert.deepEqual(bodyRefsOf('batches', body({ input_file_id: 'file-1' })).objects, [
    { collection: 'files', id: 'file-1' },
  ]);
  const quoted = bodyRefsOf(
    'responses',
    body({ input: 'what is previous_response_id?', metadata: { conversation: 'x' } }),
  );
  assert.deepEqual(quoted.objects, []);
  assert.deepEqual(bodyRefsOf('conversations', body({ previous_response_id: 'r' })).objects, []);
});
