import { describe, expect, it } from 'vitest';
import { bestHitPerRecording, bestRows, countRecordings } from './hit-grouping.ts';
import type { SegmentHit } from './loaded-snapshot.ts';
import { votingSubset } from './recording-search.ts';

const hit = (id: string, row: number, score: number): SegmentHit => ({
  id,
  url: undefined,
  metadata: undefined,
  score,
  start: row,
  end: row + 5,
  part: 0,
  row,
});

describe('hit grouping', () => {
  it('keeps the best hit of each recording, best first, up to k', () => {
    const hits = [hit('a', 3, 0.9), hit('a', 4, 0.8), hit('b', 10, 0.7), hit('a', 5, 0.6), hit('c', 20, 0.5)];
    expect(bestHitPerRecording(hits, 2).map((best) => [best.id, best.row])).toEqual([
      ['a', 3],
      ['b', 10],
    ]);
    expect(bestHitPerRecording(hits, 10).map((best) => best.id)).toEqual(['a', 'b', 'c']);
    expect(countRecordings([hits, [hit('d', 0, 0.1)]])).toBe(4);
  });

  it('merges the rows of several query segments, each once at its best score', () => {
    const rows = bestRows(
      [
        [hit('a', 1, 0.5), hit('b', 2, 0.4)],
        [hit('b', 2, 0.9), hit('c', 3, 0.4)],
      ],
      3,
    );
    expect(rows.map((row) => [row.id, row.score])).toEqual([
      ['b', 0.9],
      ['a', 0.5],
      ['c', 0.4],
    ]);
  });

  it('spreads voting segments evenly, first and last included', () => {
    expect(votingSubset(5, 10)).toEqual([0, 1, 2, 3, 4]);
    expect(votingSubset(9, 3)).toEqual([0, 4, 8]);
    expect(votingSubset(9, 1)).toEqual([0]);
  });
});
