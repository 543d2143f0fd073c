import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.ts';
import { encodeStreamFields, type StreamOperation } from './stream-entry.ts';

/**
 * Changes the API asks of a collection that are not new vectors. They travel through the
 * collection's stream, so the indexer (the store's only writer) applies them in order with
 * the vectors around them.
 */
export class CollectionCommands {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Hides `id` from the next snapshot on; returns the stream entry id. */
  async deleteItem(collection: string, id: string): Promise<string> {
    return this.append(collection, { op: 'delete', id });
  }

  /**
   * Rollback: the indexer publishes a new version holding exactly the shards and tombstones
   * of `version` (changes queued after this call apply on top of it). The version must still
   * exist: check `readManifest(store, collection, version)` first to answer 404; a version
   * retention removes before the indexer gets here is skipped and logged. Returns the entry id.
   */
  async activateVersion(collection: string, version: number): Promise<string> {
    if (!Number.isInteger(version) || version <= 0) throw new RangeError(`bad snapshot version ${version}`);
    return this.append(collection, { op: 'activate', version });
  }

  private async append(collection: string, operation: StreamOperation): Promise<string> {
    const entryId = await this.redis.xadd(this.keys.stream(collection), '*', ...(encodeStreamFields(operation) as string[]));
    if (!entryId) throw new Error('XADD returned no id');
    return entryId;
  }
}
