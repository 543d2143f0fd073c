import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  CollectionCatalog,
  CollectionCommands,
  createRedisConnection,
  isAppError,
  reportQueueErrors,
  type Logger,
  type RedisKeys,
  type ReindexMode,
} from '@audio-index/shared';

/** The queue of scheduled reindex runs (BullMQ job scheduler), beside `ingest`. */
const REINDEX_SCHEDULE_QUEUE = 'reindex-schedule';
const SCHEDULER_ID = 'reindex-cron';

export interface ReindexScheduleConfig {
  /** Cron expression (BullMQ/cron-parser syntax, optional seconds field); unset removes the schedule. */
  cron: string | undefined;
  mode: ReindexMode;
  /** Collections to reindex; empty: every collection. */
  collections: readonly string[];
  /** Model the reindex moves to (built-in name or card path); unset: each collection's model. */
  model: string | undefined;
}

interface ScheduledReindex {
  mode: ReindexMode;
  collections: string[];
  model?: string | undefined;
}

/**
 * Scheduled reindex: a BullMQ job scheduler emits one job per cron tick on its own queue,
 * and whichever indexer process takes it asks for a reindex of each collection, exactly as
 * `POST /v1/collections/:c/reindex` does. A collection still reindexing is skipped for that
 * tick. Every indexer upserts the same scheduler id, so running several schedules nothing twice.
 */
export class ReindexSchedule {
  private constructor(
    private readonly queue: Queue,
    private readonly worker: Worker | undefined,
    private readonly workerConnection: Redis | undefined,
  ) {}

  static async start(redisUrl: string, redis: Redis, keys: RedisKeys, config: ReindexScheduleConfig, logger: Logger): Promise<ReindexSchedule> {
    const queue = new Queue(REINDEX_SCHEDULE_QUEUE, { connection: redis, prefix: keys.queuePrefix });
    reportQueueErrors(queue, 'reindex schedule queue', logger);
    if (!config.cron) {
      // In the background: an indexer without a schedule must not wait on Redis to start.
      queue.removeJobScheduler(SCHEDULER_ID).catch((error: unknown) => logger.warn({ err: error }, 'could not remove the reindex schedule'));
      return new ReindexSchedule(queue, undefined, undefined);
    }
    const data: ScheduledReindex = { mode: config.mode, collections: [...config.collections], ...(config.model ? { model: config.model } : {}) };
    try {
      await queue.upsertJobScheduler(
        SCHEDULER_ID,
        { pattern: config.cron },
        { name: 'scheduled-reindex', data, opts: { removeOnComplete: 100, removeOnFail: 100 } },
      );
    } catch (error) {
      await queue.close();
      throw new Error(`REINDEX_CRON ${JSON.stringify(config.cron)} is not a usable cron expression: ${(error as Error).message}`, { cause: error });
    }
    const commands = new CollectionCommands(redis, keys);
    const catalog = new CollectionCatalog(redis, keys);
    const workerConnection = createRedisConnection(redisUrl, 'indexer-reindex-schedule');
    const worker = new Worker(
      REINDEX_SCHEDULE_QUEUE,
      async (job: Job<ScheduledReindex>) => {
        const known = new Set(await catalog.names());
        const collections = job.data.collections.length > 0 ? job.data.collections : [...known];
        const started: string[] = [];
        for (const collection of collections) {
          if (!known.has(collection)) {
            logger.warn({ collection }, 'scheduled reindex: no such collection');
            continue;
          }
          try {
            const { reindexId } = await commands.requestReindex(collection, { mode: job.data.mode, model: job.data.model });
            started.push(reindexId);
            logger.info({ collection, reindexId, mode: job.data.mode }, 'scheduled reindex started');
          } catch (error) {
            if (isAppError(error) && error.code === 'REINDEX_IN_PROGRESS') logger.info({ collection }, 'scheduled reindex skipped: one is running');
            else throw error;
          }
        }
        return { started };
      },
      { connection: workerConnection, prefix: keys.queuePrefix, concurrency: 1 },
    );
    reportQueueErrors(worker, 'reindex schedule worker', logger);
    logger.info({ cron: config.cron, mode: config.mode, collections: config.collections }, 'reindex scheduled');
    return new ReindexSchedule(queue, worker, workerConnection);
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    this.workerConnection?.disconnect();
  }
}
