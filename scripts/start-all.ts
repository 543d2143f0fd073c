/**
 * `npm start`: api, worker and indexer in one process on the embedded default (local Redis,
 * local directory store, the shipped model). Each also runs alone: `tsx apps/<app>/src/main.ts`.
 */
import { loadApiConfig, startApi } from '@audio-index/api';
import { loadIndexerConfig, startIndexer } from '@audio-index/indexer';
import { BoundedShutdown, createLogger, dependencyHealth, exitOnStartFailure } from '@audio-index/shared';
import { loadWorkerConfig, startWorker } from '@audio-index/worker';
import { ensureRedis } from './embedded-redis.ts';

/** The API stops accepting and drains its requests first; searches finish well within this. */
const API_DRAIN_BUDGET_MS = 5_000;

const api = loadApiConfig();
const logger = createLogger('all', api.logLevel);
dependencyHealth.useLogger(logger);
// Steps are added as parts start, so a signal during start stops what is running; they run
// api, worker, indexer, then the embedded Redis: nothing accepted is lost on the way down.
const shutdown = new BoundedShutdown({ logger, graceMs: api.shutdownGraceMs });
shutdown.installSignalHandlers();
try {
  const redis = await ensureRedis(api.redis.url, 'data/redis');
  shutdown.add({ name: 'embedded redis', run: redis.stop });
  const indexer = await startIndexer(loadIndexerConfig());
  shutdown.addFirst({ name: 'indexer', run: indexer.stop });
  const worker = await startWorker(loadWorkerConfig());
  shutdown.addFirst({ name: 'worker', run: worker.stop });
  const running = await startApi(api);
  shutdown.addFirst({ name: 'api', run: running.stop, budgetMs: Math.min(api.shutdownGraceMs, API_DRAIN_BUDGET_MS) });
  console.log(`audio-index is up: API at ${running.url} (Redis ${api.redis.url}${redis.started ? ', started here' : ''}; store ${api.store.url})`);
} catch (error) {
  exitOnStartFailure('audio-index', error);
}
