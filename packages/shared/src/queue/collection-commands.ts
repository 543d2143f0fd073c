import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.ts';
import { encodeStreamFields } from './stream-entry.ts';

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
    const entryId = await this.redis.xadd(this.keys.stream(collection), '*', ...(encodeStreamFields({ op: 'delete', id }) as string[]));
    if (!entryId) throw new Error('XADD returned no id');
    return entryId;
  }
}
