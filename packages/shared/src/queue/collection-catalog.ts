import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.ts';
import { LuaScript } from './lua-script.ts';

const admitCollectionScript = LuaScript.fromFile(new URL('./lua/admit-collection.lua', import.meta.url));
const addCollectionScript = LuaScript.fromFile(new URL('./lua/add-collection.lua', import.meta.url));

export type CollectionAdmission = 'admitted' | 'too-many' | 'deleting';

/**
 * The owner of the collection names (docs/redis-keys.md): the set of collections that ever
 * received an item, the set of those being deleted, and each one's "being deleted" marker
 * under its own tag, which the scripts of its slot can see (record-embedded.lua).
 */
export class CollectionCatalog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Every collection name that received an item and was not deleted since. */
  names(): Promise<string[]> {
    return this.redis.smembers(this.keys.collections);
  }

  /** Collections marked for deletion whose drop has not finished. */
  deleting(): Promise<string[]> {
    return this.redis.smembers(this.keys.collectionsDeleting);
  }

  async has(collection: string): Promise<boolean> {
    return (await this.redis.sismember(this.keys.collections, collection)) === 1;
  }

  /**
   * Records the name (its first batch was just recorded); false, and nothing written, while
   * the name is being deleted (add-collection.lua): the caller's batch belongs to no life.
   */
  async add(collection: string): Promise<boolean> {
    return Number(await addCollectionScript.run(this.redis, [this.keys.collections, this.keys.collectionsDeleting], [collection])) === 1;
  }

  /**
   * Marks the collection for deletion: first the marker in its own slot, so its queued jobs
   * append nothing from now on, then the name in the deleting set its indexer leader watches.
   */
  async markDeleting(collection: string): Promise<void> {
    await this.redis.set(this.keys.collectionDeleting(collection), '1');
    await this.redis.sadd(this.keys.collectionsDeleting, collection);
  }

  /**
   * The end of a drop: the name is free again. The marker goes first (the collection's batches
   * are gone already, so its stale jobs still find nothing to record into), then both names
   * in one step (one slot: the meta tag).
   */
  async forget(collection: string): Promise<void> {
    await this.redis.del(this.keys.collectionDeleting(collection));
    await this.redis.multi().srem(this.keys.collections, collection).srem(this.keys.collectionsDeleting, collection).exec();
  }

  /**
   * Whether items for `collection` may be accepted: an existing one always (unless it is being
   * deleted), a new one while fewer than `maxCollections` exist (stream-backlog.ts).
   */
  async admit(collection: string, maxCollections: number): Promise<CollectionAdmission> {
    const answer = Number(await admitCollectionScript.run(this.redis, [this.keys.collections, this.keys.collectionsDeleting], [collection, maxCollections]));
    return answer === 1 ? 'admitted' : answer === 0 ? 'too-many' : 'deleting';
  }
}
