import {
  decodeShardRows,
  readLatestManifest,
  snapshotLayout,
  type Manifest,
  type ModelInfo,
  type ObjectStore,
  type ShardEntry,
} from '@audio-index/shared';

export interface RowLocation {
  shardId: string;
  row: number;
}

export interface PendingRow {
  vector: Float32Array;
  url?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
}

/**
 * What the leader knows about a collection: the published snapshot (shards, tombstones,
 * where each visible id lives) plus the changes applied since, not yet published.
 */
export class CollectionState {
  version = 0;
  generation = 1;
  streamOffset = '0-0';
  model: ModelInfo | undefined;
  shards: ShardEntry[] = [];
  /** Visible rows of published shards. */
  readonly locations = new Map<string, RowLocation>();

  /** Upserts since the last publish, by id: a later upsert of the same id replaces an earlier one. */
  readonly pendingRows = new Map<string, PendingRow>();
  /** Published rows hidden since the last publish, by shard. */
  readonly pendingTombstones = new Map<string, Set<number>>();

  constructor(readonly collection: string) {}

  static async load(store: ObjectStore, collection: string): Promise<CollectionState> {
    const state = new CollectionState(collection);
    const manifest = await readLatestManifest(store, collection);
    if (manifest) await state.adopt(store, manifest);
    return state;
  }

  private async adopt(store: ObjectStore, manifest: Manifest): Promise<void> {
    this.version = manifest.version;
    this.generation = manifest.generation;
    this.streamOffset = manifest.streamOffset;
    this.model = manifest.model;
    this.shards = manifest.shards;
    for (const shard of manifest.shards) {
      const body = await store.get(snapshotLayout.shardIds(this.collection, shard.id));
      if (!body) throw new Error(`ids of shard ${shard.id} are missing from ${store.location}`);
      const hidden = new Set(shard.tombstones);
      decodeShardRows(body.toString('utf8')).forEach((row, index) => {
        if (!hidden.has(index)) this.locations.set(row.id, { shardId: shard.id, row: index });
      });
    }
  }

  get hasPendingChanges(): boolean {
    return this.pendingRows.size > 0 || this.pendingTombstones.size > 0;
  }

  get pendingChangeCount(): number {
    let count = this.pendingRows.size;
    for (const rows of this.pendingTombstones.values()) count += rows.size;
    return count;
  }

  upsert(id: string, row: PendingRow): void {
    this.hidePublished(id);
    this.pendingRows.delete(id); // re-insert so the row order follows the stream order
    this.pendingRows.set(id, row);
  }

  delete(id: string): void {
    this.hidePublished(id);
    this.pendingRows.delete(id);
  }

  private hidePublished(id: string): void {
    const location = this.locations.get(id);
    if (!location) return;
    this.locations.delete(id);
    let rows = this.pendingTombstones.get(location.shardId);
    if (!rows) this.pendingTombstones.set(location.shardId, (rows = new Set()));
    rows.add(location.row);
  }

  /** Visible vectors once the pending changes are published. */
  get visibleCount(): number {
    return this.locations.size + this.pendingRows.size;
  }
}
