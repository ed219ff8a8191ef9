import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AliasTable } from '../../src/selector/alias-table.js';

// Stratified u values make the alias method's output exact up to 1/M per column, so
// the distribution can be checked without statistical slack.
function frequencies(table: AliasTable, m: number): number[] {
  const counts = new Array<number>(table.size).fill(0);
  for (let k = 0; k < m; k++) counts[table.pick((k + 0.5) / m)]!++;
  return counts.map((c) => c / m);
}

test('picks follow the weights exactly under stratified sampling', () => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: 0, max: 1000, noNaN: true }), { minLength: 1, maxLength: 64 }), (weights) => {
      fc.pre(weights.some((w) => w > 1e-9));
      const total = weights.reduce((a, b) => a + b, 0);
      const table = new AliasTable(weights);
      const m = 20_000 * weights.length;
      const freq = frequencies(table, m);
      weights.forEach((w, i) => {
        assert.ok(
          Math.abs(freq[i]! - w / total) <= weights.length / m + 1e-9,
          `index ${i}: ${freq[i]} vs ${w / total}`,
        );
      });
    }),
    { numRuns: 60 },
  );
});

test('a zero weight is never picked', () => {
  const table = new AliasTable([0, 5, 0, 1]);
  for (let k = 0; k < 10_000; k++) {
    const i = table.pick(k / 10_000);
    assert.ok(i === 1 || i === 3, `picked ${i}`);
  }
});

test('a single region is always picked', () => {
  const table = new AliasTable([3]);
  assert.equal(table.pick(0), 0);
  assert.equal(table.pick(0.999999), 0);
});

test('random picks over many draws match skewed weights within a tolerance', () => {
  // 200k draws: the standard error of a 0.5 share is ~0.0011; 0.01 is about nine sigma.
  const weights = [50, 30, 15, 5];
  const table = new AliasTable(weights);
  const counts = [0, 0, 0, 0];
  for (let k = 0; k < 200_000; k++) counts[table.pick(Math.random())]!++;
  weights.forEach((w, i) => {
    assert.ok(Math.abs(counts[i]! / 200_000 - w / 100) < 0.01);
  });
});

test('rejects weights that cannot form a distribution', () => {
  assert.throws(() => new AliasTable([]), RangeError);
  assert.throws(() => new AliasTable([0, 0]), RangeError);
  assert.throws(() => new AliasTable([1, Number.POSITIVE_INFINITY]), RangeError);
});
