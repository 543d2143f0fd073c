import { allocateFlatIPShard, FLAT_IP_HEADER_BYTES, readFlatIPShardHeader, snapshotLayout, type ObjectStore, type ShardEntry } from '@audio-index/shared';
import { newShardId, writeShardFiles } from './shard-writer.ts';

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
 *
 * Rows are copied file to file in runs between tombstones, and id lines are kept as written:
 * a merge costs about one read and one write of the bytes (measured in bench/indexer).
 */
export async function compactShards(
  store: ObjectStore,
  collection: string,
  sources: readonly ShardEntry[],
  dim: number,
  versionHint: number,
): Promise<CompactedShard> {
  const rowBytes = dim * 4;
  const visibleRows = sources.reduce((sum, shard) => sum + shard.count - shard.tombstones.length, 0);
  const merged = allocateFlatIPShard(dim, visibleRows);
  const idLines: string[] = [];
  const origins: CompactedShard['origins'] = [];
  let bytesRead = 0;
  for (const source of sources) {
    const [indexFile, idsFile] = await Promise.all([
      store.get(snapshotLayout.shardIndex(collection, source.id)),
      store.get(snapshotLayout.shardIds(collection, source.id)),
    ]);
    if (!indexFile || !idsFile) throw new Error(`shard ${source.id} is missing from ${store.location}`);
    bytesRead += indexFile.length + idsFile.length;
    const header = readFlatIPShardHeader(indexFile);
    if (header.dim !== dim) throw new Error(`shard ${source.id} has d=${header.dim}, collection d=${dim}`);
    const lines = idsFile
      .toString('utf8')
      .split('\n')
      .filter((line) => line.length > 0);
    if (lines.length !== header.count) throw new Error(`shard ${source.id}: ${header.count} rows but ${lines.length} ids`);
    const hidden = new Set(source.tombstones);
    for (let row = 0; row < header.count;) {
      if (hidden.has(row)) {
        row += 1;
        continue;
      }
      let end = row;
      while (end < header.count && !hidden.has(end)) {
        origins.push({ id: (JSON.parse(lines[end]!) as { id: string }).id, shardId: source.id, row: end });
        idLines.push(lines[end]!);
        end += 1;
      }
      const target = FLAT_IP_HEADER_BYTES + (origins.length - (end - row)) * rowBytes;
      indexFile.copy(merged, target, FLAT_IP_HEADER_BYTES + row * rowBytes, FLAT_IP_HEADER_BYTES + end * rowBytes);
      row = end;
    }
  }
  const idsText = idLines.length ? `${idLines.join('\n')}\n` : '';
  const written = await writeShardFiles(store, collection, newShardId(versionHint), merged, idLines.length, idsText);
  return { sources: [...sources], entry: written.entry, origins, bytesRead, bytesWritten: written.bytesWritten };
}
