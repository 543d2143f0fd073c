import { describe, expect, it } from 'vitest';
import type { ShardEntry } from '@audio-index/shared';
import { planCompaction, type CompactionPolicy } from './compaction-plan.ts';

const policy: CompactionPolicy = { targetShardBytes: 1_000_000, fanIn: 4, maxTombstoneRatio: 0.25 };

function shard(id: string, count: number, tombstones: number[] = []): ShardEntry {
  return { id, count, bytes: count * 100, sha256: '0'.repeat(64), tombstones };
}

describe('planCompaction', () => {
  it('waits until a tier holds fanIn shards, then merges the oldest of them', () => {
    const three = [shard('a', 10), shard('b', 12), shard('c', 11)];
    expect(planCompaction(three, policy)).toEqual([]);
    const five = [...three, shard('d', 10), shard('e', 10)];
    expect(planCompaction(five, policy).map((entry) => entry.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('leaves shards near the target size alone and never merges past it', () => {
    const big = [shard('a', 6000), shard('b', 6000), shard('c', 6000), shard('d', 6000)];
    expect(planCompaction(big, policy)).toEqual([]);
    const tier = [shard('a', 3000), shard('b', 3000), shard('c', 3000), shard('d', 3000)];
    expect(planCompaction(tier, policy).map((entry) => entry.id)).toEqual(['a', 'b', 'c']);
  });

  it('merges the smallest tier first', () => {
    const shards = [shard('big1', 1000), shard('big2', 1000), shard('big3', 1000), shard('big4', 1000), ...['s1', 's2', 's3', 's4'].map((id) => shard(id, 10))];
    expect(planCompaction(shards, policy).map((entry) => entry.id)).toEqual(['s1', 's2', 's3', 's4']);
  });

  it('rewrites a shard alone when too many of its rows are tombstoned', () => {
    expect(
      planCompaction(
        [
          shard('a', 100, [1, 2, 3]),
          shard(
            'b',
            100,
            Array.from({ length: 30 }, (_, row) => row),
          ),
        ],
        policy,
      ).map((entry) => entry.id),
    ).toEqual(['b']);
  });
});
