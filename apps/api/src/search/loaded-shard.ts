import fs from 'node:fs/promises';
import path from 'node:path';
import { decodeShardRows, snapshotLayout, type ObjectStore, type ShardEntry, type ShardRow } from '@audio-index/shared';
import { readShardIntoSharedMemory } from './shard-file-reader.ts';

/** Rows [start, end) of one recording in a shard. */
export interface RowRun {
  start: number;
  end: number;
}

/**
 * One shard's vectors (shared memory, handed to the search threads) and the rows they map
 * to. Immutable once loaded; the same object serves every snapshot version that lists it.
 */
export class LoadedShard {
  private runsOfId: Map<string, RowRun[]> | undefined;

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

  /**
   * The runs of rows of `id` in this shard, oldest first. A recording's segments are contiguous
   * and in time order (docs/segments.md); an id upserted twice in one change set can have a
   * second, newer run (the older one tombstoned). Built on first use: most shards are never asked.
   */
  runsOf(id: string): readonly RowRun[] {
    if (!this.runsOfId) {
      const runs = new Map<string, RowRun[]>();
      this.rows.forEach((row, index) => {
        const list = runs.get(row.id);
        const last = list?.[list.length - 1];
        if (last && last.end === index) last.end = index + 1;
        else if (list) list.push({ start: index, end: index + 1 });
        else runs.set(row.id, [{ start: index, end: index + 1 }]);
      });
      this.runsOfId = runs;
    }
    return this.runsOfId.get(id) ?? [];
  }
}
