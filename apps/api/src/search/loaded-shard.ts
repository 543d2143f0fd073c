import fs from 'node:fs/promises';
import path from 'node:path';
import { decodeShardRows, snapshotLayout, type ObjectStore, type ShardEntry, type ShardRow } from '@audio-index/shared';
import { readShardIntoSharedMemory } from './shard-file-reader.ts';

/**
 * One shard's vectors (shared memory, handed to the search threads) and the rows they map
 * to. Immutable once loaded; the same object serves every snapshot version that lists it.
 */
export class LoadedShard {
  private rowOfId: Map<string, number> | undefined;

  private constructor(
    readonly key: string,
    readonly id: string,
    readonly dim: number,
    readonly vectors: Float32Array,
    readonly rows: readonly ShardRow[],
  ) {}

  /** Downloads the shard to the staging directory, reads it into memory verified, removes the file. */
  static async load(store: ObjectStore, collection: string, entry: ShardEntry, stagingDirectory: string): Promise<LoadedShard> {
    const filePath = path.join(stagingDirectory, collection, `${entry.id}.faiss`);
    try {
      await store.download(snapshotLayout.shardIndex(collection, entry.id), filePath);
      const { dim, count, vectors } = await readShardIntoSharedMemory(filePath, entry.sha256).catch((error: unknown) => {
        throw new Error(`shard ${entry.id} of ${collection}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      });
      const idsBody = await store.get(snapshotLayout.shardIds(collection, entry.id));
      if (!idsBody) throw new Error(`ids of shard ${entry.id} are missing`);
      const rows = decodeShardRows(idsBody.toString('utf8'));
      if (rows.length !== count) throw new Error(`shard ${entry.id}: ${rows.length} ids for ${count} vectors`);
      return new LoadedShard(`${collection}/${entry.id}`, entry.id, dim, vectors, rows);
    } finally {
      await fs.rm(filePath, { force: true });
    }
  }

  get size(): number {
    return this.rows.length;
  }

  /** Row of `id` in this shard (built on first use: most shards are never asked). */
  rowOf(id: string): number | undefined {
    this.rowOfId ??= new Map(this.rows.map((row, index) => [row.id, index]));
    return this.rowOfId.get(id);
  }

  vectorAt(row: number): Float32Array {
    return this.vectors.slice(row * this.dim, (row + 1) * this.dim);
  }
}
