// Reading Prometheus's instant-query answers: samples by label, bad samples dropped one
// by one, whole answers that are wrong failing the poll, and the two queries joined.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PollFailure } from '../../src/telemetry/http-get.js';
import { joinSamples } from '../../src/telemetry/prometheus/join.js';
import { parseVectorAnswer } from '../../src/telemetry/prometheus/vector.js';

const NOW = 1_800_000_000_000;
const LABELS = { regionLabel: 'region', modelLabel: 'model_name' };

function vector(result: unknown[]): string {
  return JSON.stringify({ status: 'success', data: { resultType: 'vector', result } });
}

const sample = (region: string | undefined, value: unknown, at: unknown = NOW / 1000 - 1, model = 'm') => ({
  metric: { ...(region === undefined ? {} : { region }), model_name: model },
  value: [at, value],
});

const parse = (text: string, status = 200) => parseVectorAnswer(status, text, 'inUseQuery', 'inUse', LABELS, NOW);

test('samples are read by their labels, with the time Prometheus gives them', () => {
  const { samples, rejected } = parse(vector([sample('a', '12'), sample('b', '0.5', NOW / 1000 + 60)]));
  assert.deepEqual(rejected, []);
  assert.deepEqual(samples, [
    { region: 'a', model: 'm', value: 12, atMs: NOW - 1000 },
    { region: 'b', model: 'm', value: 0.5, atMs: NOW },
  ]);
});

test('NaN, infinities, negative or missing values, missing labels and bad times drop one sample each', () => {
  const { samples, rejected } = parse(
    vector([
      sample('a', 'NaN'),
      sample('b', '+Inf'),
      sample('c', '-Inf'),
      sample('d', '-3'),
      sample('e', ''),
      sample(undefined, '1'),
      { metric: { region: 'f' }, value: [NOW / 1000, '1'] },
      sample('g', '1', 'yesterday'),
      sample('h', 7),
      'not a sample',
      sample('ok', '4'),
    ]),
  );
  assert.deepEqual(
    samples.map((s) => s.region),
    ['ok'],
  );
  assert.deepEqual(
    rejected.map((r) => r.reason),
    ['inUse', 'inUse', 'inUse', 'inUse', 'inUse', 'region', 'model', 'at', 'inUse', 'not-an-object'],
  );
  assert.match(rejected[0]?.detail ?? '', /^inUseQuery: a\/m: value "NaN" is not a finite number >= 0$/);
  assert.match(rejected[5]?.detail ?? '', /no region label \(aggregate by it/);
});

test("Prometheus's own errors fail the poll with its message; other wrong answers are malformed", () => {
  const failure = (fn: () => unknown): PollFailure => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof PollFailure);
      return err;
    }
    assert.fail('expected a PollFailure');
  };
  const bad = failure(() =>
    parse(
      JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error: unclosed left parenthesis' }),
      400,
    ),
  );
  assert.equal(bad.reason, 'http_status');
  assert.equal(
    bad.message,
    'prometheus answered HTTP 400 to inUseQuery: bad_data: parse error: unclosed left parenthesis',
  );
  assert.equal(failure(() => parse('<html>bad gateway</html>', 502)).reason, 'http_status');
  assert.equal(failure(() => parse('<html>', 200)).reason, 'malformed');
  assert.equal(failure(() => parse('[]')).reason, 'malformed');
  const scalar = failure(() =>
    parse(JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [NOW / 1000, '1'] } })),
  );
  assert.equal(scalar.reason, 'malformed');
  assert.match(scalar.message, /inUseQuery answered a scalar; it must answer an instant vector/);
  assert.equal(failure(() => parse(JSON.stringify({ status: 'success', data: {} }))).reason, 'malformed');
  assert.equal(failure(() => parse(JSON.stringify({ status: 'error', error: 'x' }), 200)).reason, 'malformed');
});

test('the two queries join into one report per region and model; the older time is the report’s', () => {
  const cap = parseVectorAnswer(
    200,
    vector([sample('a', '100', NOW / 1000 - 2), sample('b', '50')]),
    'capacityQuery',
    'capacity',
    LABELS,
    NOW,
  );
  const use = parse(vector([sample('a', '40'), sample('b', '10')]));
  const { reports, rejected } = joinSamples(cap, use);
  assert.deepEqual(rejected, []);
  assert.deepEqual(reports, [
    { region: 'a', model: 'm', capacity: 100, inUse: 40, atMs: NOW - 2000 },
    { region: 'b', model: 'm', capacity: 50, inUse: 10, atMs: NOW - 1000 },
  ]);
});

test('half a report, an ambiguous key and an empty answer are counted, never guessed', () => {
  const cap = parseVectorAnswer(
    200,
    vector([sample('a', '100'), sample('b', '50'), sample('c', '1'), sample('c', '2')]),
    'capacityQuery',
    'capacity',
    LABELS,
    NOW,
  );
  const use = parse(vector([sample('a', '1'), sample('c', '1'), sample('d', '1'), sample('e', '1'), sample('e', '1')]));
  const { reports, rejected } = joinSamples(cap, use);
  assert.deepEqual(
    reports.map((r) => r.region),
    ['a'],
  );
  assert.deepEqual(rejected.map((r) => [r.reason, r.detail]).sort(), [
    ['capacity', 'capacityQuery: no sample for d/m'],
    ['duplicate', 'capacityQuery: several samples for c/m (aggregate by the region and model labels)'],
    ['duplicate', 'inUseQuery: several samples for e/m (aggregate by the region and model labels)'],
    ['inUse', 'inUseQuery: no sample for b/m'],
  ]);
  const empty = joinSamples(parse(vector([])), parse(vector([])));
  assert.deepEqual(
    empty.rejected.map((r) => r.detail),
    ['capacityQuery: no samples', 'inUseQuery: no samples'],
  );
  assert.deepEqual(empty.reports, []);
});
