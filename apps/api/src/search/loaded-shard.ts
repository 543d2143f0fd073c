import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import faissNode from 'faiss-node';
import { decodeShardRows, snapshotLayout, type ObjectStore, type ShardEntry, type ShardRow } from '@audio-index/shared';

const { IndexFlatIP } = faissNode;
type FlatIndex = InstanceType<typeof IndexFlatIP>;

export interface ShardHit {
  score: number;
  row: ShardRow;
}

/** One shard file loaded into Faiss, with the rows it maps to. Immutable once loaded. */
export class LoadedShard {
  private constructor(
    readonly id: string,
    private readonly index: FlatIndex,
    readonly rows: readonly ShardRow[],
  ) {}

  /**
   * Downloads the shard, verifies its sha256 against the manifest (a torn or corrupted copy
   * must never serve), then lets Faiss read it from disk.
   */
  static async load(store: ObjectStore, collection: string, entry: ShardEntry, cacheDirectory: string): Promise<LoadedShard> {
    const filePath = path.join(cacheDirectory, collection, `${entry.id}.faiss`);
    await store.download(snapshotLayout.shardIndex(collection, entry.id), filePath);
    const digest = createHash('sha256');
    await pipeline(createReadStream(filePath), digest);
    const actual = digest.digest('hex');
    if (actual !== entry.sha256) {
      await fs.rm(filePath, { force: true });
      throw new Error(`shard ${entry.id} has sha256 ${actual}, manifest says ${entry.sha256}`);
    }
    const index = IndexFlatIP.read(filePath);
    await fs.rm(filePath, { force: true }); // Faiss holds the vectors in memory now
    const idsBody = await store.get(snapshotLayout.shardIds(collection, entry.id));
    if (!idsBody) throw new Error(`ids of shard ${entry.id} are missing`);
    const rows = decodeShardRows(idsBody.toString('utf8'));
    if (rows.length !== index.ntotal()) throw new Error(`shard ${entry.id}: ${rows.length} ids for ${index.ntotal()} vectors`);
    return new LoadedShard(entry.id, index, rows);
  }

  get size(): number {
    return this.rows.length;
  }

  /** Top `k` visible rows; asks Faiss for extra rows to make up for tombstoned ones. */
  search(query: readonly number[], k: number, tombstones: ReadonlySet<number>): ShardHit[] {
    const wanted = Math.min(this.rows.length, k + tombstones.size);
    if (wanted === 0) return [];
    const { distances, labels } = this.index.search(query as number[], wanted);
    const hits: ShardHit[] = [];
    for (let index = 0; index < labels.length && hits.length < k; index += 1) {
      const label = labels[index]!;
      if (label < 0 || tombstones.has(label)) continue;
      hits.push({ score: distances[index]!, row: this.rows[label]! });
    }
    return hits;
  }
}
