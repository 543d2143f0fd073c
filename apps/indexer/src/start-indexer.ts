import { createLogger, createObjectStore, createRedisConnection, createRedisKeys, ReindexSchedule } from '@audio-index/shared';
import type { IndexerConfig } from './env.ts';
import { IndexerService } from './indexer-service.ts';

export interface RunningIndexer {
  stop(): Promise<void>;
}

export async function startIndexer(config: IndexerConfig): Promise<RunningIndexer> {
  const logger = createLogger('indexer', config.LOG_LEVEL);
  const redis = createRedisConnection(config.REDIS_URL, 'indexer');
  const store = createObjectStore(config);
  const keys = createRedisKeys(config.REDIS_NAMESPACE);
  let schedule: ReindexSchedule;
  try {
    schedule = await ReindexSchedule.start(
      config.REDIS_URL,
      redis,
      keys,
      { cron: config.REINDEX_CRON, mode: config.REINDEX_CRON_MODE, collections: config.REINDEX_CRON_COLLECTIONS, model: config.REINDEX_CRON_MODEL },
      logger,
    );
  } catch (error) {
    await store.close();
    redis.disconnect();
    throw error;
  }
  const service = new IndexerService(config, redis, store, keys, logger);
  service.start();
  logger.info({ store: store.location }, 'indexer started');
  return {
    async stop() {
      await schedule.close();
      await service.stop();
      await store.close();
      redis.disconnect();
    },
  };
}
