import type { Redis } from 'ioredis';
import {
  readLatestVersion,
  readManifest,
  type Logger,
  type ObjectStore,
  type RedisKeys,
} from '@audio-index/shared';
import { LoadedShard } from './loaded-shard.ts';
import { LoadedSnapshot } from './loaded-snapshot.ts';

export interface SnapshotRegistryOptions {
  store: ObjectStore;
  /** A subscriber connection (it can do nothing else once subscribed). */
  subscriber: Redis;
  redis: Redis;
  keys: RedisKeys;
  cacheDirectory: string;
  pollIntervalMs: number;
  logger: Logger;
}

/**
 * The snapshots being served, one per collection. Reloads are incremental: shards already
 * loaded are reused, new ones fetched and verified, dropped ones released; the new
 * snapshot replaces the old one in a single assignment.
 */
export class SnapshotRegistry {
  private readonly current = new Map<string, LoadedSnapshot>();
  private readonly reloads = new Map<string, Promise<LoadedSnapshot | undefined>>();
  private pollTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SnapshotRegistryOptions) {}

  async start(): Promise<void> {
    const { subscriber, logger } = this.options;
    subscriber.on('message', (_channel: string, message: string) => {
      try {
        const notice = JSON.parse(message) as { collection: string };
        void this.refresh(notice.collection).catch((error: unknown) => logger.error({ err: error }, 'snapshot reload failed'));
      } catch (error) {
        logger.warn({ err: error }, 'ignoring malformed snapshot notice');
      }
    });
    await subscriber.subscribe(this.options.keys.snapshotChannel);
    await this.refreshAll();
    // Pub/sub is fire-and-forget: a notice sent while we reconnect is lost, so also poll.
    this.pollTimer = setInterval(() => void this.refreshAll(), this.options.pollIntervalMs);
    this.pollTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.pollTimer) clearInterval(this.pollTimer);
    await Promise.allSettled(this.reloads.values());
  }

  get(collection: string): LoadedSnapshot | undefined {
    return this.current.get(collection);
  }

  collections(): string[] {
    return [...this.current.keys()];
  }

  private async refreshAll(): Promise<void> {
    try {
      const collections = await this.options.redis.smembers(this.options.keys.collections);
      await Promise.all(collections.map((collection) => this.refresh(collection)));
    } catch (error) {
      this.options.logger.error({ err: error }, 'snapshot poll failed');
    }
  }

  /** Loads the latest version of `collection` if it is newer than the one served. */
  refresh(collection: string): Promise<LoadedSnapshot | undefined> {
    const running = this.reloads.get(collection);
    if (running) {
      // A reload in flight may have read LATEST before the newest publish: chain one more.
      const next = running.then(() => this.reload(collection));
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
    const { store, cacheDirectory, logger } = this.options;
    const served = this.current.get(collection);
    const latest = await readLatestVersion(store, collection);
    if (latest === undefined || (served && served.version >= latest)) return served;
    const started = Date.now();
    const manifest = await readManifest(store, collection, latest);
    const reusable = new Map((served?.shards ?? []).map((shard) => [shard.id, shard]));
    const shards = new Map<string, LoadedShard>();
    let fetched = 0;
    for (const entry of manifest.shards) {
      const existing = reusable.get(entry.id);
      if (existing) shards.set(entry.id, existing);
      else {
        shards.set(entry.id, await LoadedShard.load(store, collection, entry, cacheDirectory));
        fetched += 1;
      }
    }
    const snapshot = new LoadedSnapshot(manifest, shards);
    // Another reload may have finished a newer version meanwhile: never go backwards.
    const now = this.current.get(collection);
    if (!now || now.version < snapshot.version) this.current.set(collection, snapshot);
    logger.info({ collection, version: manifest.version, count: manifest.count, fetched, ms: Date.now() - started }, 'snapshot loaded');
    return this.current.get(collection);
  }
}
