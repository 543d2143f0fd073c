import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.ts';

/**
 * The sorted set of committed snapshot versions of a collection (key `snapshotVersions`,
 * docs/redis-keys.md): added to by the indexer's commit script, read by the API's snapshot
 * listing and rollback, trimmed by retention. The store's manifest listing can also hold
 * manifests of publishes that crashed before their commit (complete, never served, deleted by
 * retention after its grace period); this list cannot.
 */
export class CommittedVersions {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Versions committed and still kept, ascending. */
  async list(collection: string): Promise<number[]> {
    return (await this.redis.zrange(this.keys.snapshotVersions(collection), 0, -1)).map(Number);
  }

  /** Forgets every version below `oldestKept` (retention deleted or is deleting their manifests). */
  async forgetBelow(collection: string, oldestKept: number): Promise<void> {
    await this.redis.zremrangebyscore(this.keys.snapshotVersions(collection), '-inf', `(${oldestKept}`);
  }
}

/** Snapshot versions the indexer committed and retention still keeps, ascending. */
export async function committedSnapshotVersions(redis: Redis, keys: RedisKeys, collection: string): Promise<number[]> {
  return new CommittedVersions(redis, keys).list(collection);
}
