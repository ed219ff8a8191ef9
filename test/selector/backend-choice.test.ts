import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegionUpstream, Backend } from '../../src/proxy/upstream.js';
import { DEFAULT_UPSTREAM } from '../../src/config/defaults.js';

test('inside a region: least in flight, ties round robin, ejected backends skipped unless all are', async (t) => {
  const backends = [1, 2, 3].map(
    (i) =>
      new Backend(
        { region: 'r', url: `http://127.0.0.1:${60000 + i}`, headers: {}, deploymentNames: {}, tls: null },
        DEFAULT_UPSTREAM,
      ),
  );
  t.after(() => Promise.all(backends.map((b) => b.pool.destroy())));
  const region = new RegionUpstream('r', backends);
  const [a, b, c] = backends as [Backend, Backend, Backend];
  assert.deepEqual(
    [region.pickBackend(0), region.pickBackend(0), region.pickBackend(0)],
    [a, b, c],
    'idle: round robin',
  );
  a.acquire();
  a.acquire();
  b.acquire();
  assert.equal(region.pickBackend(0), c, 'the least loaded wins');
  c.ejectedUntilMs = 1000;
  assert.equal(region.pickBackend(500), b, 'an ejected backend is skipped');
  a.ejectedUntilMs = 1000;
  b.ejectedUntilMs = 1000;
  assert.ok(backends.includes(region.pickBackend(500)), 'with all ejected, one is still chosen');
  assert.equal(region.pickBackend(2000), c, 'ejection over: back in the choice');
});
