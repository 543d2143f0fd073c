import { describe, expect, it } from 'vitest';
import type { SegmentHit } from './loaded-snapshot.ts';
import { voteOffsets } from './offset-voting.ts';

const hit = (id: string, start: number | undefined, score: number, row = 0): SegmentHit => ({
  id,
  url: undefined,
  metadata: undefined,
  score,
  start,
  end: start === undefined ? undefined : start + 5,
  part: 0,
  row,
});

describe('voteOffsets', () => {
  it('puts the consistent offset of a recording first, above scattered stronger single hits', () => {
    // Query segments at 0, 2.5, 5, 7.5; the excerpt sits at 100 s in "long"; "other" matches
    // each query segment once, strongly, but at unrelated times.
    const starts = [0, 2.5, 5, 7.5];
    const lists = starts.map((q, index) => [hit('other', 400 + index * 37, 0.95), hit('long', 100 + q, 0.9), hit('long', 300, 0.5)]);
    const candidates = voteOffsets(lists, starts, 2.5, 3);
    // The hit at 300 s votes for a different bin from each query segment: four bins of 0.5.
    expect(candidates[0]).toMatchObject({ id: 'long', offsets: [100, 292.5, 295] });
    expect(candidates[0]!.weight).toBeCloseTo(3.6, 6);
    expect(candidates[1]!.id).toBe('other');
    expect(candidates[1]!.weight).toBeCloseTo(0.95, 6);
    expect(candidates[1]!.offsets).toHaveLength(3);
  });

  it('counts a query segment once per (recording, offset), at its best hit, and gives negative cosines no weight', () => {
    const lists = [[hit('a', 10, 0.8, 1), hit('a', 10.4, 0.6, 2), hit('b', 0, -0.3)]];
    const candidates = voteOffsets(lists, [0], 2.5, 2);
    expect(candidates.map((candidate) => [candidate.id, candidate.weight, candidate.offsets])).toEqual([
      ['a', 0.8, [10]],
      ['b', 0, [0]],
    ]);
  });

  it('treats rows without times as starting at 0', () => {
    const candidates = voteOffsets([[hit('old', undefined, 0.7)], [hit('old', undefined, 0.6)]], [0, 5], 5, 3);
    expect(candidates).toHaveLength(1);
    expect(candidates[0]!.offsets).toEqual([0, -5]);
  });
});
