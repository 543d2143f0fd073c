import { Queue, QueueEvents } from 'bullmq';
import type { FetchLimits } from '@audio-index/audio-input';
import { createEmbedder, ModelEmbedders } from '@audio-index/embedding';
import {
  BatchLedger,
  CollectionCatalog,
  IngestBackpressure,
  IngestProducer,
  CollectionCommands,
  createLogger,
  createObjectStore,
  createRedisConnection,
  createRedisKeys,
  createS3Client,
  inputLimitsFromEnv,
  jobCatalog,
  reportQueueErrors,
  CollectionSettings,
  segmentationFromEnv,
} from '@audio-index/shared';
import { buildApiServer } from './build-api-server.ts';
import { createRequestRedis, untilRedisReady } from './http/request-redis.ts';
import { CollectionService } from './collections/collection-service.ts';
import { VectorUploadService } from './collections/vector-upload-service.ts';
import type { ApiConfig } from './env.ts';
import { ApiMetrics } from './observability/api-metrics.ts';
import { EmbeddingSlots } from './search/embedding-slots.ts';
import { SearchService } from './search/search-service.ts';
import { SearchThreadPool } from './search/search-thread-pool.ts';
import { SnapshotRegistry } from './search/snapshot-registry.ts';
import { ItemAudioService } from './collections/item-audio-service.ts';

export interface RunningApi {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  stop(): Promise<void>;
}

export async function startApi(config: ApiConfig): Promise<RunningApi> {
  const logger = createLogger('api', config.LOG_LEVEL);
  // Requests' commands fail fast while Redis is unreachable (503 NOT_READY, http/request-redis.ts);
  // only pub/sub and queue events, which must wait a reconnect out, use the shared connections.
  const redis = createRequestRedis(config.REDIS_URL, 'api', config.REDIS_COMMAND_TIMEOUT_MS);
  await untilRedisReady(redis);
  const subscriber = createRedisConnection(config.REDIS_URL, 'api-snapshot-notices');
  const store = createObjectStore(config);
  const keys = createRedisKeys(config.REDIS_NAMESPACE);
  const queue = new Queue(jobCatalog.ingestItem.queue, { connection: redis, prefix: keys.queuePrefix });
  const queueEvents = new QueueEvents(jobCatalog.ingestItem.queue, {
    connection: createRedisConnection(config.REDIS_URL, 'api-queue-events'),
    prefix: keys.queuePrefix,
  });
  reportQueueErrors(queue, 'ingest queue', logger);
  reportQueueErrors(queueEvents, 'ingest queue events', logger);
  const ledger = new BatchLedger(redis, keys, { retentionSeconds: config.BATCH_RETENTION_SECONDS });
  const catalog = new CollectionCatalog(redis, keys);
  const backpressure = new IngestBackpressure(redis, keys, queue, { maxStreamBacklog: config.MAX_STREAM_BACKLOG, maxQueueBacklog: config.MAX_QUEUE_BACKLOG, maxCollections: config.MAX_COLLECTIONS });
  const embedder = await createEmbedder({ model: config.MODEL, executionProvider: config.EXECUTION_PROVIDER, threads: config.EMBED_THREADS });
  const queryEmbedders = new ModelEmbedders(embedder, { executionProvider: config.EXECUTION_PROVIDER, threads: config.EMBED_THREADS });
  const pool = await SearchThreadPool.start(config.SEARCH_THREADS, { blasDatabaseBlock: config.SEARCH_BLAS_DATABASE_BLOCK, blasQueryBlock: 0, blasThreshold: config.SEARCH_BLAS_THRESHOLD });
  const registry = new SnapshotRegistry({
    store,
    subscriber,
    redis,
    keys,
    cacheDirectory: config.SHARD_CACHE_DIR,
    pollIntervalMs: config.SNAPSHOT_POLL_INTERVAL_MS,
    logger,
    pool,
  });
  const collections = new CollectionService(redis, keys, store, registry, new CollectionCommands(redis, keys));
  const metrics = new ApiMetrics({
    snapshots: () => registry.snapshots(),
    queues: [queue],
    collections: () => catalog.names(),
    pendingEntries: (collection) => collections.pendingEntries(collection),
  });
  metrics.countJobOutcomes(queue.name, queueEvents);
  // URL queries and result playback fetch with the same limits and address guard as workers.
  const queryFetch: FetchLimits = {
    maxBytes: config.QUERY_FETCH_MAX_BYTES,
    connectTimeoutMs: Math.min(10_000, config.QUERY_FETCH_TIMEOUT_MS),
    totalTimeoutMs: config.QUERY_FETCH_TIMEOUT_MS,
    maxRedirects: 5,
    allowPrivateNetworks: config.ALLOW_PRIVATE_NETWORKS,
    allowedNetworks: config.FETCH_ALLOWED_NETWORKS,
    fileRoot: config.FILE_ROOT,
    allowedS3Buckets: config.S3_ALLOWED_BUCKETS,
  };
  // s3:// URL queries and item audio read the allowed buckets with the standard AWS credential chain, as workers do.
  const s3 = createS3Client({ region: config.S3_REGION, endpoint: config.S3_ENDPOINT, forcePathStyle: config.S3_FORCE_PATH_STYLE });
  const inputLimits = inputLimitsFromEnv(config);
  const search = new SearchService(
    registry,
    queryEmbedders,
    {
      fetch: queryFetch,
      sources: { s3 },
      decode: { sampleRate: embedder.sampleRate, maxSeconds: config.QUERY_MAX_AUDIO_SECONDS, timeoutMs: config.QUERY_FETCH_TIMEOUT_MS },
    },
    config.MAX_K,
    metrics,
    new EmbeddingSlots({ concurrency: config.QUERY_EMBED_CONCURRENCY, waitMs: config.QUERY_EMBED_WAIT_MS }),
  );
  const app = await buildApiServer({
    logger,
    redis,
    ledger,
    ingest: new IngestProducer(queue, ledger, config.MAX_ITEMS_PER_REQUEST, backpressure, new CollectionSettings(redis, keys, segmentationFromEnv(config)), undefined, {
      inputLimits,
      allowedS3Buckets: config.S3_ALLOWED_BUCKETS,
    }),
    search,
    collections,
    itemAudio: new ItemAudioService(registry, queryFetch, { s3 }),
    vectors: new VectorUploadService(ledger, backpressure, registry, { modelId: embedder.modelId, dim: embedder.dim }, config.MAX_VECTORS_PER_REQUEST, inputLimits),
    metrics,
    queues: [queue],
    snapshots: registry,
    apiKeys: config.API_KEYS,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    uploadMaxBytes: config.UPLOAD_MAX_BYTES,
    rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
    timeouts: { requestMs: config.REQUEST_TIMEOUT_MS, connectionMs: config.CONNECTION_TIMEOUT_MS, keepAliveMs: config.KEEP_ALIVE_TIMEOUT_MS },
    keys,
  });
  // Listen first (health answers at once, /readyz says 503 until the snapshots are in).
  await app.listen({ port: config.PORT, host: config.HOST });
  await registry.start();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
  return {
    url: `http://${host}:${port}`,
    async stop() {
      await app.close(); // stops accepting, drains in-flight requests
      await registry.stop();
      await pool.close();
      await queueEvents.close();
      await queue.close();
      await queryEmbedders.close();
      await store.close();
      s3.destroy();
      subscriber.disconnect();
      redis.disconnect();
    },
  };
}
