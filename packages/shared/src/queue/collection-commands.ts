import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';
import { newBatchId } from '../names.ts';
import type { RedisKeys } from '../redis-keys.ts';
import { BatchLedger } from './batch-ledger.ts';
import { CollectionCatalog } from './collection-catalog.ts';
import { CollectionStream } from './collection-stream.ts';
import type { ReindexMode } from './stream-entry.ts';

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

/**
 * Changes the API asks of a collection that are not new vectors. They travel through the
 * collection's stream, so the indexer (the store's only writer) applies them in order with
 * the vectors around them.
 */
export class CollectionCommands {
  private readonly stream: CollectionStream;
  private readonly catalog: CollectionCatalog;
  private readonly ledger: BatchLedger;

  constructor(redis: Redis, keys: RedisKeys) {
    this.stream = new CollectionStream(redis, keys);
    this.catalog = new CollectionCatalog(redis, keys);
    this.ledger = new BatchLedger(redis, keys);
  }

  /**
   * Deletes the collection: its snapshots, batches, stream and settings (`DELETE
   * /v1/collections/:c`). Marks it here, so the API takes no new items for it from now on; its
   * indexer leader then removes its store objects and Redis keys and finally the name, which
   * can then be used again (apps/indexer/src/collection-drop.ts). Jobs of it still queued
   * append nothing from here on (record-embedded.lua).
   */
  async deleteCollection(collection: string): Promise<void> {
    await this.catalog.markDeleting(collection);
  }

  /** Hides `id` from the next snapshot on; returns the stream entry id. */
  async deleteItem(collection: string, id: string): Promise<string> {
    return this.stream.append(collection, { op: 'delete', id });
  }

  /**
   * Rollback: the indexer publishes a new version holding exactly the shards and tombstones
   * of `version` (changes queued after this call apply on top of it). The version must still
   * exist: check `readManifest(store, collection, version)` first to answer 404; a version
   * retention removes before the indexer gets here is skipped and logged. Returns the entry id.
   */
  async activateVersion(collection: string, version: number): Promise<string> {
    if (!Number.isInteger(version) || version <= 0) throw new RangeError(`bad snapshot version ${version}`);
    return this.stream.append(collection, { op: 'activate', version });
  }

  /**
   * Re-embeds the collection into a new generation, served once complete (the indexer plans
   * it: apps/indexer/README.md, "Reindex"). The reindex id is a batch id: `GET
   * /v1/batches/:reindexId` shows its progress. One reindex per collection at a time: a
   * second one while the first builds is refused with REINDEX_IN_PROGRESS.
   */
  async requestReindex(collection: string, request: ReindexRequestInput, target?: ReindexTarget): Promise<{ reindexId: string }> {
    const running = await this.stream.activeReindex(collection);
    if (running) throw inProgress(collection, running);
    const reindexId = newBatchId('reindex');
    // The batch exists before the indexer can see the request; it stays "running" (its
    // listing runs) until the indexer has counted the items to re-embed.
    await this.ledger.createBatch(collection, reindexId, 0, { listing: true });
    const started = await this.stream.appendReindex(collection, {
      op: 'reindex',
      reindexId,
      mode: request.mode,
      model: request.model,
      modelId: target?.id,
      dim: target?.dim,
    });
    if (!started.started) {
      await this.ledger.discardBatch(collection, reindexId);
      throw inProgress(collection, started.running);
    }
    return { reindexId };
  }
}

function inProgress(collection: string, reindexId: string): AppError {
  return new AppError('REINDEX_IN_PROGRESS', `collection ${collection} is being reindexed (${reindexId}); wait for it to finish`, {
    details: { reindexId },
  });
}
