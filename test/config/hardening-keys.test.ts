// The config keys of the hardening limits and the admin token: defaults, bounds, and
// ${NAME} expansion with an unset variable reported like every other problem.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from '../../src/config/validate.js';
import { contractExample } from '../helpers/config-fixtures.js';

function errorsOf(raw: unknown, env: Record<string, string | undefined> = {}): string[] {
  const result = validateConfig(raw, env);
  return result.ok ? [] : result.errors;
}

test('the new limits have their defaults', () => {
  const result = validateConfig(contractExample(), {});
  assert.ok(result.ok);
  assert.equal(result.config.limits.requestBodyTimeoutMs, 30_000);
  assert.equal(result.config.limits.clientReadTimeoutMs, 60_000);
  assert.equal(result.config.telemetry.maxBodyBytes, 1024 * 1024);
  assert.equal(result.config.admin.token, null);
});

test('admin.token expands ${NAME} from the environment', () => {
  const raw = { ...contractExample(), admin: { host: '127.0.0.1', port: 8081, token: '${ADMIN_TOKEN}' } };
  const result = validateConfig(raw, { ADMIN_TOKEN: 'abc-123' });
  assert.ok(result.ok);
  assert.equal(result.config.admin.token, 'abc-123');
});

test('an unset variable in admin.token is listed with every other problem', () => {
  const raw = {
    ...contractExample(),
    admin: { host: '127.0.0.1', port: 8081, token: '${NOT_SET_ANYWHERE}' },
    limits: { requestBodyTimeoutMs: 0, clientReadTimeoutMs: 'soon' },
  };
  assert.deepEqual(errorsOf(raw), [
    'admin.token: environment variable "NOT_SET_ANYWHERE" is not set (set it, or remove admin.token to leave the admin listener open)',
    'limits.requestBodyTimeoutMs: got 0 (expected a positive integer number of milliseconds, at most 2147483647)',
    'limits.clientReadTimeoutMs: got "soon" (expected a positive integer number of milliseconds, at most 2147483647)',
  ]);
});

test('an admin token must be usable in an Authorization header', () => {
  const at = (token: unknown, env: Record<string, string> = {}) =>
    errorsOf({ ...contractExample(), admin: { host: '127.0.0.1', port: 8081, token } }, env);
  assert.match(at('')[0] ?? '', /^admin\.token: /);
  assert.match(at('has space')[0] ?? '', /^admin\.token: contains a space or control character/);
  assert.match(at('${EMPTY}', { EMPTY: '' })[0] ?? '', /^admin\.token: is empty once \$\{EMPTY\} is expanded/);
  assert.match(at(42)[0] ?? '', /^admin\.token: got 42/);
  assert.deepEqual(at('plain-token'), []);
});

test('telemetry.maxBodyBytes is a positive byte count', () => {
  const raw = contractExample();
  const errors = errorsOf({ ...raw, telemetry: { ...raw.telemetry, maxBodyBytes: -1 } });
  assert.deepEqual(errors, ['telemetry.maxBodyBytes: got -1 (expected a positive integer number of bytes)']);
});
