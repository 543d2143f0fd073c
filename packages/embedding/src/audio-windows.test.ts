import { describe, expect, it } from 'vitest';
import { loopToMinimumLength, planWindows, windowCountOf } from './audio-windows.ts';

describe('planWindows', () => {
  it('runs a clip no longer than a window whole', () => {
    expect(planWindows(7, 10, 5)).toEqual([{ start: 0, length: 7 }]);
    expect(planWindows(10, 10, 5)).toEqual([{ start: 0, length: 10 }]);
  });

  it('hops full windows across a clip they cover exactly', () => {
    expect(planWindows(35, 10, 5).map((window) => window.start)).toEqual([0, 5, 10, 15, 20, 25]);
  });

  it('adds one full window aligned to the end when the hops stop short', () => {
    expect(planWindows(37, 10, 5)).toEqual([0, 5, 10, 15, 20, 25, 27].map((start) => ({ start, length: 10 })));
    expect(planWindows(11, 10, 10)).toEqual([
      { start: 0, length: 10 },
      { start: 1, length: 10 },
    ]);
  });
});

describe('loopToMinimumLength', () => {
  it('repeats a short clip until it is long enough', () => {
    expect(Array.from(loopToMinimumLength(Float32Array.of(1, 2, 3), 8))).toEqual([1, 2, 3, 1, 2, 3, 1, 2]);
  });

  it('returns a long enough clip itself', () => {
    const clip = Float32Array.of(1, 2, 3);
    expect(loopToMinimumLength(clip, 3)).toBe(clip);
  });
});

describe('windowCountOf', () => {
  it('agrees with planWindows', () => {
    for (const [count, window, hop] of [
      [7, 10, 5],
      [10, 10, 5],
      [35, 10, 5],
      [37, 10, 5],
      [11, 10, 10],
      [1000, 160, 80],
      [1001, 160, 37],
    ] as const) {
      expect(windowCountOf(count, window, hop), `${count}/${window}/${hop}`).toBe(planWindows(count, window, hop).length);
    }
  });
});
