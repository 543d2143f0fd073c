import type { Manifest } from '@audio-index/shared';
import type { LoadedShard } from './loaded-shard.ts';

export interface SearchHit {
  id: string;
  url: string | undefined;
  score: number;
  metadata: Record<string, unknown> | undefined;
}

interface ServedShard {
  shard: LoadedShard;
  tombstones: ReadonlySet<number>;
}

/**
 * One published version, fully loaded. A query runs against exactly one of these, so it
 * never sees half of a reload.
 */
export class LoadedSnapshot {
  private readonly served: ServedShard[];

  constructor(
    readonly manifest: Manifest,
    shardsById: ReadonlyMap<string, LoadedShard>,
  ) {
    this.served = manifest.shards.map((entry) => {
      const shard = shardsById.get(entry.id);
      if (!shard) throw new Error(`shard ${entry.id} not loaded`);
      return { shard, tombstones: new Set(entry.tombstones) };
    });
  }

  get version(): number {
    return this.manifest.version;
  }

  get count(): number {
    return this.manifest.count;
  }

  get shards(): LoadedShard[] {
    return this.served.map((entry) => entry.shard);
  }

  /** Exact top-k by inner product over every shard, merged; ties keep shard order. */
  search(query: Float32Array, k: number): SearchHit[] {
    const plain = Array.from(query); // faiss-node accepts only plain arrays
    const hits = this.served.flatMap(({ shard, tombstones }) => shard.search(plain, k, tombstones));
    hits.sort((a, b) => b.score - a.score);
    return hits.slice(0, k).map(({ score, row }) => ({ id: row.id, url: row.url, score, metadata: row.metadata }));
  }
}
