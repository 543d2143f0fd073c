import { createLogger, createObjectStore, createRedisConnection, createRedisKeys } from '@audio-index/shared';
import type { IndexerConfig } from './env.ts';
import { IndexerService } from './indexer-service.ts';

export interface RunningIndexer {
  stop(): Promise<void>;
}

export async function startIndexer(config: IndexerConfig): Promise<RunningIndexer> {
  const logger = createLogger('indexer', config.LOG_LEVEL);
  const redis = createRedisConnection(config.REDIS_URL, 'indexer');
  const store = createObjectStore(config);
  const service = new IndexerService(config, redis, store, createRedisKeys(config.REDIS_NAMESPACE), logger);
  service.start();
  logger.info({ store: store.location }, 'indexer started');
  return {
    async stop() {
      await service.stop();
      await store.close();
      redis.disconnect();
    },
  };
}
