import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { createRedisConnection, type Logger, type ObjectStore, type RedisKeys } from '@audio-index/shared';
import { CollectionIndexer } from './collection-indexer.ts';
import type { IndexerConfig } from './env.ts';

interface RunningCollection {
  indexer: CollectionIndexer;
  blockingRedis: Redis;
  done: Promise<void>;
}

/**
 * Runs one leader loop per collection. Collections appear when the API first accepts an
 * item for them (`ai:{meta}:collections`); the service picks them up by polling.
 */
export class IndexerService {
  private readonly running = new Map<string, RunningCollection>();
  private stopped = false;
  private discovery: Promise<void> | undefined;

  constructor(
    private readonly config: IndexerConfig,
    private readonly redis: Redis,
    private readonly store: ObjectStore,
    private readonly keys: RedisKeys,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.discovery = this.discoverLoop();
  }

  private async discoverLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        const collections = await this.redis.smembers(this.keys.collections);
        for (const collection of collections) if (!this.running.has(collection)) this.startCollection(collection);
      } catch (error) {
        this.logger.error({ err: error }, 'collection discovery failed');
      }
      await sleep(this.config.COLLECTION_DISCOVERY_INTERVAL_MS);
    }
  }

  private startCollection(collection: string): void {
    const blockingRedis = createRedisConnection(this.config.REDIS_URL, `indexer-${collection}`);
    const indexer = new CollectionIndexer({
      collection,
      blockingRedis,
      redis: this.redis,
      store: this.store,
      keys: this.keys,
      config: this.config,
      logger: this.logger,
    });
    const done = indexer.run().catch((error: unknown) => this.logger.error({ err: error, collection }, 'collection indexer crashed'));
    this.running.set(collection, { indexer, blockingRedis, done });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const { indexer } of this.running.values()) indexer.stop();
    // Unblock XREADGROUP calls so the loops notice the stop promptly.
    for (const { blockingRedis } of this.running.values()) blockingRedis.disconnect();
    await Promise.allSettled([...this.running.values()].map((entry) => entry.done));
    await this.discovery;
  }
}
