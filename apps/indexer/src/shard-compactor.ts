import { decodeFlatIPShard, decodeShardRows, snapshotLayout, type ObjectStore, type ShardEntry, type ShardRow } from '@audio-index/shared';
import { newShardId, writeShard } from './snapshot-publisher.ts';

export interface CompactedShard {
  /** The shards merged, as they were when the merge was planned. */
  sources: ShardEntry[];
  entry: ShardEntry;
  /** For each row of the new shard: the id and the source row it came from. */
  origins: { id: string; shardId: string; row: number }[];
  bytesRead: number;
  bytesWritten: number;
}

/**
 * Writes one shard holding the visible rows of `sources`, tombstoned rows dropped. Runs
 * beside the leader loop (it only reads immutable objects and writes a new one); the loop
 * adopts the result with `CollectionState.adoptCompaction` and publishes it as usual.
 */
export async function compactShards(
  store: ObjectStore,
  collection: string,
  sources: readonly ShardEntry[],
  dim: number,
  versionHint: number,
): Promise<CompactedShard> {
  const visibleRows = sources.reduce((sum, shard) => sum + shard.count - shard.tombstones.length, 0);
  const vectors = new Float32Array(visibleRows * dim);
  const rows: ShardRow[] = [];
  const origins: CompactedShard['origins'] = [];
  let bytesRead = 0;
  for (const source of sources) {
    const [indexFile, idsFile] = await Promise.all([
      store.get(snapshotLayout.shardIndex(collection, source.id)),
      store.get(snapshotLayout.shardIds(collection, source.id)),
    ]);
    if (!indexFile || !idsFile) throw new Error(`shard ${source.id} is missing from ${store.location}`);
    bytesRead += indexFile.length + idsFile.length;
    const shard = decodeFlatIPShard(indexFile);
    if (shard.dim !== dim) throw new Error(`shard ${source.id} has d=${shard.dim}, collection d=${dim}`);
    const sourceRows = decodeShardRows(idsFile.toString('utf8'));
    const hidden = new Set(source.tombstones);
    for (let row = 0; row < shard.count; row += 1) {
      if (hidden.has(row)) continue;
      vectors.set(shard.vectors.subarray(row * dim, (row + 1) * dim), rows.length * dim);
      origins.push({ id: sourceRows[row]!.id, shardId: source.id, row });
      rows.push(sourceRows[row]!);
    }
  }
  const written = await writeShard(store, collection, newShardId(versionHint), vectors, dim, rows);
  return { sources: [...sources], entry: written.entry, origins, bytesRead, bytesWritten: written.bytesWritten };
}
