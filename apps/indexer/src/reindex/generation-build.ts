import {
  decodeShardRows,
  snapshotLayout,
  type ModelInfo,
  type NextGeneration,
  type ObjectStore,
  type ReindexMode,
  type ShardEntry,
} from '@audio-index/shared';
import { CollectionState } from './collection-state.ts';
import type { ReindexItem } from './reindex/reindex-jobs.ts';

/**
 * A generation being built by a reindex (README, "Reindex"): the re-embedded rows, in
 * shards of their own that only the manifest's `next` names, so searches keep using the
 * served generation until this one is complete and a publish swaps it in.
 */
export class GenerationBuild {
  /** The new generation's shards, tombstones and pending rows (its `model` is the target model). */
  readonly rows: CollectionState;
  /**
   * Items upserted in the served generation during the build, with that upsert's URL ('' for
   * none): a re-embedded vector stands for such an item only if it was made from that URL.
   */
  readonly changedUrls = new Map<string, string>();
  /** Re-embed jobs to enqueue before the next commit (the commit acks what asked for them). */
  jobs: ReindexItem[] = [];
  /** The `next` section is new or changed and must go out with the next publish. */
  dirty = false;
  /** Every job has an outcome: the next publish ends the build ('swap' it in, or 'drop' an empty one). */
  outcome: 'swap' | 'drop' | undefined;

  constructor(
    readonly collection: string,
    readonly reindexId: string,
    readonly generation: number,
    readonly mode: ReindexMode,
    readonly modelRef: string | undefined,
    model: ModelInfo | undefined,
  ) {
    this.rows = new CollectionState(collection);
    this.rows.model = model;
  }

  static async load(store: ObjectStore, collection: string, next: NextGeneration): Promise<GenerationBuild> {
    const build = new GenerationBuild(collection, next.reindexId, next.generation, next.mode, next.modelRef, next.model);
    await build.rows.adoptShardList(store, next.shards, next.model);
    for (const [id, url] of Object.entries(next.changedUrls)) build.changedUrls.set(id, url);
    return build;
  }

  toManifest(shards: ShardEntry[]): NextGeneration {
    return {
      reindexId: this.reindexId,
      generation: this.generation,
      mode: this.mode,
      ...(this.modelRef ? { modelRef: this.modelRef } : {}),
      ...(this.rows.model ? { model: this.rows.model } : {}),
      shards,
      changedUrls: Object.fromEntries(this.changedUrls),
    };
  }

  get hasPendingChanges(): boolean {
    return this.dirty || this.outcome !== undefined || this.jobs.length > 0 || this.rows.hasPendingChanges;
  }
}

/** Items of the served generation (published rows and pending ones), with their URL and metadata. */
export async function servedItems(store: ObjectStore, state: CollectionState): Promise<{ id: string; url?: string | undefined; metadata?: Record<string, unknown> | undefined }[]> {
  const items: { id: string; url?: string | undefined; metadata?: Record<string, unknown> | undefined }[] = [];
  for (const shard of state.shards) {
    const body = await store.get(snapshotLayout.shardIds(state.collection, shard.id));
    if (!body) throw new Error(`ids of shard ${shard.id} are missing from ${store.location}`);
    decodeShardRows(body.toString('utf8')).forEach((row, index) => {
      const location = state.locations.get(row.id);
      if (location?.shardId === shard.id && location.row === index) items.push(row);
    });
  }
  for (const [id, row] of state.pendingRows) items.push({ id, url: row.url, metadata: row.metadata });
  return items;
}
