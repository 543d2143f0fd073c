import { createLogger, createObjectStore, createRedisConnection, createRedisKeys } from '@audio-index/shared';
import type { IndexerConfig } from './env.ts';
import { IndexerService } from './indexer-service.ts';
import { ReindexSchedule } from './reindex/reindex-schedule.ts';
import { serveMetrics, type MetricsEndpoint } from '@audio-index/shared';
import { IndexerMetrics } from './indexer-metrics.ts';

export interface RunningIndexer {
  /** Publish timing; served on INDEXER_METRICS_PORT when set. */
  readonly metrics: IndexerMetrics;
  /** The port `GET /metrics` listens on (INDEXER_METRICS_PORT=0 picks a free one); unset: none. */
  readonly metricsPort: number | undefined;
  stop(): Promise<void>;
}

export async function startIndexer(config: IndexerConfig): Promise<RunningIndexer> {
  const logger = createLogger('indexer', config.logLevel);
  const metrics = new IndexerMetrics();
  // First, so a taken port fails the start before anything is published (the caller exits on it).
  const metricsEndpoint: MetricsEndpoint | undefined =
    config.metrics.port === undefined ? undefined : await serveMetrics(metrics.registry, config.metrics.port, config.metrics.host);
  const redis = createRedisConnection(config.redis.url, 'indexer');
  const store = createObjectStore(config.store);
  const keys = createRedisKeys(config.redis.namespace);
  let schedule: ReindexSchedule;
  try {
    schedule = await ReindexSchedule.start(config.redis.url, redis, keys, config.reindexSchedule, logger);
  } catch (error) {
    await store.close();
    redis.disconnect();
    throw error;
  }
  const service = new IndexerService(config, redis, store, keys, logger, metrics);
  service.start();
  logger.info({ store: store.location, metricsPort: metricsEndpoint?.port }, 'indexer started');
  return {
    metrics,
    metricsPort: metricsEndpoint?.port,
    async stop() {
      await schedule.close();
      await service.stop();
      await metricsEndpoint?.close();
      await store.close();
      redis.disconnect();
    },
  };
}
