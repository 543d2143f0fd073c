import { Queue, Worker } from 'bullmq';
import { createEmbedder, ModelEmbedders, type Embedder } from '@audio-index/embedding';
import {
  BatchLedger,
  CollectionSettings,
  createLogger,
  createS3Client,
  createRedisConnection,
  createRedisKeys,
  jobCatalog,
  reportQueueErrors,
} from '@audio-index/shared';
import type { WorkerConfig } from './env.ts';
import { CollectionModels } from './collection-models.ts';
import { createIngestProcessor } from './ingest-processor.ts';
import { serveMetrics, type MetricsEndpoint } from '@audio-index/shared';
import { IngestMetrics } from './ingest-metrics.ts';
import { routeJobsByName } from './job-router.ts';
import { createListingProcessor } from './listing-processor.ts';

export interface RunningWorker {
  readonly embedder: Embedder;
  /** Per-stage ingest timing; served on WORKER_METRICS_PORT when set. */
  readonly metrics: IngestMetrics;
  /** The port `GET /metrics` listens on (WORKER_METRICS_PORT=0 picks a free one); unset: none. */
  readonly metricsPort: number | undefined;
  /**
   * Stops taking jobs and lets active ones finish for up to SHUTDOWN_GRACE_MS; jobs still
   * running then are released (their embeds fail as EMBEDDER_CLOSED, a transient code, and
   * BullMQ retries them, here or on another worker). Then closes everything.
   */
  stop(): Promise<void>;
}

/** BullMQ's default: one stall is retried (a worker was killed), a second one ends the job. */
const MAX_STALLS = 1;
const BULLMQ_STALL_LIMIT_OUT_OF_REACH = 1_000_000;

export async function startWorker(config: WorkerConfig): Promise<RunningWorker> {
  const logger = createLogger('worker', config.logLevel);
  const metrics = new IngestMetrics();
  // First, so a taken port fails the start before any job can run (the caller exits on it).
  const metricsEndpoint: MetricsEndpoint | undefined =
    config.metrics.port === undefined ? undefined : await serveMetrics(metrics.registry, config.metrics.port, config.metrics.host);
  // Fails here, at start, when the model or the execution provider is unusable.
  const embedderOptions = { executionProvider: config.model.executionProvider, threads: config.model.threads, ...config.batching };
  const embedder = await createEmbedder({ model: config.model.model, ...embedderOptions });
  const redis = createRedisConnection(config.redis.url, 'worker-ledger');
  const keys = createRedisKeys(config.redis.namespace);
  const ledger = new BatchLedger(redis, keys, config.batches);
  // Other models (a reindex's, or a collection's after one) start on first use.
  const collectionModels = new CollectionModels(redis, keys);
  const embedders = new ModelEmbedders(embedder, embedderOptions, { modelOfCollection: (collection) => collectionModels.modelOf(collection), logger });
  // Credentials come from the standard AWS chain (env, profile, instance role).
  const s3 = createS3Client({ region: config.store.region, endpoint: config.store.endpoint, forcePathStyle: config.store.forcePathStyle });
  const queue = new Queue(jobCatalog.ingestItem.queue, { connection: redis, prefix: keys.queuePrefix });
  const processor = routeJobsByName(
    {
      ingestItem: createIngestProcessor({
        embedders,
        ledger,
        settings: new CollectionSettings(redis, keys, config.segmentation),
        logger,
        metrics,
        audio: {
          fetch: config.fetch,
          decode: { sampleRate: embedder.sampleRate, ...config.decode },
          sources: { s3 },
        },
      }),
      listSource: createListingProcessor({
        queue,
        ledger,
        logger,
        pageSize: config.listing.pageSize,
        maxWaitingItems: config.listing.maxWaitingItems,
        listing: { s3, fileRoot: config.fetch.fileRoot, allowedS3Buckets: config.fetch.allowedS3Buckets },
      }),
    },
    { ledger, logger, maxStalls: MAX_STALLS },
  );
  const queueConnection = createRedisConnection(config.redis.url, 'worker-queue');
  const worker = new Worker(jobCatalog.ingestItem.queue, processor, {
    connection: queueConnection,
    prefix: keys.queuePrefix,
    concurrency: config.jobs.concurrency,
    lockDuration: config.jobs.lockDurationMs,
    // A job whose lock lapsed (its worker died) is noticed within one lock duration.
    stalledInterval: config.jobs.lockDurationMs,
    // Out of reach on purpose: at BullMQ's limit a stalled job is failed without its processor
    // running, so nothing records it and its batch stays running forever. The router applies
    // MAX_STALLS instead and records the failure (job-router.ts).
    maxStalledCount: BULLMQ_STALL_LIMIT_OUT_OF_REACH,
  });
  // Connection errors are the connections' to report (once per outage); others are logged.
  reportQueueErrors(worker, 'worker', logger);
  reportQueueErrors(queue, 'ingest queue', logger);
  logger.info(
    { model: embedder.modelId, dim: embedder.dim, concurrency: config.jobs.concurrency, threads: config.model.threads, metricsPort: metricsEndpoint?.port },
    'worker started',
  );
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    const closing = worker.close();
    const finished = await settlesWithin(closing, config.shutdownGraceMs);
    if (!finished) logger.warn({ graceMs: config.shutdownGraceMs }, 'active jobs outlived the grace period; releasing them for retry');
    await embedders.close();
    // Released jobs end quickly once their embeds fail; one still fetching or decoding is
    // left to BullMQ's stalled-job check, which hands it to another worker after its lock lapses.
    if (!finished) await settlesWithin(closing, 2_000);
    await queue.close();
    await metricsEndpoint?.close();
    s3.destroy();
    queueConnection.disconnect();
    redis.disconnect();
    logger.info('worker stopped');
  };
  return {
    embedder,
    metrics,
    metricsPort: metricsEndpoint?.port,
    stop: () => (stopping ??= stop()),
  };
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
