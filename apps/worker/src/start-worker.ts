import { Worker } from 'bullmq';
import { createEmbedder } from '@audio-index/embedding';
import { BatchLedger, createLogger, createRedisConnection, createRedisKeys, jobCatalog } from '@audio-index/shared';
import type { WorkerConfig } from './env.ts';
import { createIngestProcessor } from './ingest-processor.ts';

export interface RunningWorker {
  /** Stops taking jobs, lets active ones finish, closes everything. */
  stop(): Promise<void>;
}

export async function startWorker(config: WorkerConfig): Promise<RunningWorker> {
  const logger = createLogger('worker', config.LOG_LEVEL);
  // Fails here, at start, when the model or the execution provider is unusable.
  const embedder = await createEmbedder({
    model: config.MODEL,
    executionProvider: config.EXECUTION_PROVIDER,
    threads: config.EMBED_THREADS,
  });
  const redis = createRedisConnection(config.REDIS_URL, 'worker-ledger');
  const keys = createRedisKeys(config.REDIS_NAMESPACE);
  const ledger = new BatchLedger(redis, keys);
  const processor = createIngestProcessor({
    embedder,
    ledger,
    logger,
    audio: {
      fetch: {
        maxBytes: config.FETCH_MAX_BYTES,
        connectTimeoutMs: config.FETCH_CONNECT_TIMEOUT_MS,
        totalTimeoutMs: config.FETCH_TOTAL_TIMEOUT_MS,
        maxRedirects: config.FETCH_MAX_REDIRECTS,
        allowPrivateNetworks: config.ALLOW_PRIVATE_NETWORKS,
        fileRoot: config.FILE_ROOT,
      },
      decode: { sampleRate: embedder.sampleRate, maxSeconds: config.MAX_AUDIO_SECONDS, timeoutMs: config.DECODE_TIMEOUT_MS },
    },
  });
  const queueConnection = createRedisConnection(config.REDIS_URL, 'worker-queue');
  const worker = new Worker(jobCatalog.ingestItem.queue, processor, {
    connection: queueConnection,
    prefix: keys.queuePrefix,
    concurrency: config.WORKER_CONCURRENCY,
  });
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  logger.info({ model: embedder.modelId, dim: embedder.dim, concurrency: config.WORKER_CONCURRENCY }, 'worker started');
  return {
    async stop() {
      await worker.close();
      await embedder.close();
      queueConnection.disconnect();
      redis.disconnect();
    },
  };
}
