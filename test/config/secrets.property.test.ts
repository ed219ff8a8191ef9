// Random edits of a config that uses every secret-bearing key (backend headers and the
// admin token, literal and "${NAME}"): no problem ever shows a secret, and a config gives
// the same answer however often and with whichever environment object it is validated.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { validateConfig } from '../../src/config/validate.js';
import { contractExample } from '../helpers/config-fixtures.js';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz-seed.js';

const SECRETS = ['sk-literal-7f3a', 'sk-from-env-91c2', 'tok-from-env-55d0'];
const ENV = { API_KEY: SECRETS[1], ADMIN_TOKEN: SECRETS[2], EMPTY: '', SPACED: 'a b\tc', BROKEN: 'x\ny' };

function withSecrets(): Record<string, unknown> {
  const raw = contractExample();
  return {
    ...raw,
    admin: { ...raw.admin, token: '${ADMIN_TOKEN}' },
    backends: [
      { ...raw.backends[0], headers: { 'api-key': '${API_KEY}', 'x-literal': SECRETS[0] } },
      { ...raw.backends[1], headers: { Authorization: `Bearer ${SECRETS[0]}` } },
    ],
  };
}

// Edits that change where secrets sit and what they expand to, not values that are secrets.
const PATHS: ReadonlyArray<readonly (string | number)[]> = [
  ['admin', 'token'],
  ['admin'],
  ['backends', 0, 'headers', 'api-key'],
  ['backends', 0, 'headers', 'Api-Key'],
  ['backends', 0, 'headers', 'host'],
  ['backends', 0, 'headers', 'bad name'],
  ['backends', 1, 'headers', 'authorization'],
  ['backends', 1, 'headers'],
  ['backends', 0, 'url'],
  ['backends', 0],
  ['telemetry', 'url'],
  ['zones', 'eu'],
];
const VALUES = fc.constantFrom(
  undefined,
  null,
  '',
  ' ',
  42,
  '${API_KEY}',
  '${ADMIN_TOKEN} ${API_KEY}',
  '${UNSET}',
  '${EMPTY}',
  '${SPACED}',
  '${BROKEN}',
  'Bearer ${ADMIN_TOKEN}',
  [],
  {},
  'http://h:1/x',
);

function edited(edits: ReadonlyArray<readonly [number, unknown]>): Record<string, unknown> {
  const raw = withSecrets();
  for (const [which, value] of edits) {
    const path = PATHS[which % PATHS.length] ?? [];
    let node = raw as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== 'object' || next === null) break;
      node = next as Record<string | number, unknown>;
    }
    const last = path[path.length - 1] as string | number;
    if (value === undefined) delete node[last];
    else node[last] = value;
  }
  return raw;
}

test('no problem shows a secret, and validation gives the same answer every time', (t) => {
  const seed = fuzzSeed(t);
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), VALUES), { maxLength: 4 }), (edits) => {
      const raw = edited(edits);
      const first = validateConfig(raw, ENV);
      if (!first.ok) {
        for (const problem of first.errors) {
          for (const secret of [...SECRETS, 'a b\tc', 'x\ny']) assert.ok(!problem.includes(secret), problem);
        }
      }
      assert.deepEqual(validateConfig(structuredClone(raw), ENV), first);
      assert.deepEqual(validateConfig(structuredClone(raw), { ...ENV }), first);
    }),
    { seed, numRuns: fuzzRuns(300) },
  );
});
