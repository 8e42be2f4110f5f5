import { expect } from 'chai';
import fc from 'fast-check';
import { backoffDelay, backoffPolicy } from '../../lib/session/backoff.js';

describe('backoff', () => {
  it('grows by its factor from the initial delay up to the maximum', () => {
    const policy = backoffPolicy({ initialDelayMs: 100, factor: 2, maxDelayMs: 1_000, jitter: 0 });
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(policy, attempt))).to.deep.equal([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('moves each delay by at most its jitter, either way', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, random, jitter) => {
        const policy = backoffPolicy({ initialDelayMs: 100, factor: 2, maxDelayMs: 5_000, jitter });
        const base = Math.min(5_000, 100 * 2 ** (attempt - 1));
        const delay = backoffDelay(policy, attempt, random);
        expect(delay).to.be.within(Math.floor(base * (1 - jitter)), Math.ceil(base * (1 + jitter)));
      }),
    );
  });

  it('defaults to 100 ms doubling to 5 s, ±20%, for ever', () => {
    expect(backoffPolicy()).to.deep.equal({ initialDelayMs: 100, factor: 2, maxDelayMs: 5_000, jitter: 0.2, maxAttempts: Number.POSITIVE_INFINITY });
  });
});
