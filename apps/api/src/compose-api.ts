import type { FastifyInstance } from 'fastify';
import { Queue, QueueEvents } from 'bullmq';
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
  jobCatalog,
  reportQueueErrors,
  CollectionSettings,
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

/** The API built and connected, not yet listening nor loading snapshots. */
export interface ComposedApi {
  /** Listen on it, or send requests in process with `inject`. */
  app: FastifyInstance;
  /** Loads the served snapshots and follows their notices (readiness waits for it). */
  startSnapshots(): Promise<void>;
  /** Closes the server (draining in-flight requests), then every connection, thread and embedder. */
  close(): Promise<void>;
}

/** Every dependency of the HTTP surface, from config: what startApi listens with, and what tests inject into. */
export async function composeApi(config: ApiConfig): Promise<ComposedApi> {
  const logger = createLogger('api', config.logLevel);
  // Requests' commands fail fast while Redis is unreachable (503 NOT_READY, http/request-redis.ts);
  // only pub/sub and queue events, which must wait a reconnect out, use the shared connections.
  const redis = createRequestRedis(config.redis.url, 'api', config.redisCommandTimeoutMs);
  await untilRedisReady(redis);
  const subscriber = createRedisConnection(config.redis.url, 'api-snapshot-notices');
  const store = createObjectStore(config.store);
  const keys = createRedisKeys(config.redis.namespace);
  const queue = new Queue(jobCatalog.ingestItem.queue, { connection: redis, prefix: keys.queuePrefix });
  const queueEvents = new QueueEvents(jobCatalog.ingestItem.queue, {
    connection: createRedisConnection(config.redis.url, 'api-queue-events'),
    prefix: keys.queuePrefix,
  });
  reportQueueErrors(queue, 'ingest queue', logger);
  reportQueueErrors(queueEvents, 'ingest queue events', logger);
  const ledger = new BatchLedger(redis, keys, config.batches);
  const catalog = new CollectionCatalog(redis, keys);
  const backpressure = new IngestBackpressure(redis, keys, queue, config.backpressure);
  const embedder = await createEmbedder(config.model);
  const queryEmbedders = new ModelEmbedders(embedder, config.model);
  const pool = await SearchThreadPool.start(config.search.threads, {
    blasDatabaseBlock: config.search.blas.databaseBlock,
    blasQueryBlock: config.search.blas.queryBlock,
    blasThreshold: config.search.blas.threshold,
  });
  const registry = new SnapshotRegistry({
    store,
    subscriber,
    redis,
    keys,
    cacheDirectory: config.snapshots.cacheDirectory,
    pollIntervalMs: config.snapshots.pollIntervalMs,
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
  // URL queries and result playback fetch with the same guard as workers (env.ts builds the limits).
  const queryFetch = config.queryFetch;
  // s3:// URL queries and item audio read the allowed buckets with the standard AWS credential chain, as workers do.
  const s3 = createS3Client({ region: config.store.region, endpoint: config.store.endpoint, forcePathStyle: config.store.forcePathStyle });
  const { inputLimits } = config;
  const search = new SearchService(
    registry,
    queryEmbedders,
    {
      fetch: queryFetch,
      sources: { s3 },
      decode: { sampleRate: embedder.sampleRate, ...config.search.decode },
    },
    config.search.maxK,
    metrics,
    new EmbeddingSlots(config.search.embedSlots),
  );
  const app = await buildApiServer({
    logger,
    redis,
    ledger,
    ingest: new IngestProducer({
      queue,
      ledger,
      maxItemsPerRequest: config.ingest.maxItemsPerRequest,
      backpressure,
      settings: new CollectionSettings(redis, keys, config.segmentation),
      admission: { inputLimits, allowedS3Buckets: config.queryFetch.allowedS3Buckets },
    }),
    search,
    collections,
    itemAudio: new ItemAudioService(registry, queryFetch, { s3 }),
    vectors: new VectorUploadService(
      ledger,
      backpressure,
      registry,
      { modelId: embedder.modelId, dim: embedder.dim },
      config.ingest.maxVectorsPerRequest,
      inputLimits,
    ),
    metrics,
    queues: [queue],
    snapshots: registry,
    apiKeys: config.server.apiKeys,
    bodyLimitBytes: config.server.bodyLimitBytes,
    uploadMaxBytes: config.search.uploadMaxBytes,
    rateLimitPerMinute: config.server.rateLimitPerMinute,
    timeouts: config.server.timeouts,
    keys,
  });
  return {
    app,
    startSnapshots: () => registry.start(),
    async close() {
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
