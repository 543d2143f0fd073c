import type { Redis } from 'ioredis';
import { MANIFEST_FORMAT_VERSION, type Manifest, type ObjectStore, type RedisKeys, type ShardEntry } from '@audio-index/shared';
import { pointLatestAt } from '../../apps/indexer/src/latest-pointer.ts';
import { writeShard } from '../../apps/indexer/src/shard-writer.ts';
import { randomRows } from './random-vectors.ts';

/**
 * Writes a committed collection of `count` vectors as shards of `perShard` rows, generated one
 * shard at a time so memory stays at one shard (100k x 768 floats = 307 MB).
 */
export async function seedCollection(
  store: ObjectStore,
  redis: Redis,
  keys: RedisKeys,
  collection: string,
  options: { count: number; perShard: number; dim: number },
): Promise<Manifest> {
  const shards: ShardEntry[] = [];
  for (let first = 0, shard = 0; first < options.count; first += options.perShard, shard += 1) {
    const rows = Math.min(options.perShard, options.count - first);
    const ids = Array.from({ length: rows }, (_, index) => ({ id: `seed-${first + index}` }));
    const { entry } = await writeShard(store, collection, `seed-${shard}`, randomRows(rows, options.dim, shard + 1), options.dim, ids);
    shards.push(entry);
  }
  const manifest: Manifest = {
    formatVersion: MANIFEST_FORMAT_VERSION,
    collection,
    version: 1,
    createdAt: new Date().toISOString(),
    model: { id: 'bench-model', dim: options.dim },
    metric: 'inner_product',
    count: options.count,
    shards,
    streamOffset: '0-1',
    generation: 1,
  };
  await store.put(`${collection}/manifests/${String(1).padStart(12, '0')}.json`, JSON.stringify(manifest));
  await redis.set(keys.snapshotCommitted(collection), 1);
  await redis.set(keys.snapshotVersionCounter(collection), 1);
  await pointLatestAt(store, collection, 1);
  return manifest;
}
