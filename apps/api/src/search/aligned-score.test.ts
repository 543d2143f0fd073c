import { describe, expect, it } from 'vitest';
import { bestSegments, matchSpan, nearestSegment, scoreAlignment, scoreEverySegment, type QuerySegments } from './aligned-score.ts';
import type { RecordingSegments } from './stored-recording.ts';

/** A recording of one-hot segments: segment i is the unit vector e_(i mod dim). */
function oneHotRecording(starts: number[], dim: number): RecordingSegments {
  return {
    count: starts.length,
    startAt: (index) => starts[index]!,
    dot: (index, queries, offset) => queries[offset + (index % dim)]!,
  };
}

function oneHotQuery(columns: number[], starts: number[], dim: number): QuerySegments {
  const vectors = new Float32Array(columns.length * dim);
  columns.forEach((column, row) => (vectors[row * dim + column] = 1));
  return { vectors, dim, spans: starts.map((start) => ({ start, end: start + 5 })) };
}

describe('aligned scoring', () => {
  const dim = 16;
  const starts = Array.from({ length: 12 }, (_, index) => index * 2.5);
  const recording = oneHotRecording(starts, dim);

  it('finds the segment nearest a time, at the edges too', () => {
    expect(nearestSegment(recording, -3)).toBe(0);
    expect(nearestSegment(recording, 0)).toBe(0);
    expect(nearestSegment(recording, 1.2)).toBe(0);
    expect(nearestSegment(recording, 1.3)).toBe(1);
    expect(nearestSegment(recording, 10)).toBe(4);
    expect(nearestSegment(recording, 999)).toBe(11);
  });

  it('scores 1 at the offset where every query segment meets its own segment, less elsewhere', () => {
    // The query is segments 4..7 of the recording, cut from 0.
    const query = oneHotQuery([4, 5, 6, 7], [0, 2.5, 5, 7.5], dim);
    expect(scoreAlignment(recording, query, 10).score).toBe(1);
    expect(scoreAlignment(recording, query, 10).pairs.map((pair) => pair.segment)).toEqual([4, 5, 6, 7]);
    expect(scoreAlignment(recording, query, 12.5).score).toBe(0);
    // Off-grid by 1 s: still the nearest segments.
    expect(scoreAlignment(recording, query, 11).score).toBe(1);
  });

  it('lists the n best segments once each', () => {
    const scored = [
      { segment: 3, score: 0.5 },
      { segment: 1, score: 0.9 },
      { segment: 3, score: 0.7 },
      { segment: 2, score: 0.7 },
    ];
    expect(bestSegments(scored, 2)).toEqual([
      { segment: 1, score: 0.9 },
      { segment: 2, score: 0.7 },
    ]);
    const query = oneHotQuery([6], [0], dim);
    expect(bestSegments(scoreEverySegment(recording, query.vectors), 1)).toEqual([{ segment: 6, score: 1 }]);
  });

  it('moves the query span by the offset and clamps it to the recording', () => {
    expect(matchSpan(0, 30, 95, 7200)).toEqual({ start: 95, end: 125 });
    expect(matchSpan(0, 30, -10, 7200)).toEqual({ start: 0, end: 20 });
    expect(matchSpan(0, 30, 7190, 7200)).toEqual({ start: 7190, end: 7200 });
    expect(matchSpan(2.5, 7.5, 0.1 + 0.2, null)).toEqual({ start: 2.8, end: 7.8 });
  });
});
