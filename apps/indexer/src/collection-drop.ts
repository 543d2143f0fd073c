import type { Redis } from 'ioredis';
import { CollectionCatalog, SnapshotNotices, type Logger, type ObjectStore, type RedisKeys } from '@audio-index/shared';

/** Keys deleted per DEL: all of one collection share a slot, so one DEL may name many. */
const DELETE_PAGE = 500;

export interface CollectionDrop {
  redis: Redis;
  store: ObjectStore;
  keys: RedisKeys;
  collection: string;
  logger: Logger;
}

/**
 * Removes a collection for good (`DELETE /v1/collections/:c`), run by its leader while it
 * holds the lock, so no publish, merge or retention of it runs meanwhile. In this order:
 * the store objects (LATEST first, so no reader loads a half-deleted snapshot), every Redis
 * key under the collection's tag but the lock and the "being deleted" marker, the batch ->
 * collection entries of its batches, then the marker and the name (CollectionCatalog.forget).
 * Jobs of the collection still queued append nothing throughout: the marker refuses them
 * until its batches are gone, and a batch that is gone refuses them after. The caller releases
 * the lock last. A crash anywhere leaves the name in the deleting set: the next leader runs
 * the whole drop again, and every step is safe to repeat.
 */
export async function dropCollection({ redis, store, keys, collection, logger }: CollectionDrop): Promise<{ objects: number; keys: number }> {
  const catalog = new CollectionCatalog(redis, keys);
  // Marked by the API already; again here for a collection marked before the marker existed.
  await catalog.markDeleting(collection);
  let objects = 0;
  await store.delete(`${collection}/LATEST`);
  const prefix = `${collection}/`;
  const storeKeys: string[] = [];
  for await (const key of store.list(prefix)) storeKeys.push(key);
  for (const key of storeKeys) {
    await store.delete(key);
    objects += 1;
  }

  // The lock is released by the caller; the "being deleted" marker goes last, with the name.
  const kept = new Set([keys.indexerLock(collection), keys.collectionDeleting(collection)]);
  const found = (await scanKeys(redis, keys.collectionKeyPattern(collection))).filter((key) => !kept.has(key));
  const batchMarker = `:batch:`;
  const batchIds = found.flatMap((key) => {
    const at = key.lastIndexOf(batchMarker);
    if (at < 0) return [];
    const rest = key.slice(at + batchMarker.length);
    return rest.includes(':') ? [] : [rest];
  });
  for (let start = 0; start < found.length; start += DELETE_PAGE) await redis.del(...found.slice(start, start + DELETE_PAGE));
  // The batch -> collection index lives under the global tag: one slot of its own.
  const indexKeys = batchIds.map((batchId) => keys.batchCollection(batchId));
  for (let start = 0; start < indexKeys.length; start += DELETE_PAGE) await redis.del(...indexKeys.slice(start, start + DELETE_PAGE));
  await catalog.forget(collection);
  // APIs drop what they serve of it now rather than at their next poll.
  await new SnapshotNotices(redis, keys).publish({ collection });
  logger.info({ collection, objects, keys: found.length + indexKeys.length }, 'collection deleted');
  return { objects, keys: found.length + indexKeys.length };
}

/** Every key matching `pattern`; on a Cluster, from each master (the keys live on the one owning their slot). */
async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const cluster = redis as unknown as { isCluster?: boolean; nodes?: (role: 'master') => Redis[] };
  const nodes = cluster.isCluster && cluster.nodes ? cluster.nodes('master') : [redis];
  const found = new Set<string>();
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, page] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      for (const key of page) found.add(key);
      cursor = next;
    } while (cursor !== '0');
  }
  return [...found];
}
