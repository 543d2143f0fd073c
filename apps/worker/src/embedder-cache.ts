import { createEmbedder, loadModelCard, type Embedder, type EmbedderOptions } from '@audio-index/embedding';
import type { createRedisConnection, Logger, RedisKeys } from '@audio-index/shared';

type Redis = ReturnType<typeof createRedisConnection>;

/** How long a collection's model record (set when a reindex moves it to another model) is trusted. */
const COLLECTION_MODEL_TTL_MS = 2_000;

/**
 * The embedders of one worker: its configured model, started at once, and any other model
 * a job names (a reindex) or a collection was moved to (its Redis record), each started on
 * first use and kept until shutdown. A card with the configured model's id is the configured
 * model: no second set of inference threads for it.
 */
export class EmbedderCache {
  private readonly others = new Map<string, Promise<Embedder>>();
  private readonly collectionModels = new Map<string, { ref: string | undefined; readAt: number }>();

  constructor(
    readonly base: Embedder,
    private readonly options: Omit<EmbedderOptions, 'model'>,
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly logger: Logger,
  ) {}

  /** The embedder for a job: the model it names, else the collection's, else the configured one. */
  async forJob(collection: string, model: string | undefined): Promise<Embedder> {
    const ref = model ?? (await this.collectionModel(collection));
    if (ref === undefined) return this.base;
    let embedder = this.others.get(ref);
    if (!embedder) {
      embedder = this.start(ref);
      this.others.set(ref, embedder);
      // A model that failed to load is tried again by the next job that names it.
      embedder.catch(() => this.others.delete(ref));
    }
    return embedder;
  }

  private async start(ref: string): Promise<Embedder> {
    if (loadModelCard(ref).id === this.base.modelId) return this.base;
    const embedder = await createEmbedder({ ...this.options, model: ref });
    this.logger.info({ model: embedder.modelId, ref, dim: embedder.dim }, 'loaded another model');
    return embedder;
  }

  private async collectionModel(collection: string): Promise<string | undefined> {
    const cached = this.collectionModels.get(collection);
    if (cached && Date.now() - cached.readAt < COLLECTION_MODEL_TTL_MS) return cached.ref;
    const record = await this.redis.get(this.keys.collectionModel(collection));
    const parsed = record ? (JSON.parse(record) as { id: string; ref: string }) : undefined;
    const ref = parsed && parsed.id !== this.base.modelId ? parsed.ref : undefined;
    this.collectionModels.set(collection, { ref, readAt: Date.now() });
    return ref;
  }

  /** Closes every embedder, the configured one included. */
  async close(): Promise<void> {
    const others = await Promise.allSettled(this.others.values());
    this.others.clear();
    await Promise.allSettled([
      this.base.close(),
      ...others.flatMap((outcome) => (outcome.status === 'fulfilled' && outcome.value !== this.base ? [outcome.value.close()] : [])),
    ]);
  }
}
