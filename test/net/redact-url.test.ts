import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrl } from '../../src/net/redact-url.js';

test('userinfo and token-like query values are redacted, the rest of the URL stays', () => {
  assert.equal(
    redactUrl('http://ops:pa55@10.0.0.1:9100/telemetry?region=eu&access_token=abc&sig=x%2By#frag'),
    'http://REDACTED@10.0.0.1:9100/telemetry?region=eu&access_token=REDACTED&sig=REDACTED#frag',
  );
  assert.equal(
    redactUrl('/v1/chat/completions?api-key=k1&API%2DKEY=k2&api-version=2024'),
    '/v1/chat/completions?api-key=REDACTED&API%2DKEY=REDACTED&api-version=2024',
  );
  assert.equal(
    redactUrl('/v1/x?Password=p&auth=a&session_id=s&flag'),
    '/v1/x?Password=REDACTED&auth=REDACTED&session_id=REDACTED&flag',
  );
});

test('a URL with nothing to redact is returned as it is', () => {
  const plain = '/openai/deployments/chat/chat/completions?api-version=2024-10-21';
  assert.equal(redactUrl(plain), plain);
  assert.equal(redactUrl('http://127.0.0.1:9100/telemetry'), 'http://127.0.0.1:9100/telemetry');
  assert.equal(redactUrl('/a/b@c'), '/a/b@c', 'an @ in a path is no userinfo');
});
