import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { boundedShares, cappedShares, proportionalShares } from '../../src/planner/shares.js';

const EPS = 1e-9;
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const weightsArb = fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 40 });

test('proportional shares sum to 1 and follow the weights', () => {
  fc.assert(
    fc.property(weightsArb, (weights) => {
      const shares = proportionalShares(weights);
      if (sum(weights) === 0) return assert.equal(shares, null);
      assert.ok(shares !== null);
      assert.ok(Math.abs(sum(shares) - 1) < EPS);
      weights.forEach((w, i) => {
        assert.ok(Math.abs(shares[i]! - w / sum(weights)) < EPS);
      });
    }),
  );
});

test('capped shares sum to 1, respect the cap, and keep the order of the weights', () => {
  fc.assert(
    fc.property(weightsArb, fc.double({ min: 1, max: 4, noNaN: true }), (weights, factor) => {
      const cap = factor / weights.length;
      const shares = cappedShares(weights, cap);
      assert.ok(Math.abs(sum(shares) - 1) < EPS, `sum ${sum(shares)}`);
      for (const s of shares) assert.ok(s <= cap + EPS && s >= -EPS);
      for (let i = 0; i < weights.length; i++) {
        for (let j = 0; j < weights.length; j++) {
          if (weights[i]! > weights[j]!) assert.ok(shares[i]! >= shares[j]! - EPS);
        }
      }
    }),
  );
});

test('bounded shares hold both the floor and the cap', () => {
  fc.assert(
    fc.property(
      weightsArb,
      fc.double({ min: 1, max: 4, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (weights, factor, floorFactor) => {
        const n = weights.length;
        const shares = boundedShares(weights, floorFactor / n, factor / n);
        assert.ok(Math.abs(sum(shares) - 1) < EPS);
        for (const s of shares) {
          assert.ok(s >= floorFactor / n - EPS, `share ${s} under floor ${floorFactor / n}`);
          assert.ok(s <= factor / n + EPS, `share ${s} over cap ${factor / n}`);
        }
      },
    ),
  );
});

test('a cap factor of 1 spreads evenly whatever the weights', () => {
  assert.deepEqual(cappedShares([100, 1, 0, 0], 0.25), [0.25, 0.25, 0.25, 0.25]);
});
