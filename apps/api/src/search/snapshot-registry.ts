import type { Redis } from 'ioredis';
import { CollectionCatalog, readLatestVersion, readManifest, SnapshotNotices, type Logger, type ObjectStore, type RedisKeys } from '@audio-index/shared';
import { LoadedShard } from './loaded-shard.ts';
import { LoadedSnapshot } from './loaded-snapshot.ts';
import type { SearchThreadPool } from './search-thread-pool.ts';
import { redisUnavailable } from '../http/request-redis.ts';

export interface SnapshotRegistryOptions {
  store: ObjectStore;
  /** A subscriber connection (it can do nothing else once subscribed). */
  subscriber: Redis;
  redis: Redis;
  keys: RedisKeys;
  /** Where shard files are staged while they are read into memory. */
  cacheDirectory: string;
  pollIntervalMs: number;
  logger: Logger;
  pool: SearchThreadPool;
  /** Told of every snapshot put into service (metrics). */
  onLoaded?: (snapshot: LoadedSnapshot, fetchedShards: number, seconds: number) => void;
}

/**
 * The snapshots being served, one per collection. Reloads are incremental: shards already
 * loaded are reused, new ones fetched and verified, dropped ones released; the new
 * snapshot replaces the old one in a single assignment, after every search thread has its
 * view. Queries already running on the old view finish on it: each thread handles its
 * messages in order, so the old view is dropped only after searches posted before it.
 */
export class SnapshotRegistry {
  private readonly current = new Map<string, LoadedSnapshot>();
  private readonly reloads = new Map<string, Promise<LoadedSnapshot | undefined>>();
  private pollTimer: NodeJS.Timeout | undefined;
  private initialLoadDone = false;

  private readonly catalog: CollectionCatalog;

  constructor(private readonly options: SnapshotRegistryOptions) {
    this.catalog = new CollectionCatalog(options.redis, options.keys);
  }

  async start(): Promise<void> {
    const { subscriber, logger } = this.options;
    await new SnapshotNotices(this.options.redis, this.options.keys).subscribe(
      subscriber,
      (notice) => void this.refresh(notice.collection).catch((error: unknown) => logger.error({ err: error }, 'snapshot reload failed')),
      (message) => logger.warn({ message: message.slice(0, 200) }, 'ignoring malformed snapshot notice'),
    );
    await this.refreshAll();
    this.initialLoadDone = true;
    // Pub/sub is fire-and-forget: a notice sent while we reconnect is lost, so also poll.
    this.pollTimer = setInterval(() => void this.refreshAll(), this.options.pollIntervalMs);
    this.pollTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.pollTimer) clearInterval(this.pollTimer);
    await Promise.allSettled(this.reloads.values());
  }

  /** True once every collection known at start was loaded (or found unpublished). */
  get ready(): boolean {
    return this.initialLoadDone;
  }

  get(collection: string): LoadedSnapshot | undefined {
    return this.current.get(collection);
  }

  collections(): string[] {
    return [...this.current.keys()];
  }

  snapshots(): LoadedSnapshot[] {
    return [...this.current.values()];
  }

  private async refreshAll(): Promise<void> {
    try {
      const collections = await this.catalog.names();
      // Served collections no longer named were deleted: refreshing finds no LATEST and forgets them.
      await Promise.all([...new Set([...collections, ...this.current.keys()])].map((collection) => this.refresh(collection)));
    } catch (error) {
      // Redis down is logged once by the connection's health watch; the command connection
      // fails each poll at once now (http/request-redis.ts), so no stack per poll for that.
      if (redisUnavailable(error)) this.options.logger.debug({ reason: (error as Error).message }, 'snapshot poll skipped: Redis unavailable');
      else this.options.logger.error({ err: error }, 'snapshot poll failed');
    }
  }

  /** Loads the latest version of `collection` if it is newer than the one served. */
  refresh(collection: string): Promise<LoadedSnapshot | undefined> {
    const running = this.reloads.get(collection);
    if (running) {
      // A reload in flight may have read LATEST before the newest publish: chain one more.
      const next = running.catch(() => undefined).then(() => this.reload(collection));
      this.reloads.set(collection, next);
      return next.finally(() => {
        if (this.reloads.get(collection) === next) this.reloads.delete(collection);
      });
    }
    const reload = this.reload(collection);
    this.reloads.set(collection, reload);
    return reload.finally(() => {
      if (this.reloads.get(collection) === reload) this.reloads.delete(collection);
    });
  }

  private async reload(collection: string): Promise<LoadedSnapshot | undefined> {
    const { store, cacheDirectory, logger, pool } = this.options;
    const served = this.current.get(collection);
    const latest = await readLatestVersion(store, collection);
    if (latest === undefined && served && !(await this.catalog.has(collection))) {
      // DELETE /v1/collections/:c: the indexer removed the snapshots and then the name.
      this.current.delete(collection);
      pool.dropView(served.viewKey);
      for (const shard of served.shards) pool.dropShard(shard.key);
      logger.info({ collection }, 'collection deleted; snapshot dropped');
      return undefined;
    }
    if (latest === undefined || (served && served.version >= latest)) return served;
    const started = process.hrtime.bigint();
    const manifest = await readManifest(store, collection, latest);
    const reusable = new Map((served?.shards ?? []).map((shard) => [shard.id, shard]));
    const shards = new Map<string, LoadedShard>();
    const fetched: LoadedShard[] = [];
    try {
      for (const entry of manifest.shards) {
        const existing = reusable.get(entry.id);
        if (existing) shards.set(entry.id, existing);
        else {
          const shard = await LoadedShard.load(store, collection, entry, cacheDirectory);
          pool.addShard(shard.key, shard.dim, shard.vectors);
          fetched.push(shard);
          shards.set(entry.id, shard);
        }
      }
    } catch (error) {
      for (const shard of fetched) pool.dropShard(shard.key);
      throw error;
    }
    const snapshot = new LoadedSnapshot(manifest, shards, pool);
    pool.addView(snapshot.viewKey, snapshot.viewParts());
    // Reloads of one collection are chained (refresh), so `served` is still the current one.
    this.current.set(collection, snapshot);
    if (served) {
      pool.dropView(served.viewKey);
      for (const shard of served.shards) if (!shards.has(shard.id)) pool.dropShard(shard.key);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.options.onLoaded?.(snapshot, fetched.length, seconds);
    logger.info({ collection, version: manifest.version, count: manifest.count, fetched: fetched.length, ms: Math.round(seconds * 1000) }, 'snapshot loaded');
    return snapshot;
  }
}
