import { decodeShardRows, snapshotLayout, type ModelInfo, type ObjectStore, type RowSpan, type ShardEntry } from '@audio-index/shared';
import type { CompactedShard } from './shard-compactor.ts';

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

/** What a publish wrote for one generation, adopted as its published base once the version is committed. */
export interface PublishedLayout {
  /** The shard list after the publish. */
  shards: ShardEntry[];
  /** Where each pending recording's rows went in the publish's new shard. */
  newLocations: readonly [string, RowLocation][];
}

/** Where each visible recording of `shards` lives, read from their id lists. */
export async function readRowLocations(store: ObjectStore, collection: string, shards: readonly ShardEntry[]): Promise<Map<string, RowLocation>> {
  const locations = new Map<string, RowLocation>();
  for (const shard of shards) {
    const body = await store.get(snapshotLayout.shardIds(collection, shard.id));
    if (!body) throw new Error(`ids of shard ${shard.id} are missing from ${store.location}`);
    const hidden = new Set(shard.tombstones);
    decodeShardRows(body.toString('utf8')).forEach((row, index) => {
      if (hidden.has(index)) return;
      const run = locations.get(row.id);
      // A recording's rows are contiguous: the next row of its run, or the start of it.
      if (run && run.shardId === shard.id && run.row + run.rows === index) run.rows += 1;
      else locations.set(row.id, { shardId: shard.id, row: index, rows: 1 });
    });
  }
  return locations;
}

/**
 * The rows of one generation of a collection: its published shards and tombstones, where
 * each visible recording lives, and the changes applied since, not yet published. The served
 * generation is a `CollectionState`; a reindex builds the next one in a `GenerationBuild`.
 * Every change goes through a method here, so the invariants between the maps hold.
 */
export class GenerationRows {
  #model: ModelInfo | undefined;
  #shards: ShardEntry[] = [];
  /** Visible recordings of the shards in `shards`, by id. */
  readonly #locations = new Map<string, RowLocation>();
  /** Upserts since the last publish, by id: a later upsert of the same id replaces an earlier one. */
  readonly #pendingRows = new Map<string, PendingRow>();
  /** Rows of `shards` hidden since the last publish, by shard. */
  readonly #pendingTombstones = new Map<string, Set<number>>();
  /** `shards` itself changed since the last publish (rollback, compaction, an ended build). */
  #layoutChanged = false;

  constructor(
    readonly collection: string,
    model?: ModelInfo,
  ) {
    this.#model = model;
  }

  get model(): ModelInfo | undefined {
    return this.#model;
  }

  get shards(): readonly ShardEntry[] {
    return this.#shards;
  }

  get locations(): ReadonlyMap<string, RowLocation> {
    return this.#locations;
  }

  get pendingRows(): ReadonlyMap<string, PendingRow> {
    return this.#pendingRows;
  }

  get pendingTombstones(): ReadonlyMap<string, ReadonlySet<number>> {
    return this.#pendingTombstones;
  }

  get layoutChanged(): boolean {
    return this.#layoutChanged;
  }

  /** The first vector of an empty generation fixes its model. Returns whether it was unset. */
  setModelIfUnset(model: ModelInfo): boolean {
    if (this.#model) return false;
    this.#model = model;
    return true;
  }

  /**
   * Takes `shards` (and `model`) as the published base, with where each visible recording
   * lives (`readRowLocations`); whatever was pending is dropped.
   */
  adoptShards(shards: readonly ShardEntry[], locations: Iterable<[string, RowLocation]>, model: ModelInfo | undefined): void {
    const adopted = [...locations];
    this.#model = model;
    this.#shards = [...shards];
    this.#locations.clear();
    for (const [id, location] of adopted) this.#locations.set(id, { ...location });
    this.#pendingRows.clear();
    this.#pendingTombstones.clear();
  }

  /** After the commit: what the publish wrote becomes the published base. */
  adoptLayout(layout: PublishedLayout): void {
    this.#shards = layout.shards;
    for (const [id, location] of layout.newLocations) this.#locations.set(id, location);
    this.#pendingRows.clear();
    this.#pendingTombstones.clear();
    this.#layoutChanged = false;
  }

  /** Serves `other`'s published rows from now on (a reindex swapped its generation in). */
  adoptGeneration(other: GenerationRows): void {
    this.adoptShards(other.shards, other.locations, other.model);
    this.#layoutChanged = false;
  }

  markLayoutChanged(): void {
    this.#layoutChanged = true;
  }

  /**
   * Swaps the merged shard in for its sources. Rows changed while the merge ran (deleted,
   * or replaced by an upsert) no longer sit where the merge found them: they become
   * tombstones of the new shard. Returns false, changing nothing, when a source is gone or
   * shows rows again (a rollback replaced the shard list meanwhile).
   */
  adoptCompaction(compacted: CompactedShard): boolean {
    const sourceIds = new Set(compacted.sources.map((shard) => shard.id));
    const current = new Map(this.#shards.map((shard) => [shard.id, new Set(shard.tombstones)]));
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
      const location = this.#locations.get(origin.id);
      const stillThere = location && location.shardId === origin.shardId && origin.row >= location.row && origin.row < location.row + location.rows;
      if (!stillThere) tombstones.push(row);
      else if (origin.row === location.row) moved.set(origin.id, { shardId: merged, row, rows: location.rows });
    });
    for (const [id, location] of moved) this.#locations.set(id, location);
    const firstSource = this.#shards.findIndex((shard) => sourceIds.has(shard.id));
    const remaining = this.#shards.filter((shard) => !sourceIds.has(shard.id));
    remaining.splice(firstSource, 0, { ...compacted.entry, tombstones });
    this.#shards = remaining;
    for (const id of sourceIds) this.#pendingTombstones.delete(id);
    this.#layoutChanged = true;
    return true;
  }

  get hasPendingChanges(): boolean {
    return this.#layoutChanged || this.#pendingRows.size > 0 || this.#pendingTombstones.size > 0;
  }

  /** Recordings changed plus rows hidden since the last publish: what the publish cadence weighs. */
  get pendingChangeCount(): number {
    let count = this.#pendingRows.size;
    for (const rows of this.#pendingTombstones.values()) count += rows.size;
    return count;
  }

  /** Whether `id` is visible in this generation once the pending changes are published. */
  holds(id: string): boolean {
    return this.#pendingRows.has(id) || this.#locations.has(id);
  }

  upsert(id: string, row: PendingRow): void {
    this.hidePublished(id);
    this.#pendingRows.delete(id); // re-insert so the row order follows the stream order
    this.#pendingRows.set(id, row);
  }

  delete(id: string): void {
    this.hidePublished(id);
    this.#pendingRows.delete(id);
  }

  private hidePublished(id: string): void {
    const location = this.#locations.get(id);
    if (!location) return;
    this.#locations.delete(id);
    let rows = this.#pendingTombstones.get(location.shardId);
    if (!rows) this.#pendingTombstones.set(location.shardId, (rows = new Set()));
    for (let row = location.row; row < location.row + location.rows; row += 1) rows.add(row);
  }

  /** Visible recordings once the pending changes are published. */
  get visibleCount(): number {
    return this.#locations.size + this.#pendingRows.size;
  }
}
