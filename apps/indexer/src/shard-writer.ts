import { randomBytes } from 'node:crypto';
import {
  encodeFlatIPShard,
  encodeShardRows,
  padVersion,
  sha256Hex,
  snapshotLayout,
  type ObjectStore,
  type ShardEntry,
  type ShardRow,
} from '@audio-index/shared';

/**
 * The one place shard objects are written (paths: `snapshotLayout`), for publishes
 * (snapshot-publisher.ts) and merges (shard-compactor.ts) alike: a shard is its `.faiss`
 * file and its `.ids.jsonl` id list, written under an id no other write uses.
 */

export interface WrittenShard {
  entry: ShardEntry;
  bytesWritten: number;
}

/** A shard id unique to one write: a stale leader racing on the same objects can never overwrite ours. */
export function newShardId(version: number): string {
  return `${padVersion(version)}-${randomBytes(6).toString('hex')}`;
}

/** Writes the `.faiss` and `.ids.jsonl` pair of a shard; returns its manifest entry. */
export async function writeShard(
  store: ObjectStore,
  collection: string,
  shardId: string,
  vectors: Float32Array,
  dim: number,
  rows: readonly ShardRow[],
): Promise<WrittenShard> {
  return writeShardFiles(store, collection, shardId, encodeFlatIPShard(vectors, dim), rows.length, encodeShardRows(rows));
}

/** As `writeShard`, for a shard file and id list already encoded (merges copy rows file to file). */
export async function writeShardFiles(
  store: ObjectStore,
  collection: string,
  shardId: string,
  shardFile: Buffer,
  rowCount: number,
  idsText: string,
): Promise<WrittenShard> {
  const idsFile = Buffer.from(idsText, 'utf8');
  await store.put(snapshotLayout.shardIndex(collection, shardId), shardFile);
  await store.put(snapshotLayout.shardIds(collection, shardId), idsFile);
  const entry = { id: shardId, count: rowCount, bytes: shardFile.length, sha256: sha256Hex(shardFile), tombstones: [] };
  return { entry, bytesWritten: shardFile.length + idsFile.length };
}
