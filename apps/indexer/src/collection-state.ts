import { readManifest, type Manifest, type ModelInfo, type ObjectStore, type Segmentation } from '@audio-index/shared';
import { GenerationRows, readRowLocations, type PublishedLayout, type RowLocation } from './generation-rows.ts';
import { GenerationBuild } from './reindex/generation-build.ts';

export type { PendingRow, RowLocation } from './generation-rows.ts';

/** An item whose vector came from the model a reindex replaced: embedded again before the next commit. */
export interface RequeueItem {
  id: string;
  url: string;
  metadata?: Record<string, unknown> | undefined;
  batchId: string;
  after: string;
}

/** What a publish wrote (snapshot-publisher.ts), as the state adopts it once the version is committed. */
export interface PublishedSnapshot extends PublishedLayout {
  manifest: Manifest;
  /** The generation a reindex is building, as written (also when this publish swaps it in). */
  next: PublishedLayout | undefined;
}

/**
 * What the leader knows about a collection: the served generation's rows (published plus
 * pending), the version and stream offset they were published at, and the reindex building
 * the next generation, if one is. Only its own methods change it.
 */
export class CollectionState extends GenerationRows {
  #version = 0;
  #generation = 1;
  #streamOffset = '0-0';
  #segmentation: Segmentation | undefined;
  #modelRef: string | undefined;
  #previousModel: ModelInfo | undefined;
  #requeue: RequeueItem[] = [];
  #build: GenerationBuild | undefined;

  /** The state of `version`, or an empty collection when `version` is undefined. */
  static async load(store: ObjectStore, collection: string, version: number | undefined): Promise<CollectionState> {
    const state = new CollectionState(collection);
    if (version !== undefined) {
      const manifest = await readManifest(store, collection, version);
      const locations = await readRowLocations(store, collection, manifest.shards);
      state.#version = manifest.version;
      state.#generation = manifest.generation;
      state.#streamOffset = manifest.streamOffset;
      state.#segmentation = manifest.segmentation;
      state.adoptManifest(manifest, locations);
      if (manifest.next) state.#build = await GenerationBuild.load(store, collection, manifest.next);
    }
    return state;
  }

  get version(): number {
    return this.#version;
  }

  get generation(): number {
    return this.#generation;
  }

  get streamOffset(): string {
    return this.#streamOffset;
  }

  /** How recordings are cut into rows; from the manifest, else the first upsert that says. */
  get segmentation(): Segmentation | undefined {
    return this.#segmentation;
  }

  /** What workers load `model` by, when a reindex chose it. */
  get modelRef(): string | undefined {
    return this.#modelRef;
  }

  /** The model of the generation a reindex replaced (manifest `previousModel`). */
  get previousModel(): ModelInfo | undefined {
    return this.#previousModel;
  }

  /** Items whose vector came from `previousModel`, to embed again before the next commit. */
  get requeue(): readonly RequeueItem[] {
    return this.#requeue;
  }

  /** A reindex in progress: the next generation (reindex/generation-build.ts). */
  get build(): GenerationBuild | undefined {
    return this.#build;
  }

  /** The first upsert of an empty collection fixes its model and, if it says, its segmentation. */
  adoptFirstUpsert(model: ModelInfo, segmentation: Segmentation | undefined): void {
    this.setModelIfUnset(model);
    this.#segmentation ??= segmentation;
  }

  queueRequeue(item: RequeueItem): void {
    this.#requeue.push(item);
  }

  startBuild(build: GenerationBuild): void {
    if (this.#build) throw new Error(`reindex ${this.#build.reindexId} is already building`);
    this.#build = build;
  }

  /** Ends the build before completion; the next publish drops its `next` section. */
  abandonBuild(): void {
    this.#build = undefined;
    this.markLayoutChanged();
  }

  /**
   * Rollback: from now on the collection holds exactly what `manifest` held. The version and
   * stream offset stay ours: the next publish is a new version and nothing is replayed.
   */
  async activate(store: ObjectStore, manifest: Manifest): Promise<void> {
    const locations = await readRowLocations(store, this.collection, manifest.shards);
    this.#generation = manifest.generation;
    this.adoptManifest(manifest, locations);
    this.markLayoutChanged();
  }

  private adoptManifest(manifest: Manifest, locations: Iterable<[string, RowLocation]>): void {
    if (this.model && this.model.id !== manifest.model.id)
      this.#previousModel = this.model; // a rollback across a reindex
    else if (!this.model) this.#previousModel = manifest.previousModel;
    this.#modelRef = manifest.modelRef;
    this.adoptShards(manifest.shards, locations, manifest.model);
  }

  /** After the commit: the written snapshot becomes the published base (and a complete build the served generation). */
  adoptPublished(written: PublishedSnapshot): void {
    this.#version = written.manifest.version;
    this.#streamOffset = written.manifest.streamOffset;
    const build = this.#build;
    if (build && written.next) build.rows.adoptLayout(written.next);
    if (build?.outcome === 'swap' && build.rows.model !== undefined) {
      // The new generation is served from now on. A swap happens only with nothing pending in
      // the served generation (the leader publishes a complete build before reading on).
      this.#previousModel = this.model;
      this.#modelRef = written.manifest.modelRef;
      this.#generation = written.manifest.generation;
      this.adoptGeneration(build.rows);
    } else {
      this.adoptLayout({ shards: written.manifest.shards, newLocations: written.newLocations });
    }
    this.#requeue = [];
    if (build) {
      build.published();
      if (build.outcome) this.#build = undefined;
    }
  }

  override get hasPendingChanges(): boolean {
    return super.hasPendingChanges || this.#requeue.length > 0 || (this.#build?.hasPendingChanges ?? false);
  }

  override get pendingChangeCount(): number {
    return super.pendingChangeCount + (this.#build?.rows.pendingChangeCount ?? 0);
  }
}
