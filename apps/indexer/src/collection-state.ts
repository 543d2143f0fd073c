import type { CompactedShard } from './shard-compactor.ts';
import { GenerationBuild } from './generation-build.ts';
import {
  decodeShardRows,
  readManifest,
  snapshotLayout,
  type Manifest,
  type ModelInfo,
  type ObjectStore,
  type RowSpan,
  type Segmentation,
  type ShardEntry,
} from '@audio-index/shared';

/** Where a recording's rows live: `rows` contiguous rows of one shard from `row` (docs/segments.md). */
export interface RowLocation {
  shardId: string;
  row: number;
  rows: number;
}

/** A recording waiting for the next publish: its rows, in time order. */
export interface PendingRow {
  /** `segments.length` (or, without segments, one) row-major vectors. */
  vectors: Float32Array;
  segments?: readonly RowSpan[] | undefined;
  url?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
}

/** Rows of a pending recording. */
export const pendingRowCount = (row: PendingRow, dim: number) => row.vectors.length / dim;

/**
 * What the leader knows about a collection: the published snapshot (shards, tombstones,
 * where each visible id lives) plus the changes applied since, not yet published.
 */
export class CollectionState {
  version = 0;
  generation = 1;
  streamOffset = '0-0';
  model: ModelInfo | undefined;
  /** How recordings are cut into rows; from the manifest, else the first upsert that says. */
  segmentation: Segmentation | undefined;
  /** What workers load `model` by, when a reindex chose it. */
  modelRef: string | undefined;
  /** The model of the generation a reindex replaced (manifest `previousModel`). */
  previousModel: ModelInfo | undefined;
  /** Items whose vector came from `previousModel`, to embed again before the next commit. */
  requeue: { id: string; url: string; metadata?: Record<string, unknown> | undefined; batchId: string; after: string }[] = [];
  /** A reindex in progress: the next generation (generation-build.ts). */
  build: GenerationBuild | undefined;
  shards: ShardEntry[] = [];
  /** Visible recordings of the shards in `shards`, by id. */
  readonly locations = new Map<string, RowLocation>();

  /** Upserts since the last publish, by id: a later upsert of the same id replaces an earlier one. */
  readonly pendingRows = new Map<string, PendingRow>();
  /** Rows of `shards` hidden since the last publish, by shard. */
  readonly pendingTombstones = new Map<string, Set<number>>();
  /** `shards` itself changed since the last publish (rollback, compaction). */
  layoutChanged = false;

  constructor(readonly collection: string) {}

  /** The state of `version`, or an empty collection when `version` is undefined. */
  static async load(store: ObjectStore, collection: string, version: number | undefined): Promise<CollectionState> {
    const state = new CollectionState(collection);
    if (version !== undefined) {
      const manifest = await readManifest(store, collection, version);
      state.version = manifest.version;
      state.generation = manifest.generation;
      state.streamOffset = manifest.streamOffset;
      state.segmentation = manifest.segmentation;
      await state.adoptShards(store, manifest);
      if (manifest.next) state.build = await GenerationBuild.load(store, collection, manifest.next);
    }
    return state;
  }

  /**
   * Rollback: from now on the collection holds exactly what `manifest` held. The version and
   * stream offset stay ours: the next publish is a new version and nothing is replayed.
   */
  async activate(store: ObjectStore, manifest: Manifest): Promise<void> {
    this.pendingRows.clear();
    this.pendingTombstones.clear();
    this.locations.clear();
    this.generation = manifest.generation;
    await this.adoptShards(store, manifest);
    this.layoutChanged = true;
  }

  private async adoptShards(store: ObjectStore, manifest: Manifest): Promise<void> {
    if (this.model && this.model.id !== manifest.model.id) this.previousModel = this.model; // a rollback across a reindex
    else if (!this.model) this.previousModel = manifest.previousModel;
    this.modelRef = manifest.modelRef;
    await this.adoptShardList(store, manifest.shards, manifest.model);
  }

