import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { CollectionCatalog, createRedisConnection, type Logger, type ObjectStore, type RedisKeys } from '@audio-index/shared';
import { CollectionIndexer } from './collection-indexer.ts';
import type { CollectionIndexerOptions, IndexerConfig } from './env.ts';
import type { IndexerMetrics } from './indexer-metrics.ts';
import { StreamWatcher } from './stream-watcher.ts';

interface RunningCollection {
  indexer: CollectionIndexer;
  done: Promise<void>;
}

/** A crashed collection loop restarts after this, doubling per crash in a row up to the max. */
const RESTART_FIRST_MS = 500;
const RESTART_MAX_MS = 30_000;
/** A loop that ran this long without crashing starts its backoff over. */
const RESTART_RESET_AFTER_MS = 60_000;

/**
 * Runs one leader loop per collection, all over the same two Redis connections: `redis` for
 * commands (leases, fenced reads, commits) and one the stream watcher blocks on. A collection
 * costs memory and a timer, never a connection (issue 11 item 2).
 *
 * Collections appear when the API first accepts an item for them (`ai:{meta}:collections`);
 * the service picks them up by polling, at most `MAX_COLLECTIONS` of them (the API refuses
 * more), stops the loops of names that went away, and asks the leader of a collection marked
 * for deletion to drop it.
 */
export class IndexerService {
  private readonly running = new Map<string, RunningCollection>();
  private stopped = false;
  private discovery: Promise<void> | undefined;
  private readonly watcher: StreamWatcher;

  constructor(
    /** Its own groups, and each collection's loop's. */
    private readonly config: Pick<IndexerConfig, 'redis' | 'discovery'> & CollectionIndexerOptions,
    private readonly redis: Redis,
    private readonly store: ObjectStore,
    private readonly keys: RedisKeys,
    private readonly logger: Logger,
    private readonly metrics?: IndexerMetrics,
  ) {
    this.watcher = new StreamWatcher(createRedisConnection(config.redis.url, `${keys.namespace}-indexer-watch`), logger);
  }

  start(): void {
    this.discovery = this.discoverLoop();
  }

  /** Collections with a loop in this process (tests, metrics). */
  get collectionCount(): number {
    return this.running.size;
  }

  private async discoverLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.discover();
      } catch (error) {
        this.logger.error({ err: error }, 'collection discovery failed');
      }
      await sleep(this.config.discovery.intervalMs);
    }
  }

  private async discover(): Promise<void> {
    const catalog = new CollectionCatalog(this.redis, this.keys);
    const [names, deleting] = await Promise.all([catalog.names(), catalog.deleting()]);
    const known = new Set(names);
    for (const [collection, entry] of this.running) {
      if (!known.has(collection)) entry.indexer.stop(); // deleted (by another indexer's leader, or here)
    }
    // Sorted: with more names than the cap (set by hand, or an older API), every indexer serves the same ones.
    for (const collection of [...known].sort().slice(0, this.config.discovery.maxCollections)) {
      if (!this.running.has(collection)) this.startCollection(collection);
    }
    for (const collection of deleting) this.running.get(collection)?.indexer.requestDrop();
  }

  private startCollection(collection: string): void {
    const entry: RunningCollection = { indexer: this.createIndexer(collection), done: Promise.resolve() };
    entry.done = this.supervise(collection, entry).finally(() => {
      if (this.running.get(collection) === entry) this.running.delete(collection);
    });
    this.running.set(collection, entry);
  }

  private createIndexer(collection: string): CollectionIndexer {
    const { config, redis, store, keys, logger, metrics } = this;
    return new CollectionIndexer({ collection, streamWatcher: this.watcher, redis, store, keys, config, logger, ...(metrics ? { metrics } : {}) });
  }

  /**
   * Keeps a collection's loop running. `run()` handles every expected failure itself (Redis or
   * the store down, lost leadership); what escapes it is a bug or a broken invariant, and the
   * loop starts over with a fresh state after a growing pause instead of leaving the
   * collection unserved until the process restarts.
   */
  private async supervise(collection: string, entry: RunningCollection): Promise<void> {
    let crashes = 0;
    while (!this.stopped) {
      const started = Date.now();
      try {
        await entry.indexer.run();
        return; // stopped, dropped, or no longer a collection
      } catch (error) {
        if (this.stopped) return;
        crashes = Date.now() - started >= RESTART_RESET_AFTER_MS ? 1 : crashes + 1;
        const pauseMs = Math.min(RESTART_MAX_MS, RESTART_FIRST_MS * 2 ** (crashes - 1));
        this.logger.error({ err: error, collection, crashes, pauseMs }, 'collection indexer crashed; restarting');
        await sleep(pauseMs);
        if (this.stopped) return;
        entry.indexer = this.createIndexer(collection);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const { indexer } of this.running.values()) indexer.stop();
    // Wakes every leader waiting for entries so the loops notice the stop promptly.
    const closing = this.watcher.close();
    await Promise.allSettled([...this.running.values()].map((entry) => entry.done));
    await closing;
    await this.discovery;
  }
}
