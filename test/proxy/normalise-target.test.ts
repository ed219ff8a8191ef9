import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { normaliseTarget } from '../../src/proxy/normalise-target.js';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz-seed.js';

const ok = (target: string) => {
  const out = normaliseTarget(target);
  if (typeof out !== 'string') assert.fail(`${target} refused: ${out.message}`);
  return out;
};
const refused = (target: string) => assert.notEqual(typeof normaliseTarget(target), 'string', target);

test('common targets pass through as the same string', () => {
  for (const t of [
    '/v1/chat/completions',
    '/openai/deployments/x/chat/completions?api-version=2024-10-21&a=..',
    '/',
    '/v1/.well-known/x',
  ]) {
    assert.equal(ok(t), t);
  }
});

test('absolute form becomes origin form; other forms are refused', () => {
  assert.equal(ok('http://example.com/v1/x?y=1'), '/v1/x?y=1');
  assert.equal(ok('HTTPS://user@example.com:8443/a'), '/a');
  assert.equal(ok('http://example.com'), '/');
  assert.equal(ok('http://example.com?q'), '/?q');
  for (const t of ['*', 'example.com:443', 'v1/x', 'ftp://x/y', '']) refused(t);
});

test('unreserved escapes are decoded, slashes merged, dot segments and encoded separators refused', () => {
  assert.equal(ok('/openai/%64eployments/d%2D1/chat'), '/openai/deployments/d-1/chat');
  assert.equal(ok('//v1///chat//'), '/v1/chat/');
  assert.equal(ok('/a%20b/%e2%82%ac?x=%2e%2e'), '/a%20b/%e2%82%ac?x=%2e%2e', 'other escapes and the query stay');
  for (const t of [
    '/a/../b',
    '/a/./b',
    '/a/%2e%2E/b',
    '/a/.%2e',
    '/a%2fb',
    '/a%5Cb',
    '/a\\b',
    '/a%zz',
    '/a%2',
    '/a#b',
    '/..',
    '/a?b#c',
  ]) {
    refused(t);
  }
});

test('a normalised target is a fixed point and never holds a dot segment', (t) => {
  const seed = fuzzSeed(t);
  const piece = fc.constantFrom(
    '/',
    '//',
    '.',
    '..',
    '%2e',
    '%2E',
    '%2f',
    '%41',
    '%7e',
    '%',
    'a',
    'deployments',
    '?',
    '#',
    '\\',
    'x',
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
      const out = normaliseTarget(`/${pieces.join('')}`);
      if (typeof out !== 'string') return;
      assert.equal(normaliseTarget(out), out);
      const path = out.split('?')[0] as string;
      assert.ok(!path.split('/').some((s) => s === '.' || s === '..'), out);
      assert.ok(!path.includes('//'), out);
    }),
    { seed, numRuns: fuzzRuns(500) },
  );
});
