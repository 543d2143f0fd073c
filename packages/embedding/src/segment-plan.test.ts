import { describe, expect, it } from 'vitest';
import { planSegments, segmentSampleRange } from './segment-plan.ts';

const settings = { segmentSeconds: 5, hopSeconds: 2.5 };

describe('planSegments', () => {
  it('keeps a clip no longer than one segment as one segment over the whole clip', () => {
    expect(planSegments(16000 * 3, 16000, settings)).toEqual([{ start: 0, end: 3 }]);
    expect(planSegments(16000 * 5, 16000, settings)).toEqual([{ start: 0, end: 5 }]);
  });

  it('cuts a segment every hop and aligns one more to the end when the hops stop short', () => {
    expect(planSegments(16000 * 11, 16000, settings)).toEqual([
      { start: 0, end: 5 },
      { start: 2.5, end: 7.5 },
      { start: 5, end: 10 },
      { start: 6, end: 11 },
    ]);
  });

  it('adds no extra segment when the hops end exactly at the end', () => {
    const spans = planSegments(16000 * 10, 16000, settings);
    expect(spans.at(-1)).toEqual({ start: 5, end: 10 });
    expect(spans).toHaveLength(3);
  });

  it('rounds times to milliseconds and maps them back to the same samples', () => {
    const spans = planSegments(44100 * 7 + 17, 44100, { segmentSeconds: 3, hopSeconds: 1 / 3 });
    for (const span of spans) {
      expect(span.start).toBe(Math.round(span.start * 1000) / 1000);
      const [first, last] = segmentSampleRange(span, 44100, 44100 * 7 + 17);
      expect(Math.abs(last - first - 3 * 44100)).toBeLessThanOrEqual(45);
    }
  });

  it('refuses a hop longer than the segment', () => {
    expect(() => planSegments(1000, 16000, { segmentSeconds: 1, hopSeconds: 2 })).toThrow(RangeError);
  });
});
