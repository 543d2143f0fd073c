import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { BatchLedger, createRedisKeys, ingestItemJob, jobCatalog, type BatchStatus, type JobRetryPolicy, type RedisKeys } from '@audio-index/shared';
import { loadWorkerConfig, startWorker, type RunningWorker, type WorkerConfig } from '@audio-index/worker';
import type { Redis } from 'ioredis';
import { connectTestRedis, testServiceEnv, uniqueName } from '../../harness/test-services.ts';

/** Retries in tests: the production schedule (2 s, 4 s, 8 s) with a 100 ms step instead. */
export const quickRetry: JobRetryPolicy = { attempts: 4, backoff: { type: 'exponential', delay: 100 } };

export interface WorkerUnderTest {
  readonly config: WorkerConfig;
  readonly worker: RunningWorker;
  readonly keys: RedisKeys;
  readonly redis: Redis;
  readonly ledger: BatchLedger;
  readonly queue: Queue;
  /** Records a batch and enqueues its items as the API does; returns the batch id. */
  submit(collection: string, items: { id: string; url: string }[], retry?: JobRetryPolicy): Promise<string>;
  /** Polls until every item is embedded or failed (no indexer runs here, so nothing gets "indexed"). */
  waitForOutcomes(batchId: string, timeoutMs?: number): Promise<BatchStatus>;
  stop(): Promise<void>;
}

/** The environment a worker gets in tests: the harness's Redis and S3, a namespace of its own. */
export function workerTestEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ...testServiceEnv(),
    REDIS_NAMESPACE: uniqueName('w').slice(0, 32).replace(/-+$/, ''),
    LOG_LEVEL: 'warn',
    ...overrides,
  };
}

export async function startWorkerUnderTest(env: Record<string, string>): Promise<WorkerUnderTest> {
  const config = loadWorkerConfig(env);
  const worker = await startWorker(config);
  const keys = createRedisKeys(config.redis.namespace);
  const redis = connectTestRedis();
  const ledger = new BatchLedger(redis, keys);
  const queue = new Queue(jobCatalog.ingestItem.queue, { connection: redis, prefix: keys.queuePrefix });
  return {
    config,
    worker,
    keys,
    redis,
    ledger,
    queue,
    async submit(collection, items, retry = quickRetry) {
      const batchId = `b${randomBytes(8).toString('hex')}`;
      await ledger.createBatch(collection, batchId, items.length);
      await queue.addBulk(items.map((item) => ingestItemJob({ v: 1, batchId, collection, itemId: item.id, url: item.url }, retry)));
      return batchId;
    },
    async waitForOutcomes(batchId, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const status = await ledger.status(batchId);
        if (status && status.listing !== 'running' && status.embedded + status.failed >= status.total) return status;
        if (Date.now() > deadline) throw new Error(`batch ${batchId} has no outcome for every item: ${JSON.stringify(status)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      await worker.stop();
      await queue.close();
    },
  };
}
