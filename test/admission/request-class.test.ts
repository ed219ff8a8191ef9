import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PLAIN_REQUEST, requestClass } from '../../src/admission/request-class.js';

const policy = {
  objectives: new Map([
    ['interactive', 5],
    ['batch', -1],
  ]),
  fairnessHeader: 'x-gateway-inference-fairness-id',
};

test('a request without admission headers is the shared plain class (nothing allocated)', () => {
  assert.equal(requestClass({ 'content-type': 'application/json' }, policy), PLAIN_REQUEST);
});

test('priority from x-switchyard-priority, else from the objective; the fairness key and a shorter wait', () => {
  assert.deepEqual(requestClass({ 'x-switchyard-priority': ' -3 ' }, policy), {
    priority: -3,
    fairnessKey: '',
    maxWaitMs: null,
  });
  assert.deepEqual(
    requestClass(
      {
        'x-gateway-inference-objective': 'batch',
        'x-gateway-inference-fairness-id': 'tenant-7',
        'x-switchyard-max-wait-ms': '250',
      },
      policy,
    ),
    { priority: -1, fairnessKey: 'tenant-7', maxWaitMs: 250 },
  );
  // The number wins over the objective.
  assert.equal(
    (
      requestClass({ 'x-switchyard-priority': '2', 'x-gateway-inference-objective': 'batch' }, policy) as {
        priority: number;
      }
    ).priority,
    2,
  );
});

test('a configured fairness header (say, one a gateway derives from the API key) is read instead', () => {
  const byKey = { ...policy, fairnessHeader: 'x-api-key-id' };
  assert.equal((requestClass({ 'x-api-key-id': 'k1' }, byKey) as { fairnessKey: string }).fairnessKey, 'k1');
  assert.equal(
    (requestClass({ 'x-gateway-inference-fairness-id': 'k1' }, byKey) as { fairnessKey: string }).fairnessKey,
    '',
  );
});

test('values that cannot be honoured are problems that say what would be right', () => {
  const problem = (headers: Record<string, string>) => (requestClass(headers, policy) as { problem: string }).problem;
  assert.match(
    problem({ 'x-switchyard-priority': '11' }),
    /x-switchyard-priority is "11" \(expected an integer from -10 to 10/,
  );
  assert.match(problem({ 'x-switchyard-priority': '1.5' }), /expected an integer/);
  assert.match(problem({ 'x-switchyard-priority': 'high' }), /"high"/);
  assert.match(
    problem({ 'x-gateway-inference-objective': 'premium' }),
    /x-gateway-inference-objective "premium" is not configured here \(known: interactive, batch\)/,
  );
  assert.match(problem({ 'x-switchyard-max-wait-ms': '-5' }), /x-switchyard-max-wait-ms is "-5"/);
  const none = { ...policy, objectives: new Map<string, number>() };
  assert.match(
    (requestClass({ 'x-gateway-inference-objective': 'x' }, none) as { problem: string }).problem,
    /known: none; admission\.objectives names them/,
  );
});

test('a very long fairness key is cut, and a long bad value is not echoed whole', () => {
  const key = 'k'.repeat(10_000);
  assert.equal(
    (requestClass({ 'x-gateway-inference-fairness-id': key }, policy) as { fairnessKey: string }).fairnessKey.length,
    256,
  );
  const problem = (requestClass({ 'x-switchyard-priority': '9'.repeat(5000) }, policy) as { problem: string }).problem;
  assert.ok(problem.length < 300, problem);
});
