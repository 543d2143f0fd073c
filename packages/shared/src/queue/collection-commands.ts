import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';
import { newBatchId } from '../names.ts';
import type { RedisKeys } from '../redis-keys.ts';
import { BatchLedger } from './batch-ledger.ts';
import { encodeStreamFields, type ReindexMode, type StreamOperation } from './stream-entry.ts';

export interface ReindexRequestInput {
  mode: ReindexMode;
  /** What workers load the new model by: a built-in name or a card path. Unset: the collection's model. */
  model?: string | undefined;
}

/** The card behind `model`, when the caller resolved it: fixes the new generation's model up front. */
export interface ReindexTarget {
  id: string;
  dim: number;
}

// Starts a reindex only when none is running, and queues it in the stream in the same step.
const START_REINDEX = `
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return redis.call('GET', KEYS[1]) or '' end
redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
return 1`;

type CommandsRedis = Redis & { startReindex(...args: string[]): Promise<number | string> };

/**
 * Changes the API asks of a collection that are not new vectors. They travel through the
 * collection's stream, so the indexer (the store's only writer) applies them in order with
 * the vectors around them.
 */
export class CollectionCommands {
  private readonly redis: CommandsRedis;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.redis = redis as CommandsRedis;
    if (!('startReindex' in redis)) redis.defineCommand('startReindex', { numberOfKeys: 2, lua: START_REINDEX });
  }

  /**
   * Deletes the collection: its snapshots, batches, stream and settings (`DELETE
   * /v1/collections/:c`). Marks it here, so the API takes no new items for it from now on; its
   * indexer leader then removes its store objects and Redis keys and finally the name, which
   * can then be used again (apps/indexer/src/collection-drop.ts).
   */
  async deleteCollection(collection: string): Promise<void> {
    await this.redis.sadd(this.keys.collectionsDeleting, collection);
  }

  /** Hides `id` from the next snapshot on; returns the stream entry id. */
  async deleteItem(collection: string, id: string): Promise<string> {
    return this.append(collection, { op: 'delete', id });
  }

  /**
   * Rollback: the indexer publishes a new version holding exactly the shards and tombstones
   * of `version` (changes queued after this call apply on top of it). The version must still
   * exist: check `readManifest(store, collection, version)` first to answer 404; a version
   * retention removes before the indexer gets here is skipped and logged. Returns the entry id.
   */
  async activateVersion(collection: string, version: number): Promise<string> {
    if (!Number.isInteger(version) || version <= 0) throw new RangeError(`bad snapshot version ${version}`);
    return this.append(collection, { op: 'activate', version });
  }

  /**
   * Re-embeds the collection into a new generation, served once complete (the indexer plans
   * it: apps/indexer/README.md, "Reindex"). The reindex id is a batch id: `GET
   * /v1/batches/:reindexId` shows its progress. One reindex per collection at a time: a
   * second one while the first builds is refused with REINDEX_IN_PROGRESS.
   */
  async requestReindex(collection: string, request: ReindexRequestInput, target?: ReindexTarget): Promise<{ reindexId: string }> {
    const activeKey = this.keys.reindexActive(collection);
    const running = await this.redis.get(activeKey);
    if (running) throw inProgress(collection, running);
    const reindexId = newBatchId('reindex');
    // The batch exists before the indexer can see the request; it stays "running" (its
    // listing runs) until the indexer has counted the items to re-embed.
    await new BatchLedger(this.redis, this.keys).createBatch(collection, reindexId, 0, { listing: true });
    const operation: StreamOperation = { op: 'reindex', reindexId, mode: request.mode, model: request.model, modelId: target?.id, dim: target?.dim };
    const started = await this.redis.startReindex(activeKey, this.keys.stream(collection), reindexId, ...(encodeStreamFields(operation) as string[]));
    if (started !== 1) {
      // Two slots (the collection's tag and the global one): one DEL each, as Redis Cluster requires.
      await this.redis.del(this.keys.batch(collection, reindexId));
      await this.redis.del(this.keys.batchCollection(reindexId));
      throw inProgress(collection, String(started));
    }
    return { reindexId };
  }

  private async append(collection: string, operation: StreamOperation): Promise<string> {
    const entryId = await this.redis.xadd(this.keys.stream(collection), '*', ...(encodeStreamFields(operation) as string[]));
    if (!entryId) throw new Error('XADD returned no id');
    return entryId;
  }
}

function inProgress(collection: string, reindexId: string): AppError {
  return new AppError('REINDEX_IN_PROGRESS', `collection ${collection} is being reindexed (${reindexId}); wait for it to finish`, {
    details: { reindexId },
  });
}
