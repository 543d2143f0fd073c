import { describe, expect, it } from 'vitest';
import type { ShardEntry } from '@audio-index/shared';
import { CollectionState } from './collection-state.ts';
import type { CompactedShard } from './shard-compactor.ts';

function shard(id: string, count: number, tombstones: number[] = []): ShardEntry {
  return { id, count, bytes: count * 8, sha256: '0'.repeat(64), tombstones };
}

/** Two published shards a (a0..a2) and b (b0, b1), with a1 tombstoned. */
function publishedState(): CollectionState {
  const state = new CollectionState('c');
  state.model = { id: 'm', dim: 2 };
  state.shards = [shard('a', 3, [1]), shard('b', 2)];
  for (const [id, shardId, row] of [['a0', 'a', 0], ['a2', 'a', 2], ['b0', 'b', 0], ['b1', 'b', 1]] as const) state.locations.set(id, { shardId, row });
  return state;
}

function mergeOfAandB(state: CollectionState): CompactedShard {
  return {
    sources: state.shards.map((entry) => ({ ...entry })),
    entry: shard('m', 4),
    origins: [{ id: 'a0', shardId: 'a', row: 0 }, { id: 'a2', shardId: 'a', row: 2 }, { id: 'b0', shardId: 'b', row: 0 }, { id: 'b1', shardId: 'b', row: 1 }],
    bytesRead: 0,
    bytesWritten: 0,
  };
}

describe('CollectionState.adoptCompaction', () => {
  it('moves rows to the merged shard and tombstones those changed while it ran', () => {
    const state = publishedState();
    const merge = mergeOfAandB(state);
    state.delete('a2'); // while the merge ran
    state.upsert('b0', { vector: new Float32Array(2) });
    expect(state.adoptCompaction(merge)).toBe(true);
    expect(state.shards).toEqual([{ ...shard('m', 4), tombstones: [1, 2] }]);
    expect(state.locations.get('a0')).toEqual({ shardId: 'm', row: 0 });
    expect(state.locations.get('b1')).toEqual({ shardId: 'm', row: 3 });
    expect(state.locations.has('a2')).toBe(false);
    expect(state.pendingTombstones.size).toBe(0);
    expect(state.pendingRows.has('b0')).toBe(true);
    expect(state.layoutChanged).toBe(true);
  });

  it('drops a merge whose sources were replaced or show hidden rows again (rollback)', () => {
    const state = publishedState();
    const merge = mergeOfAandB(state);
    state.shards = [shard('a', 3), shard('b', 2)]; // a1 visible again
    state.locations.set('a1', { shardId: 'a', row: 1 });
    expect(state.adoptCompaction(merge)).toBe(false);
    state.shards = [shard('b', 2)];
    expect(state.adoptCompaction(merge)).toBe(false);
    expect(state.layoutChanged).toBe(false);
  });
});
