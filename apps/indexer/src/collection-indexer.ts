import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import {
  compareStreamIds,
  decodeStreamFields,
  INDEXER_CONSUMER_GROUP,
  type Logger,
  type ObjectStore,
  type RedisKeys,
  type StreamOperation,
} from '@audio-index/shared';
import { AppliedEntries } from './applied-entries.ts';
import { CollectionState } from './collection-state.ts';
import type { IndexerConfig } from './env.ts';
import { LeaderLock } from './leader-lock.ts';
import { publishSnapshot } from './snapshot-publisher.ts';
import { StreamReader, type RawStreamEntry } from './stream-reader.ts';

export class LostLeadershipError extends Error {
  override readonly name = 'LostLeadershipError';
}

const READ_PAGE = 1000;
const PUBLISH_RETRY_MS = 1000;

export interface CollectionIndexerDeps {
  collection: string;
  /** A connection of its own: XREADGROUP blocks it. */
  blockingRedis: Redis;
  redis: Redis;
  store: ObjectStore;
  keys: RedisKeys;
  config: IndexerConfig;
  logger: Logger;
}

/**
 * The leader loop of one collection: win the lock, load the latest snapshot, then apply the
 * stream and publish; ack only after LATEST is durable. Anything that goes wrong before the
 * ack is repaired by replaying the unacked entries, skipping those the manifest covers.
 */
export class CollectionIndexer {
  private stopped = false;
  private readonly lock: LeaderLock;
  private readonly log: Logger;

  constructor(private readonly deps: CollectionIndexerDeps) {
    this.lock = new LeaderLock(
      deps.redis,
      deps.keys.indexerLock(deps.collection),
      deps.keys.indexerFence(deps.collection),
      deps.config.LEADER_LOCK_TTL_MS,
    );
    this.log = deps.logger.child({ collection: deps.collection });
  }

  stop(): void {
    this.stopped = true;
  }

  async run(): Promise<void> {
    while (!this.stopped) {
      const fence = await this.lock.tryAcquire();
      if (fence === undefined) {
        await sleep(Math.min(1000, this.deps.config.LEADER_LOCK_TTL_MS / 4));
        continue;
      }
      this.log.info({ fence }, 'became indexer leader');
      try {
        await this.lead();
      } catch (error) {
        if (this.stopped) break; // stop() closes the blocking connection under the loop
        if (error instanceof LostLeadershipError) this.log.warn('lost indexer leadership');
        else this.log.error({ err: error }, 'indexer leader loop failed; retrying');
        await sleep(PUBLISH_RETRY_MS);
      } finally {
        await this.lock.release();
      }
    }
  }

  private async lead(): Promise<void> {
    const { store, collection, config } = this.deps;
    const state = await CollectionState.load(store, collection);
    const reader = new StreamReader(this.deps.blockingRedis, this.deps.keys.stream(collection));
    await reader.ensureGroup();
    this.log.info({ version: state.version, count: state.locations.size, offset: state.streamOffset }, 'loaded snapshot');
    let applied = new AppliedEntries();

    while (!this.stopped) {
      const waited = applied.firstAppliedAt === undefined ? 0 : Date.now() - applied.firstAppliedAt;
      const blockMs = applied.size === 0 ? config.PUBLISH_INTERVAL_MS : Math.max(1, config.PUBLISH_INTERVAL_MS - waited);
      const entries = await reader.read(READ_PAGE, blockMs);
      for (const entry of entries) this.apply(state, applied, entry);

      const due =
        applied.size > 0 &&
        (state.pendingChangeCount >= config.PUBLISH_MAX_CHANGES ||
          Date.now() - (applied.firstAppliedAt ?? 0) >= config.PUBLISH_INTERVAL_MS);
      if (!due) continue;
      try {
        await this.publishAndAck(state, applied);
        applied = new AppliedEntries();
      } catch (error) {
        if (error instanceof LostLeadershipError) throw error;
        // The store may be down: keep the changes, keep serving the old snapshot, try again.
        this.log.error({ err: error }, 'publish failed; will retry');
        await sleep(PUBLISH_RETRY_MS);
      }
      if (!(await this.lock.isHeld())) throw new LostLeadershipError();
    }
  }

  private apply(state: CollectionState, applied: AppliedEntries, entry: RawStreamEntry): void {
    applied.add(entry.id);
    let operation: StreamOperation;
    try {
      operation = decodeStreamFields(entry.fields);
    } catch (error) {
      this.log.error({ err: error, entryId: entry.id }, 'dropping malformed stream entry');
      return;
    }
    const alreadyPublished = compareStreamIds(entry.id, state.streamOffset) <= 0;
    if (operation.op === 'delete') {
      if (!alreadyPublished) state.delete(operation.id);
      return;
    }
    const model = state.model;
    if (model && (model.id !== operation.modelId || model.dim !== operation.vector.length)) {
      applied.reject(operation.batchId, {
        id: operation.id,
        url: operation.url ?? '',
        code: 'MODEL_MISMATCH',
        message: `collection holds ${model.id} (d=${model.dim}); got ${operation.modelId} (d=${operation.vector.length})`,
        attempts: 1,
      });
      return;
    }
    // Entries at or below the manifest's offset are in the snapshot already: only credit them.
    if (!alreadyPublished) {
      state.model ??= { id: operation.modelId, dim: operation.vector.length };
      state.upsert(operation.id, { vector: operation.vector, url: operation.url, metadata: operation.metadata });
    }
    applied.creditIndexed(operation.batchId);
  }

  private async publishAndAck(state: CollectionState, applied: AppliedEntries): Promise<void> {
    const { redis, store, collection, keys } = this.deps;
    const lastEntryId = applied.lastEntryId;
    if (!lastEntryId) return;
    if (state.hasPendingChanges && state.model) {
      const started = Date.now();
      const result = await publishSnapshot(store, state, lastEntryId, async () => {
        if (!(await this.lock.isHeld())) throw new LostLeadershipError();
      });
      this.log.info(
        { version: result.manifest.version, count: result.manifest.count, shards: result.manifest.shards.length, ms: Date.now() - started },
        'published snapshot',
      );
      await redis.publish(keys.snapshotChannel, JSON.stringify({ collection, version: result.manifest.version }));
    }
    const streamKey = keys.stream(collection);
    const transaction = redis.multi();
    transaction.xack(streamKey, INDEXER_CONSUMER_GROUP, ...applied.entryIds);
    // Acked entries are never needed again: deleting them keeps the stream bounded.
    transaction.xdel(streamKey, ...applied.entryIds);
    for (const [batchId, count] of applied.indexedByBatch) transaction.hincrby(keys.batch(collection, batchId), 'indexed', count);
    for (const { batchId, failure } of applied.failures) {
      transaction.hincrby(keys.batch(collection, batchId), 'failed', 1);
      transaction.rpush(keys.batchFailures(collection, batchId), JSON.stringify(failure));
    }
    await transaction.exec();
  }
}
