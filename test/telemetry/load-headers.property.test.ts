// Load headers come from backends, which the router does not trust: whatever bytes an
// answer carries, reading them never throws, never records NaN, a negative number or
// Infinity, and ignores what it cannot read (the rest of the answer still counts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { readNumber } from '../../src/telemetry/in-band/header-bytes.js';
import { readLoadHeaders } from '../../src/telemetry/in-band/load-headers.js';
import { InBandSlot } from '../../src/telemetry/in-band/slot.js';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz-seed.js';

const NOW = 1_800_000_000_000;

const KNOWN = [
  'endpoint-load-metrics',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
];

/** A known name in random letter case, or a look-alike, or anything. */
const name = fc.oneof(
  fc
    .tuple(fc.constantFrom(...KNOWN), fc.array(fc.boolean(), { minLength: 30, maxLength: 30 }))
    .map(([n, upper]) => [...n].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('')),
  fc.constantFrom(
    'endpoint-load-metricz',
    'x-ratelimit-limit-request',
    'endpoint-load-metrics-bin',
    'x-ratelimit-reset-tokens',
  ),
  fc.string({ minLength: 1, maxLength: 32 }),
);

const ORCA_KEYS = [
  'application_utilization',
  'cpu_utilization',
  'mem_utilization',
  'named_metrics.kv_cache_utilization',
  'named_metrics.kv_cache_usage_perc',
  'named_metrics.num_requests_waiting',
  'utilization.gpu',
];

const numberText = fc.oneof(
  fc.double().map(String),
  fc.integer().map(String),
  fc.constantFrom(
    'NaN',
    '-0',
    '+Inf',
    '-Inf',
    'Infinity',
    '1e309',
    '1e-400',
    '-1',
    '',
    ' ',
    '.',
    '1e',
    '00.5',
    '9'.repeat(40),
  ),
  fc.string({ maxLength: 12 }),
);

const orcaText = fc
  .tuple(
    fc.constantFrom('TEXT ', 'text ', 'TEXT', 'Text  ', ''),
    fc.array(fc.tuple(fc.oneof(fc.constantFrom(...ORCA_KEYS), fc.string({ maxLength: 20 })), numberText), {
      maxLength: 6,
    }),
    fc.constantFrom(', ', ',', ' , ', ',,'),
  )
  .map(([prefix, pairs, sep]) => prefix + pairs.map(([k, v]) => `${k}=${v}`).join(sep));

const orcaJson = fc
  .tuple(
    fc.constantFrom('JSON ', 'json ', 'JSON'),
    fc.oneof(
      fc.json({ maxDepth: 3 }),
      fc
        .record({
          cpu_utilization: fc.oneof(fc.double(), fc.string()),
          application_utilization: fc.oneof(fc.double(), fc.constant(null)),
          named_metrics: fc.dictionary(
            fc.constantFrom('kv_cache_usage_perc', 'num_requests_waiting', 'x'),
            fc.double(),
          ),
        })
        .map((o) => JSON.stringify(o)),
    ),
  )
  .map(([prefix, body]) => prefix + body);

/** Header values as bytes: numbers, ORCA bodies, and arbitrary bytes (undici passes anything non-CRLF). */
const value = fc.oneof(
  numberText.map((s) => Buffer.from(s, 'latin1')),
  orcaText.map((s) => Buffer.from(s, 'latin1')),
  orcaJson.map((s) => Buffer.from(s, 'latin1')),
  fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
);

const headers = fc
  .array(fc.tuple(name, value), { maxLength: 10 })
  .map((pairs) => pairs.flatMap(([n, v]) => [Buffer.from(n, 'latin1'), v]));

function isKnown(n: Buffer): boolean {
  return KNOWN.includes(n.toString('latin1').toLowerCase());
}

test('whatever the headers say, the slot holds finite numbers in range, and each answer counts once', (t) => {
  const seed = fuzzSeed(t);
  fc.assert(
    fc.property(headers, fc.integer({ min: 0, max: 5 }), (raw, earlierReads) => {
      const slot = new InBandSlot('m', 'r');
      slot.read = earlierReads;
      slot.atMs = NOW - 1000;
      readLoadHeaders(raw, slot, NOW);
      assert.ok(Number.isFinite(slot.utilisation) && slot.utilisation >= 0 && slot.utilisation <= 1);
      assert.ok(Number.isFinite(slot.capacity) && slot.capacity >= 0);
      assert.ok(slot.atMs === NOW || slot.atMs === NOW - 1000);
      const counted = slot.read - earlierReads + slot.unreadable;
      const anyKnown = raw.some((b, i) => i % 2 === 0 && isKnown(b));
      assert.equal(counted, anyKnown ? 1 : 0, 'one reading or one unreadable per answer with a load header');
      assert.equal(slot.atMs === NOW, slot.read > earlierReads, 'the time moves exactly when something was read');
    }),
    { seed, numRuns: fuzzRuns(2000) },
  );
});

test('headers it cannot read change nothing about the ones it can', (t) => {
  const seed = fuzzSeed(t);
  const limits = fc.tuple(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 2_000_000 }));
  const noise = fc.array(
    fc.tuple(
      fc.oneof(
        fc.constant('endpoint-load-metrics'),
        fc.string({ minLength: 1, maxLength: 40 }).filter((n) => !KNOWN.includes(n.toLowerCase())),
      ),
      fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('TEXT ', 'JSON {', 'BIN x', 'TEXT mem_utilization=0.9')),
    ),
    { maxLength: 6 },
  );
  fc.assert(
    fc.property(limits, noise, ([limit, remaining], extra) => {
      const pair: Array<[string, string]> = [
        ['x-ratelimit-limit-requests', String(limit)],
        ['x-ratelimit-remaining-requests', String(remaining)],
      ];
      const clean = new InBandSlot('m', 'r');
      readLoadHeaders(
        pair.flatMap(([k, v]) => [Buffer.from(k), Buffer.from(v)]),
        clean,
        NOW,
      );
      const noisy = new InBandSlot('m', 'r');
      const unreadableOrca = extra.filter(([k, v]) => k === 'endpoint-load-metrics' && !/^TEXT .*=|^JSON \{/.test(v));
      const mixed = [...extra.filter((e) => !unreadableOrca.includes(e) && e[0] !== 'endpoint-load-metrics'), ...pair];
      if (unreadableOrca.length > 0) mixed.push(unreadableOrca[0] as [string, string]);
      readLoadHeaders(
        mixed.flatMap(([k, v]) => [Buffer.from(k, 'latin1'), Buffer.from(v, 'latin1')]),
        noisy,
        NOW,
      );
      assert.equal(noisy.utilisation, clean.utilisation);
      assert.equal(noisy.capacity, clean.capacity);
      assert.equal(noisy.read, 1);
      assert.equal(clean.utilisation, Math.min(1, Math.max(0, 1 - remaining / limit)));
    }),
    { seed, numRuns: fuzzRuns(1000) },
  );
});

test('a number is read back as written, or not at all', (t) => {
  const seed = fuzzSeed(t);
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1e300, noNaN: true }), (x) => {
      const got = readNumber(Buffer.from(String(x), 'latin1'));
      assert.ok(Math.abs(got - x) <= Math.max(1e-300, Math.abs(x) * 1e-12), `${x} read as ${got}`);
    }),
    { seed, numRuns: fuzzRuns(2000) },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const got = readNumber(bytes);
      assert.ok(got === -1 || (Number.isFinite(got) && got >= 0), `${Buffer.from(bytes).toString('latin1')}: ${got}`);
    }),
    { seed, numRuns: fuzzRuns(2000) },
  );
});
