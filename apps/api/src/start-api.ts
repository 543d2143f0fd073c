import { Queue } from 'bullmq';
import { createEmbedder } from '@audio-index/embedding';
import {
  BatchLedger,
  createLogger,
  createObjectStore,
  createRedisConnection,
  createRedisKeys,
  jobCatalog,
} from '@audio-index/shared';
import { buildApiServer } from './build-api-server.ts';
import type { ApiConfig } from './env.ts';
import { IngestService } from './ingest/ingest-service.ts';
import { SearchService } from './search/search-service.ts';
import { SnapshotRegistry } from './search/snapshot-registry.ts';

export interface RunningApi {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  stop(): Promise<void>;
}

export async function startApi(config: ApiConfig): Promise<RunningApi> {
  const logger = createLogger('api', config.LOG_LEVEL);
  const redis = createRedisConnection(config.REDIS_URL, 'api');
  const subscriber = createRedisConnection(config.REDIS_URL, 'api-snapshot-notices');
  const store = createObjectStore(config);
  const keys = createRedisKeys(config.REDIS_NAMESPACE);
  const queue = new Queue(jobCatalog.ingestItem.queue, { connection: redis, prefix: keys.queuePrefix });
  const ledger = new BatchLedger(redis, keys);
  const embedder = await createEmbedder({ model: config.MODEL, executionProvider: config.EXECUTION_PROVIDER, threads: config.EMBED_THREADS });
  const registry = new SnapshotRegistry({
    store,
    subscriber,
    redis,
    keys,
    cacheDirectory: config.SHARD_CACHE_DIR,
    pollIntervalMs: config.SNAPSHOT_POLL_INTERVAL_MS,
    logger,
  });
  await registry.start();
  const search = new SearchService(
    registry,
    embedder,
    {
      fetch: {
        maxBytes: config.QUERY_FETCH_MAX_BYTES,
        connectTimeoutMs: Math.min(10_000, config.QUERY_FETCH_TIMEOUT_MS),
        totalTimeoutMs: config.QUERY_FETCH_TIMEOUT_MS,
        maxRedirects: 5,
        allowPrivateNetworks: config.ALLOW_PRIVATE_NETWORKS,
        fileRoot: config.FILE_ROOT,
      },
      decode: { sampleRate: embedder.sampleRate, maxSeconds: config.QUERY_MAX_AUDIO_SECONDS, timeoutMs: config.QUERY_FETCH_TIMEOUT_MS },
    },
    config.MAX_K,
  );
  const app = buildApiServer({
    logger,
    redis,
    ledger,
    ingest: new IngestService(queue, ledger, config.MAX_ITEMS_PER_REQUEST),
    search,
    apiKeys: config.API_KEYS,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
  });
  await app.listen({ port: config.PORT, host: config.HOST });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  return {
    url: `http://${host}:${port}`,
    async stop() {
      await app.close(); // stops accepting, drains in-flight requests
      await registry.stop();
      await queue.close();
      await embedder.close();
      await store.close();
      subscriber.disconnect();
      redis.disconnect();
    },
  };
}
