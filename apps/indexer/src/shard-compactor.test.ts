import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeFlatIPShard, decodeShardRows, LocalDirectoryStore, snapshotLayout } from '@audio-index/shared';
import { compactShards } from './shard-compactor.ts';
import { writeShard } from './shard-writer.ts';

describe('compactShards', () => {
  let directory: string;
  afterAll(() => fs.rm(directory, { recursive: true, force: true }));

  it('copies the visible rows of each source in order, with their ids and origins', async () => {
    directory = await fs.mkdtemp(path.join(os.tmpdir(), 'compact-'));
    const store = new LocalDirectoryStore(directory);
    const dim = 3;
    const rowsOf = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => ({ id: `${prefix}${index}`, url: `u/${prefix}${index}` }));
    const vectorsOf = (base: number, count: number) => Float32Array.from({ length: count * dim }, (_, index) => base + index);
    const a = (await writeShard(store, 'c', 'a', vectorsOf(0, 5), dim, rowsOf('a', 5))).entry;
    const b = (await writeShard(store, 'c', 'b', vectorsOf(100, 4), dim, rowsOf('b', 4))).entry;

    const compacted = await compactShards(
      store,
      'c',
      [
        { ...a, tombstones: [0, 2, 3] },
        { ...b, tombstones: [3] },
      ],
      dim,
      9,
    );
    expect(compacted.origins).toEqual([
      { id: 'a1', shardId: 'a', row: 1 },
      { id: 'a4', shardId: 'a', row: 4 },
      { id: 'b0', shardId: 'b', row: 0 },
      { id: 'b1', shardId: 'b', row: 1 },
      { id: 'b2', shardId: 'b', row: 2 },
    ]);
    const shard = decodeFlatIPShard((await store.get(snapshotLayout.shardIndex('c', compacted.entry.id)))!);
    expect(shard.count).toBe(5);
    expect(Array.from(shard.vectors)).toEqual([3, 4, 5, 12, 13, 14, 100, 101, 102, 103, 104, 105, 106, 107, 108]);
    const ids = decodeShardRows((await store.get(snapshotLayout.shardIds('c', compacted.entry.id)))!.toString('utf8'));
    expect(ids).toEqual([
      { id: 'a1', url: 'u/a1' },
      { id: 'a4', url: 'u/a4' },
      { id: 'b0', url: 'u/b0' },
      { id: 'b1', url: 'u/b1' },
      { id: 'b2', url: 'u/b2' },
    ]);
    expect(compacted.entry).toMatchObject({ count: 5, tombstones: [] });
  });
});
