import { describe, expect, it } from 'vitest';
import { FailureBackoff } from './failure-backoff.ts';

describe('FailureBackoff', () => {
  it('doubles from the first delay to the cap, loud at powers of two', () => {
    const backoff = new FailureBackoff(1000, 30_000, 60_000);
    const steps = Array.from({ length: 9 }, () => backoff.next(10));
    expect(steps.map((step) => step.retryInMs)).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
    expect(steps.filter((step) => step.loud).map((step) => step.attempt)).toEqual([1, 2, 4, 8]);
  });

  it('counts from 1 again after an attempt that ran past the reset time', () => {
    const backoff = new FailureBackoff(1000, 30_000, 60_000);
    backoff.next(10);
    backoff.next(10);
    expect(backoff.next(60_000)).toEqual({ attempt: 1, retryInMs: 1000, loud: true });
  });
});
