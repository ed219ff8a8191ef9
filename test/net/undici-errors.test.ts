// Whether a failed attempt is a backend outcome, and whether it may be retried, turns
// on one fact: had undici begun writing the request?
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attemptFailureOf, isBackendOutcome } from '../../src/net/undici-errors.js';
import { classify } from '../../src/resilience/resilience.js';

test('before the request is written: network errors are unreachable, refusals are the request, the rest no one', () => {
  assert.equal(attemptFailureOf('ECONNREFUSED', false), 'unreachable');
  assert.equal(attemptFailureOf('UND_ERR_CONNECT_TIMEOUT', false), 'unreachable');
  assert.equal(attemptFailureOf('UND_ERR_SOCKET', false), 'unreachable');
  assert.equal(attemptFailureOf('UND_ERR_NOT_SUPPORTED', false), 'refused-request');
  assert.equal(attemptFailureOf('UND_ERR_INVALID_ARG', false), 'refused-request');
  assert.equal(attemptFailureOf('UND_ERR_DESTROYED', false), 'not-sent');
});

test("after the request is written, every failure is the backend's, and none is a connect failure", () => {
  for (const code of ['UND_ERR_SOCKET', 'ECONNRESET', 'UND_ERR_HEADERS_TIMEOUT', 'EPIPE'])
    assert.equal(attemptFailureOf(code, true), 'failed-after-send');
  assert.equal(isBackendOutcome(0, 'UND_ERR_SOCKET', true), true);
});

test('outlier detection ignores what never reached a backend', () => {
  assert.equal(classify(0, 'UND_ERR_NOT_SUPPORTED', null, false), null);
  assert.equal(classify(0, 'UND_ERR_INVALID_ARG', null, false), null);
  assert.equal(classify(0, 'UND_ERR_DESTROYED', null, false), null);
  assert.equal(classify(0, 'ECONNREFUSED', null, false), 'failure');
  assert.equal(classify(0, 'UND_ERR_SOCKET', null, true), 'failure');
  assert.equal(
    classify(0, 'UND_ERR_NOT_SUPPORTED', null),
    'failure',
    'callers that cannot tell keep the old judgement',
  );
});
