import type { CollectionModel } from '@audio-index/embedding';
import { CollectionModelRecords, type createRedisConnection, type RedisKeys } from '@audio-index/shared';

type Redis = ReturnType<typeof createRedisConnection>;

/** How long a collection's model record (set when a reindex moves it to another model) is trusted. */
const COLLECTION_MODEL_TTL_MS = 2_000;

/** Reads the model each collection was moved to (its Redis record), cached for a couple of seconds per collection. */
export class CollectionModels {
  private readonly read = new Map<string, { model: CollectionModel | undefined; readAt: number }>();

  private readonly records: CollectionModelRecords;

  constructor(redis: Redis, keys: RedisKeys) {
    this.records = new CollectionModelRecords(redis, keys);
  }

  async modelOf(collection: string): Promise<CollectionModel | undefined> {
    const cached = this.read.get(collection);
    if (cached && Date.now() - cached.readAt < COLLECTION_MODEL_TTL_MS) return cached.model;
    const model: CollectionModel | undefined = await this.records.read(collection);
    this.read.set(collection, { model, readAt: Date.now() });
    return model;
  }
}