  /** Takes `shards` (and `model`) as the published base, reading where each visible id lives. */
  async adoptShardList(store: ObjectStore, shards: ShardEntry[], model: ModelInfo | undefined): Promise<void> {
    this.model = model;
    this.shards = shards;
    for (const shard of shards) {
      const body = await store.get(snapshotLayout.shardIds(this.collection, shard.id));
      if (!body) throw new Error(`ids of shard ${shard.id} are missing from ${store.location}`);
      const hidden = new Set(shard.tombstones);
      decodeShardRows(body.toString('utf8')).forEach((row, index) => {
        if (hidden.has(index)) return;
        const run = this.locations.get(row.id);
        // A recording's rows are contiguous: the next row of its run, or the start of it.
        if (run && run.shardId === shard.id && run.row + run.rows === index) run.rows += 1;
        else this.locations.set(row.id, { shardId: shard.id, row: index, rows: 1 });
      });
    }
  }

  /**
   * Swaps the merged shard in for its sources. Rows changed while the merge ran (deleted,
   * or replaced by an upsert) no longer sit where the merge found them: they become
   * tombstones of the new shard. Returns false, changing nothing, when a source is gone or
   * shows rows again (a rollback replaced the shard list meanwhile).
   */
  adoptCompaction(compacted: CompactedShard): boolean {
    const sourceIds = new Set(compacted.sources.map((shard) => shard.id));
    const current = new Map(this.shards.map((shard) => [shard.id, new Set(shard.tombstones)]));
    // Tombstones only grow, except across a rollback: a row hidden when the merge was planned
    // but visible again now is missing from the merged shard, so the merge is dropped.
    const stillValid = compacted.sources.every((source) => {
      const tombstones = current.get(source.id);
      return tombstones !== undefined && source.tombstones.every((row) => tombstones.has(row));
    });
    if (!stillValid) return false;
    const merged = compacted.entry.id;
    const tombstones: number[] = [];
    // Judge every row against the locations as they were, then move the recordings that stayed.
    const moved = new Map<string, RowLocation>();
    compacted.origins.forEach((origin, row) => {
      const location = this.locations.get(origin.id);
      const stillThere = location && location.shardId === origin.shardId && origin.row >= location.row && origin.row < location.row + location.rows;
      if (!stillThere) tombstones.push(row);
      else if (origin.row === location.row) moved.set(origin.id, { shardId: merged, row, rows: location.rows });
    });
    for (const [id, location] of moved) this.locations.set(id, location);
    const firstSource = this.shards.findIndex((shard) => sourceIds.has(shard.id));
    const remaining = this.shards.filter((shard) => !sourceIds.has(shard.id));
    remaining.splice(firstSource, 0, { ...compacted.entry, tombstones });
    this.shards = remaining;
    for (const id of sourceIds) this.pendingTombstones.delete(id);
    this.layoutChanged = true;
    return true;
  }

  get hasPendingChanges(): boolean {
    return (
      this.layoutChanged || this.pendingRows.size > 0 || this.pendingTombstones.size > 0 || this.requeue.length > 0 || (this.build?.hasPendingChanges ?? false)
    );
  }

  /** Recordings changed plus rows hidden since the last publish: what the publish cadence weighs. */
  get pendingChangeCount(): number {
    let count = this.pendingRows.size;
    for (const rows of this.pendingTombstones.values()) count += rows.size;
    return count + (this.build?.rows.pendingChangeCount ?? 0);
  }

  /** Whether `id` is visible in this generation once the pending changes are published. */
  holds(id: string): boolean {
    return this.pendingRows.has(id) || this.locations.has(id);
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
    for (let row = location.row; row < location.row + location.rows; row += 1) rows.add(row);
  }

  /** Visible recordings once the pending changes are published. */
  get visibleCount(): number {
    return this.locations.size + this.pendingRows.size;
  }
}
