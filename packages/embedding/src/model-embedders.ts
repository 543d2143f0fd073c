import { createEmbedder, type Embedder, type EmbedderOptions } from './embedder.ts';
import { EmbeddingError } from './embedding-error.ts';
import { loadModelCard } from './model-card.ts';

/** Which model built a collection's rows: its id and the card it was loaded from (written by a reindex). */
export interface CollectionModel {
  readonly id: string;
  readonly ref: string;
}

export interface ModelEmbeddersOptions {
  /** Where a collection moved to another model says so (the worker reads its Redis record); unset: every collection uses the base model. */
  readonly modelOfCollection?: (collection: string) => Promise<CollectionModel | undefined>;
  readonly logger?: { info(fields: object, message: string): void };
}

/**
 * The embedders of one process: its configured model (`base`), started at once, and any other
 * model a reindex moved a collection to, started on first use and kept until `close`. A card
 * with the base model's id is the base model: no second set of inference threads for it.
 * Rows and queries must be embedded by the same model, or the scores mean nothing; the worker
 * (rows) and the API (queries) pick their embedder here.
 */
export class ModelEmbedders {
  private readonly others = new Map<string, Promise<Embedder>>();
  /** Model ids found (or not) in models/, so a query does not read a card file each time. */
  private readonly builtIn = new Map<string, boolean>();

  constructor(
    readonly base: Embedder,
    private readonly embedderOptions: Omit<EmbedderOptions, 'model'>,
    private readonly options: ModelEmbeddersOptions = {},
  ) {}

  /** The embedder of a card (a built-in name or a card.json path); the base one when `ref` is unset. */
  forCard(ref: string | undefined): Promise<Embedder> {
    if (ref === undefined) return Promise.resolve(this.base);
    let embedder = this.others.get(ref);
    if (!embedder) {
      embedder = this.start(ref);
      this.others.set(ref, embedder);
      // A card that failed to load is tried again by the next caller that names it.
      embedder.catch(() => this.others.delete(ref));
    }
    return embedder;
  }

  /** For new rows of a collection: the card named (a reindex's), else the collection's model, else the base. */
  async forCollection(collection: string, card: string | undefined): Promise<Embedder> {
    if (card !== undefined) return this.forCard(card);
    const model = await this.options.modelOfCollection?.(collection);
    return this.forCard(model && model.id !== this.base.modelId ? model.ref : undefined);
  }

  /**
   * For queries against rows built by model `id` from card `ref` (a snapshot's manifest):
   * MODEL_MISMATCH when no card is named or the card holds another model.
   */
  async forModel(id: string, ref: string | undefined): Promise<Embedder> {
    if (id === this.base.modelId) return this.base;
    // Rows built by an earlier default name no card (it was the base model then); it is kept
    // under its id in models/ (logmel-stats-v3), so queries against them still embed alike.
    if (ref === undefined && this.isBuiltIn(id)) return this.forModel(id, id);
    if (ref === undefined) {
      throw new EmbeddingError(
        'MODEL_MISMATCH',
        `collection uses model ${id}; this process embeds with ${this.base.modelId} and the snapshot names no card to load`,
      );
    }
    const loaded = await this.forCard(ref);
    if (loaded.modelId !== id) throw new EmbeddingError('MODEL_MISMATCH', `card ${ref} holds model ${loaded.modelId}, the snapshot was built with ${id}`);
    return loaded;
  }

  /** Whether `id` names a model shipped in models/ (the default or an earlier one kept by its id). */
  private isBuiltIn(id: string): boolean {
    let found = this.builtIn.get(id);
    if (found === undefined) {
      try {
        found = loadModelCard(id).id === id;
      } catch {
        found = false;
      }
      this.builtIn.set(id, found);
    }
    return found;
  }

  private async start(ref: string): Promise<Embedder> {
    if (loadModelCard(ref).id === this.base.modelId) return this.base;
    const embedder = await createEmbedder({ ...this.embedderOptions, model: ref });
    this.options.logger?.info({ model: embedder.modelId, ref, dim: embedder.dim }, 'loaded another model');
    return embedder;
  }

  /** Closes every embedder, the base one included. */
  async close(): Promise<void> {
    const others = await Promise.allSettled(this.others.values());
    this.others.clear();
    await Promise.allSettled([
      this.base.close(),
      ...others.flatMap((outcome) => (outcome.status === 'fulfilled' && outcome.value !== this.base ? [outcome.value.close()] : [])),
    ]);
  }
}
