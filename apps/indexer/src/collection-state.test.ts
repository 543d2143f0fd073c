import { describe, expect, it } from 'vitest';
import type { ShardEntry } from '@audio-index/shared';
import { CollectionState, type RowLocation } from './collection-state.ts';
import type { CompactedShard } from './shard-compactor.ts';

function shard(id: string, count: number, tombstones: number[] = []): ShardEntry {
  return { id, count, bytes: count * 8, sha256: '0'.repeat(64), tombstones };
}

/** Two published shards a (a0..a2) and b (b0, b1), with a1 tombstoned. */
function publishedState(): CollectionState {
  const state = new CollectionState('c');
  const locations = (
    [
      ['a0', 'a', 0],
      ['a2', 'a', 2],
      ['b0', 'b', 0],
      ['b1', 'b', 1],
    ] as const
  ).map(([id, shardId, row]): [string, RowLocation] => [id, { shardId, row, rows: 1 }]);
  state.adoptShards([shard('a', 3, [1]), shard('b', 2)], locations, { id: 'm', dim: 2 });
  return state;
}

function mergeOfAandB(state: CollectionState): CompactedShard {
  return {
    sources: state.shards.map((entry) => ({ ...entry })),
    entry: shard('m', 4),
    origins: [
      { id: 'a0', shardId: 'a', row: 0 },
      { id: 'a2', shardId: 'a', row: 2 },
      { id: 'b0', shardId: 'b', row: 0 },
      { id: 'b1', shardId: 'b', row: 1 },
    ],
    bytesRead: 0,
    bytesWritten: 0,
  };
}

describe('CollectionState.adoptCompaction', () => {
  it('moves rows to the merged shard and tombstones those changed while it ran', () => {
    const state = publishedState();
    const merge = mergeOfAandB(state);
    state.delete('a2'); // while the merge ran
    state.upsert('b0', { vectors: new Float32Array(2) });
    expect(state.adoptCompaction(merge)).toBe(true);
    expect(state.shards).toEqual([{ ...shard('m', 4), tombstones: [1, 2] }]);
    expect(state.locations.get('a0')).toEqual({ shardId: 'm', row: 0, rows: 1 });
    expect(state.locations.get('b1')).toEqual({ shardId: 'm', row: 3, rows: 1 });
    expect(state.locations.has('a2')).toBe(false);
    expect(state.pendingTombstones.size).toBe(0);
    expect(state.pendingRows.has('b0')).toBe(true);
    expect(state.layoutChanged).toBe(true);
  });

  it('drops a merge whose sources were replaced or show hidden rows again (rollback)', () => {
    const state = publishedState();
    const merge = mergeOfAandB(state);
    // a1 visible again
    state.adoptShards([shard('a', 3), shard('b', 2)], [...state.locations, ['a1', { shardId: 'a', row: 1, rows: 1 }]], state.model);
    expect(state.adoptCompaction(merge)).toBe(false);
    state.adoptShards([shard('b', 2)], state.locations, state.model);
    expect(state.adoptCompaction(merge)).toBe(false);
    expect(state.layoutChanged).toBe(false);
  });
});

describe('CollectionState with recordings of several rows', () => {
  it('hides every row of a replaced or deleted recording, and moves whole runs on a merge', () => {
    const state = new CollectionState('c');
    // shard s: long (rows 0-3), short (row 4), other (rows 5-6)
    const locations: [string, RowLocation][] = [
      ['long', { shardId: 's', row: 0, rows: 4 }],
      ['short', { shardId: 's', row: 4, rows: 1 }],
      ['other', { shardId: 's', row: 5, rows: 2 }],
    ];
    state.adoptShards([shard('s', 7)], locations, { id: 'm', dim: 2 });
    const merge: CompactedShard = {
      sources: [{ ...state.shards[0]! }],
      entry: shard('m', 7),
      origins: [0, 1, 2, 3, 4, 5, 6].map((row) => ({ id: row < 4 ? 'long' : row === 4 ? 'short' : 'other', shardId: 's', row })),
      bytesRead: 0,
      bytesWritten: 0,
    };
    state.upsert('other', {
      vectors: new Float32Array(6),
      segments: [
        { start: 0, end: 5 },
        { start: 2.5, end: 7.5 },
        { start: 5, end: 10 },
      ],
    });
    expect([...state.pendingTombstones.get('s')!].sort()).toEqual([5, 6]);
    expect(state.adoptCompaction(merge)).toBe(true);
    expect(state.locations.get('long')).toEqual({ shardId: 'm', row: 0, rows: 4 });
    expect(state.locations.get('short')).toEqual({ shardId: 'm', row: 4, rows: 1 });
    expect(state.shards[0]!.tombstones).toEqual([5, 6]);
    state.delete('long');
    expect([...state.pendingTombstones.get('m')!].sort()).toEqual([0, 1, 2, 3]);
    expect(state.visibleCount).toBe(2);
  });
});
