import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createRedisKeys, encodeStreamFields, LocalDirectoryStore, readLatestManifest, type Logger } from '@audio-index/shared';
import { CollectionIndexer } from '../../apps/indexer/src/collection-indexer.ts';
import { StreamWatcher } from '../../apps/indexer/src/stream-watcher.ts';
import { loadIndexerConfig } from '../../apps/indexer/src/env.ts';
import { CountingStore } from './counting-store.ts';
import { randomRows } from './random-vectors.ts';

export interface WriteAmplification {
  ratio: number;
  mergeRatio: number;
  publishes: number;
  merges: number;
  finalShards: number;
  vectorsPerSecond: number;
}

/**
 * Streams `vectors` into a collection while the real leader loop (with compaction) runs,
 * then divides all bytes it wrote to the store by the bytes of the vectors themselves.
 */
export async function measureWriteAmplification(options: {
  redisUrl: string;
  storeDir: string;
  vectors: number;
  dim: number;
  logger: Logger;
}): Promise<WriteAmplification> {
  const config = loadIndexerConfig({
    REDIS_URL: options.redisUrl,
    REDIS_NAMESPACE: 'bench-wa',
    STORE_URL: `file://${options.storeDir}`,
    PUBLISH_MAX_CHANGES: '1000',
    PUBLISH_INTERVAL_MS: '200',
    RETENTION_GRACE_MS: '5000',
    RETENTION_INTERVAL_MS: '2000',
  });
  const keys = createRedisKeys(config.redis.namespace);
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const streamWatcher = new StreamWatcher(new Redis(options.redisUrl, { maxRetriesPerRequest: null }), options.logger);
  const store = new CountingStore(new LocalDirectoryStore(options.storeDir));
  const collection = 'ingest';
  // A leader serves only registered collections (a drop removes the name).
  await redis.sadd(keys.collections, collection);
  const indexer = new CollectionIndexer({ collection, streamWatcher, redis, store, keys, config, logger: options.logger });
  const running = indexer.run();

  const started = performance.now();
  const streamKey = keys.stream(collection);
  for (let first = 0; first < options.vectors; first += 1000) {
    // Stay under a bounded backlog, as the API does with streamBacklog().
    while ((await redis.xlen(streamKey)) > 5000) await sleep(20);
    const rows = randomRows(1000, options.dim, first + 1);
    const pipeline = redis.pipeline();
    for (let index = 0; index < 1000 && first + index < options.vectors; index += 1) {
      const vector = rows.slice(index * options.dim, (index + 1) * options.dim);
      pipeline.xaddBuffer(
        streamKey,
        '*',
        ...encodeStreamFields({ op: 'upsert', id: `v-${first + index}`, modelId: 'bench-model', vectors: vector, dim: vector.length }),
      );
    }
    await pipeline.exec();
  }
  let manifest = await readLatestManifest(store, collection);
  while (manifest?.count !== options.vectors) {
    await sleep(100);
    manifest = await readLatestManifest(store, collection);
  }
  const seconds = (performance.now() - started) / 1000;
  // Let merges that the last publishes made due finish and be published.
  let stableSince = Date.now();
  let shards = manifest.shards.length;
  while (Date.now() - stableSince < 3000) {
    await sleep(250);
    const now = (await readLatestManifest(store, collection))!.shards.length;
    if (now !== shards) [shards, stableSince] = [now, Date.now()];
  }
  indexer.stop();
  await streamWatcher.close();
  await running;
  redis.disconnect();
  const maintenanceTotals = indexer.maintenanceTotals();
  const vectorBytes = options.vectors * options.dim * 4;
  const versions = (await readLatestManifest(store, collection))!.version;
  return {
    ratio: store.bytesPut / vectorBytes,
    mergeRatio: maintenanceTotals.mergeBytesWritten / vectorBytes,
    publishes: versions,
    merges: maintenanceTotals.merges,
    finalShards: shards,
    vectorsPerSecond: options.vectors / seconds,
  };
}
