/**
 * `npm start`: api, worker and indexer in one process on the embedded default (local Redis,
 * local directory store, the shipped model). Each also runs alone: `tsx apps/<app>/src/main.ts`.
 */
import { loadApiConfig, startApi } from '@audio-index/api';
import { loadIndexerConfig, startIndexer } from '@audio-index/indexer';
import { loadWorkerConfig, startWorker } from '@audio-index/worker';
import { ensureRedis } from './embedded-redis.ts';

const api = loadApiConfig();
const redis = await ensureRedis(api.REDIS_URL, 'data/redis');
const indexer = await startIndexer(loadIndexerConfig());
const worker = await startWorker(loadWorkerConfig());
const running = await startApi(api);
console.log(`audio-index is up: API at ${running.url} (Redis ${api.REDIS_URL}${redis.started ? ', started here' : ''}; store ${api.STORE_URL})`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void (async () => {
      await running.stop();
      await worker.stop();
      await indexer.stop();
      await redis.stop();
      process.exit(0);
    })();
  });
}
