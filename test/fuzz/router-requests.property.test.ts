// Random and adversarial requests (methods, targets, headers, bodies, nesting, framing)
// against the real router. Whatever comes in: every request is answered with a
// documented status, the router stays up, its in-flight counts return to zero, its
// heap stays bounded, and no backend ever receives a request it would serve as a
// deployment outside that deployment's boundary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ROUTER_ERRORS } from '../../src/proxy/errors.js';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz-seed.js';
import { settledHeap } from '../helpers/gc.js';
import { headerValues, rawRequest } from '../helpers/strict-http.js';
import { settled, startRecordingFleet } from '../helpers/recording-fleet.js';
import { rawRequestOf } from './arbitraries.js';
import { lenientDeployment } from './lenient-backend.js';

const ZONES = { z1: ['a', 'b'], z2: ['c'] };
const DEPLOYMENTS = [
  { name: 'g', model: 'm', type: 'global' },
  { name: 'dz', model: 'm', type: 'datazone', zone: 'z1' },
  { name: 'ra', model: 'm', type: 'regional', region: 'a' },
  { name: 'rc', model: 'm', type: 'regional', region: 'c' },
];
const BOUNDARY: Record<string, readonly string[]> = { g: ['a', 'b', 'c'], dz: ['a', 'b'], ra: ['a'], rc: ['c'] };

// What may come back: the backends' 200, the router's own codes, and what Node's HTTP
// parser answers before the router sees a request (400 malformed, 417 unknown Expect,
// 431 headers too large).
const DOCUMENTED = new Set<number>([200, ...Object.values(ROUTER_ERRORS), 400, 417, 431]);

test('adversarial requests: documented answers, no leak, nothing outside a boundary', async (t) => {
  const seed = fuzzSeed(t);
  const violations: string[] = [];
  const fleet = await startRecordingFleet(t, {
    zones: ZONES,
    deployments: DEPLOYMENTS,
    handlers: Object.fromEntries(
      ['a', 'b', 'c'].map((region) => [
        region,
        (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, body: Buffer) => {
          const name = lenientDeployment(req.url ?? '', body);
          if (name !== null && BOUNDARY[name] !== undefined && !BOUNDARY[name].includes(region)) {
            violations.push(`${region} got ${req.method} ${req.url} serving ${name}`);
          }
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
          res.end('{}');
        },
      ]),
    ),
    extra: {
      limits: { maxBodyBytes: 256 * 1024, requestBodyTimeoutMs: 300, clientReadTimeoutMs: 300 },
      log: { level: 'silent' },
    },
  });
  // Warm up the paths the properties take, so that the heap baseline includes them.
  for (let i = 0; i < 20; i++) {
    await rawRequest(
      fleet.port,
      'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 13\r\nconnection: close\r\n\r\n{"model":"g"}',
    );
  }
  const heapBefore = settledHeap();
  await fc.assert(
    fc.asyncProperty(rawRequestOf({ deployments: Object.keys(BOUNDARY) }), async (c) => {
      const answer = await rawRequest(fleet.port, c.bytes, { timeoutMs: 5000 });
      assert.ok(DOCUMENTED.has(answer.status), `${c.label}: status ${answer.status}`);
      // A HEAD answer has no body to read a code from.
      assert.ok(headerValues(answer, 'content-type').length <= 1, `${c.label}: one Content-Type at most`);
      const json =
        headerValues(answer, 'content-type')[0]?.startsWith('application/json') === true && answer.text !== '';
      if (json && answer.status !== 200) {
        const code = (JSON.parse(answer.text) as { error?: { code?: string } }).error
          ?.code as keyof typeof ROUTER_ERRORS;
        assert.equal(ROUTER_ERRORS[code], answer.status, `${c.label}: ${code} with ${answer.status}`);
      }
      if (c.truncated) {
        // The body never completes: a 408, unless the request was refused on its head.
        assert.ok([408, 400, 405, 413, 417, 431].includes(answer.status), `${c.label}: ${answer.status}`);
      }
      await settled(fleet);
      assert.deepEqual(violations, []);
    }),
    { seed, numRuns: fuzzRuns(120) },
  );
  // Still up, still routing.
  const res = await fetch(`${fleet.router.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"ra"}' });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-switchyard-region'), 'a');
  await res.text();
  const grown = settledHeap() - heapBefore;
  assert.ok(grown < 24 * 1024 * 1024, `heap grew by ${(grown / 1048576).toFixed(1)} MB`);
});
