import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.ts';

/**
 * Snapshot versions the indexer committed and retention still keeps, ascending. The store's
 * manifest listing can also hold manifests of publishes that crashed before their commit
 * (complete, never served, deleted by retention after its grace period); this list cannot.
 */
export async function committedSnapshotVersions(redis: Redis, keys: RedisKeys, collection: string): Promise<number[]> {
  return (await redis.zrange(keys.snapshotVersions(collection), 0, -1)).map(Number);
}
