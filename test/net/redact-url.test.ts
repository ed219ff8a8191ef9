import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { REDACTED, redactUrl } from '../../src/net/redact-url.js';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz-seed.js';

test('userinfo, every query value but the harmless ones, and the fragment are redacted', () => {
  assert.equal(
    redactUrl('http://ops:pa55@10.0.0.1:9100/telemetry?region=eu&access_token=abc&sig=x%2By#frag'),
    'http://REDACTED@10.0.0.1:9100/telemetry?region=REDACTED&access_token=REDACTED&sig=REDACTED#REDACTED',
  );
  assert.equal(
    redactUrl('/v1/chat/completions?api-key=k1&API%2DKEY=k2&api-version=2024-10-21'),
    '/v1/chat/completions?api-key=REDACTED&API%2DKEY=REDACTED&api-version=2024-10-21',
  );
  // The Azure Functions key parameter: no secret-looking name, a secret all the same.
  assert.equal(
    redactUrl('https://fn.example.net/api/telemetry?code=Zm9vYmFyYmF6cXV4&format=json'),
    'https://fn.example.net/api/telemetry?code=REDACTED&format=json',
  );
  assert.equal(redactUrl('/v1/files?LIMIT=20&Api%2Dversion=2024'), '/v1/files?LIMIT=20&Api%2Dversion=2024');
  assert.equal(redactUrl('/v1/x?sk-abc123&flag=&&=v'), '/v1/x?REDACTED&flag=&&=REDACTED', 'a bare item is all value');
});

test('a harmless key shows its value only when the value looks like a setting', () => {
  assert.equal(redactUrl('/v1/x?api-version=2024;code=s3cret'), '/v1/x?api-version=REDACTED');
  assert.equal(redactUrl('/v1/x?format=a%2Fb'), '/v1/x?format=REDACTED');
  assert.equal(redactUrl(`/v1/x?limit=${'1'.repeat(33)}`), '/v1/x?limit=REDACTED');
});

test('the last @ of the authority ends the userinfo', () => {
  assert.equal(redactUrl('http://user:p@ss@h:9/x'), 'http://REDACTED@h:9/x');
  assert.equal(redactUrl('https://u:p@h\\x@y'), 'https://REDACTED@h\\x@y', 'a backslash starts an http path');
  assert.equal(redactUrl('http://h/x?u=http://a:b@c/'), 'http://h/x?u=REDACTED');
  assert.equal(redactUrl('ops:pw@proxy.example:443'), 'REDACTED@proxy.example:443', 'a CONNECT target');
});

test('a URL with nothing to redact is returned as it is', () => {
  const plain = '/openai/deployments/chat/chat/completions?api-version=2024-10-21';
  assert.equal(redactUrl(plain), plain);
  assert.equal(redactUrl('http://127.0.0.1:9100/telemetry'), 'http://127.0.0.1:9100/telemetry');
  assert.equal(redactUrl('/a/b@c'), '/a/b@c', 'an @ in a path is no userinfo');
  assert.equal(redactUrl('/a?'), '/a?');
  assert.equal(redactUrl('/a#'), '/a#');
  assert.equal(redactUrl('/a?limit=5&&format='), '/a?limit=5&&format=');
});

const SHOWN = new Set(['api-version', 'limit', 'format']);

function decodedKey(written: string): string {
  try {
    return decodeURIComponent(written.replace(/\+/g, ' ')).toLowerCase();
  } catch {
    return written.toLowerCase();
  }
}

// Any text, written into a URL either percent-encoded or raw (without the characters
// that would end it there).
const written = (ends: RegExp, minLength: number) =>
  fc
    .tuple(
      fc.oneof(
        fc.string({ unit: 'grapheme-ascii', minLength }),
        fc.string({ unit: 'grapheme', minLength }),
        fc.string({ unit: 'binary', minLength }),
      ),
      fc.boolean(),
    )
    .map(([text, encode]) => (encode ? encodeURIComponent(text) : text.replace(ends, '')))
    .filter((text) => text.length >= minLength);

const prefixes = fc.constantFrom(
  '/v1/chat/completions',
  '/openai/deployments/chat/chat/completions',
  'http://127.0.0.1:9100/telemetry',
  'https://ops:pw@fn.example.net/api/report',
);
const harmless = fc.constantFrom('', 'api-version=2024-10-21', 'limit=20', 'format=json');

test('no value of a key outside the few harmless ones is ever shown', (t) => {
  const seed = fuzzSeed(t);
  fc.assert(
    fc.property(
      prefixes,
      harmless,
      written(/[&=#]/g, 0),
      written(/[&#]/g, 6),
      harmless,
      fc.option(written(/^$/g, 0), { nil: undefined }),
      (prefix, before, key, value, after, fragment) => {
        fc.pre(!SHOWN.has(decodedKey(key)));
        const pairs = [before, `${key}=${value}`, after].filter((p) => p !== '');
        const tail = fragment === undefined ? '' : `#${fragment}`;
        const url = `${prefix}?${pairs.join('&')}${tail}`;
        // A value that is also part of the rest of the URL cannot be told apart from it.
        fc.pre(!url.replace(`=${value}`, `=${REDACTED}`).includes(value));
        const out = redactUrl(url);
        assert.ok(!out.includes(value), `${JSON.stringify(url)} -> ${JSON.stringify(out)}`);
        assert.ok(out.startsWith(prefix.replace('ops:pw@', `${REDACTED}@`)), out);
        if (before !== '') assert.ok(out.includes(before), 'a harmless pair stays readable');
      },
    ),
    { seed, numRuns: fuzzRuns(500) },
  );
});

test('no password of an absolute URL is ever shown', (t) => {
  const seed = fuzzSeed(t);
  fc.assert(
    fc.property(written(/[/\\?#]/g, 6), fc.constantFrom('', '/x', '/x?limit=1', '?q=1'), (password, rest) => {
      const url = `https://user:${password}@h.example:8443${rest}`;
      fc.pre(!`https://${REDACTED}@h.example:8443${rest}`.includes(password));
      const out = redactUrl(url);
      assert.ok(!out.includes(password), `${JSON.stringify(url)} -> ${JSON.stringify(out)}`);
      assert.ok(out.includes('h.example:8443'), out);
    }),
    { seed, numRuns: fuzzRuns(300) },
  );
});
