import type { Manifest, ShardRow } from '@audio-index/shared';
import type { LoadedShard } from './loaded-shard.ts';
import type { SearchThreadPool } from './search-thread-pool.ts';
import type { ShardPart } from './search-thread-protocol.ts';

export interface SearchHit {
  id: string;
  url: string | undefined;
  score: number;
  metadata: Record<string, unknown> | undefined;
}

interface ServedShard {
  shard: LoadedShard;
  tombstones: ReadonlySet<number>;
  /** Bit r set = row r hidden; shared with the search threads. */
  excluded: Uint8Array | null;
}

/**
 * One published version, fully loaded. A query runs against exactly one of these (its
 * view in the search threads), so it never sees half of a reload.
 */
export class LoadedSnapshot {
  readonly viewKey: string;
  private readonly served: ServedShard[];
  private readonly totalRows: number;

  constructor(
    readonly manifest: Manifest,
    shardsById: ReadonlyMap<string, LoadedShard>,
    private readonly pool: SearchThreadPool,
    readonly loadedAt = new Date(),
  ) {
    this.viewKey = `${manifest.collection}@${manifest.version}`;
    this.served = manifest.shards.map((entry) => {
      const shard = shardsById.get(entry.id);
      if (!shard) throw new Error(`shard ${entry.id} not loaded`);
      return { shard, tombstones: new Set(entry.tombstones), excluded: tombstoneBitmap(entry.tombstones, shard.size) };
    });
    this.totalRows = this.served.reduce((sum, { shard }) => sum + shard.size, 0);
  }

  get version(): number {
    return this.manifest.version;
  }

  get count(): number {
    return this.manifest.count;
  }

  get dim(): number {
    return this.manifest.model.dim;
  }

  get shards(): LoadedShard[] {
    return this.served.map((entry) => entry.shard);
  }

  /** The parts the search threads need for this version's view. */
  viewParts(): ShardPart[] {
    return this.served.map(({ shard, excluded }) => ({ shardKey: shard.key, excluded }));
  }

  /** Exact top-k by inner product of each query (row-major), over every visible row. */
  async searchMany(queries: Float32Array, k: number): Promise<SearchHit[][]> {
    const queryCount = queries.length / this.dim;
    const lists = await this.pool.search(this.viewKey, this.totalRows, this.dim, queries, k);
    return Array.from({ length: queryCount }, (_, query) => {
      const hits: SearchHit[] = [];
      for (let slot = query * k; slot < (query + 1) * k && lists.parts[slot]! >= 0; slot += 1) {
        const row = this.served[lists.parts[slot]!]!.shard.rows[lists.rows[slot]!]!;
        hits.push({ id: row.id, url: row.url, score: lists.scores[slot]!, metadata: row.metadata });
      }
      return hits;
    });
  }

  async search(query: Float32Array, k: number): Promise<SearchHit[]> {
    return (await this.searchMany(query, k))[0]!;
  }

  /** The id list entry (url, metadata) of a visible item. */
  findRow(id: string): ShardRow | undefined {
    for (let index = this.served.length - 1; index >= 0; index -= 1) {
      const { shard, tombstones } = this.served[index]!;
      const row = shard.rowOf(id);
      if (row !== undefined && !tombstones.has(row)) return shard.rows[row];
    }
    return undefined;
  }

  /** The stored vector of a visible item; later shards hold newer rows, so search backwards. */
  findVector(id: string): Float32Array | undefined {
    for (let index = this.served.length - 1; index >= 0; index -= 1) {
      const { shard, tombstones } = this.served[index]!;
      const row = shard.rowOf(id);
      if (row !== undefined && !tombstones.has(row)) return shard.vectorAt(row);
    }
    return undefined;
  }
}

function tombstoneBitmap(tombstones: readonly number[], rows: number): Uint8Array | null {
  if (tombstones.length === 0) return null;
  const bitmap = new Uint8Array(new SharedArrayBuffer(Math.ceil(rows / 8)));
  for (const row of tombstones) bitmap[row >> 3]! |= 1 << (row & 7);
  return bitmap;
}
