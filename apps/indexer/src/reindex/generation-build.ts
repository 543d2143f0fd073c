import type { ModelInfo, NextGeneration, ObjectStore, ReindexMode, ShardEntry } from '@audio-index/shared';
import { GenerationRows, readRowLocations, type PendingRow } from '../generation-rows.ts';
import type { ReindexItem } from './reindex-jobs.ts';

export type BuildOutcome = 'swap' | 'drop';

/**
 * A generation being built by a reindex (README, "Reindex"): the re-embedded rows, in
 * shards of their own that only the manifest's `next` names, so searches keep using the
 * served generation until this one is complete and a publish swaps it in.
 */
export class GenerationBuild {
  /** The new generation's shards, tombstones and pending rows (its `model` is the target model). */
  readonly rows: GenerationRows;
  /**
   * Items upserted in the served generation during the build, with that upsert's URL ('' for
   * none): a re-embedded vector stands for such an item only if it was made from that URL.
   */
  readonly #changedUrls = new Map<string, string>();
  /** Re-embed jobs to enqueue before the next commit (the commit acks what asked for them). */
  #jobs: ReindexItem[] = [];
  /** The `next` section is new or changed and must go out with the next publish. */
  #dirty = false;
  #outcome: BuildOutcome | undefined;

  constructor(
    readonly collection: string,
    readonly reindexId: string,
    readonly generation: number,
    readonly mode: ReindexMode,
    readonly modelRef: string | undefined,
    model: ModelInfo | undefined,
  ) {
    this.rows = new GenerationRows(collection, model);
  }

  static async load(store: ObjectStore, collection: string, next: NextGeneration): Promise<GenerationBuild> {
    const build = new GenerationBuild(collection, next.reindexId, next.generation, next.mode, next.modelRef, next.model);
    build.rows.adoptShards(next.shards, await readRowLocations(store, collection, next.shards), next.model);
    for (const [id, url] of Object.entries(next.changedUrls)) build.#changedUrls.set(id, url);
    return build;
  }

  get jobs(): readonly ReindexItem[] {
    return this.#jobs;
  }

  /** Every job has an outcome: the next publish ends the build ('swap' it in, or 'drop' an empty one). */
  get outcome(): BuildOutcome | undefined {
    return this.#outcome;
  }

  /** The URL `id` had when it changed during the build; undefined if it did not change. */
  changedUrl(id: string): string | undefined {
    return this.#changedUrls.get(id);
  }

  /** The build is new (planned, not yet in a manifest). */
  markDirty(): void {
    this.#dirty = true;
  }

  queueJob(item: ReindexItem): void {
    this.#jobs.push(item);
  }

  /** `id` changed in the served generation: its re-embedded row is hidden until one made from `url` arrives. */
  itemChanged(id: string, url: string | undefined): void {
    this.rows.delete(id);
    this.#changedUrls.set(id, url ?? '');
    this.#dirty = true;
  }

  /** A re-embedded vector joins the generation; the first fixes its model. */
  addRebuilt(id: string, model: ModelInfo, row: PendingRow): void {
    if (this.rows.setModelIfUnset(model)) this.#dirty = true;
    this.rows.upsert(id, row);
  }

  finish(outcome: BuildOutcome): void {
    this.#outcome = outcome;
  }

  /** After the commit of a publish that wrote this build: its jobs are queued and its `next` section is out. */
  published(): void {
    this.#dirty = false;
    this.#jobs = [];
  }

  toManifest(shards: ShardEntry[]): NextGeneration {
    return {
      reindexId: this.reindexId,
      generation: this.generation,
      mode: this.mode,
      ...(this.modelRef ? { modelRef: this.modelRef } : {}),
      ...(this.rows.model ? { model: this.rows.model } : {}),
      shards,
      changedUrls: Object.fromEntries(this.#changedUrls),
    };
  }

  get hasPendingChanges(): boolean {
    return this.#dirty || this.#outcome !== undefined || this.#jobs.length > 0 || this.rows.hasPendingChanges;
  }
}
