import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.ts';
import { DEFAULT_BATCH_RETENTION_SECONDS } from './batch-retention.ts';
import { CollectionCatalog } from './collection-catalog.ts';
import { CollectionStream, OUTCOME_MARKER_TTL_SECONDS, type EmbeddedItem } from './collection-stream.ts';
import { LuaScript } from './lua-script.ts';

export interface ItemFailure {
  id: string;
  url: string;
  code: string;
  message: string;
  attempts: number;
}

/** Only batches made from a `source` have a listing: it runs until every page is enqueued. */
export type ListingState = 'running' | 'done';

export interface BatchStatus {
  batchId: string;
  collection: string;
  /** Grows page by page while a source is being listed. */
  total: number;
  embedded: number;
  failed: number;
  indexed: number;
  state: 'running' | 'done';
  listing?: ListingState | undefined;
  createdAt: string;
  failures: ItemFailure[];
}

/** What `BatchLedger.reindexProgress` reads of a reindex batch. */
export interface ReindexProgress {
  total: number;
  built: number;
  failed: number;
  listing: ListingState | undefined;
}

const recordFailureScript = LuaScript.fromFile(new URL('./lua/record-failure.lua', import.meta.url));
const recordListedPageScript = LuaScript.fromFile(new URL('./lua/record-listed-page.lua', import.meta.url));
const recordListingFailureScript = LuaScript.fromFile(new URL('./lua/record-listing-failure.lua', import.meta.url));
const confirmBatchScript = LuaScript.fromFile(new URL('./lua/confirm-batch.lua', import.meta.url));

/** What a recording script answers (record-failure.lua and its kin): 2 means the batch is done now. */
const RECORDED = 1;
const RECORDED_AND_DONE = 2;

export interface BatchLedgerOptions {
  /** How long a done batch's keys stay (BATCH_RETENTION_SECONDS). */
  retentionSeconds?: number;
}

/**
 * The batch record: what was accepted, what became of each item. Every change is one
 * atomic Redis step, so counters never drift from the stream and failure list.
 */
export class BatchLedger {
  private readonly retentionSeconds: number;
  private readonly catalog: CollectionCatalog;
  private readonly stream: CollectionStream;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    options: BatchLedgerOptions = {},
  ) {
    this.retentionSeconds = options.retentionSeconds ?? DEFAULT_BATCH_RETENTION_SECONDS;
    this.catalog = new CollectionCatalog(redis, keys);
    this.stream = new CollectionStream(redis, keys);
  }

  /**
   * `listing: true` for a batch whose items a listing job will add page by page.
   * `acceptingSeconds`: the record expires unless `confirmBatch` is called within that time,
   * so a producer that dies (or loses Redis) between recording the batch and queueing its
   * jobs leaves no batch running forever (issue 11, item 4).
   */
  async createBatch(collection: string, batchId: string, total: number, options: { listing?: boolean; acceptingSeconds?: number } = {}): Promise<void> {
    const batchKey = this.keys.batch(collection, batchId);
    const record = this.redis.multi().hset(batchKey, {
      collection,
      total,
      embedded: 0,
      failed: 0,
      indexed: 0,
      createdAt: new Date().toISOString(),
      ...(options.listing ? { listing: 'running', listedPages: 0 } : {}),
    });
    if (options.acceptingSeconds !== undefined) record.expire(batchKey, options.acceptingSeconds);
    await record.exec();
    // The lookup after the record: a lookup whose record is missing means the batch is gone (status).
    const lookupKey = this.keys.batchCollection(batchId);
    if (options.acceptingSeconds !== undefined) await this.redis.set(lookupKey, collection, 'EX', options.acceptingSeconds);
    else await this.redis.set(lookupKey, collection);
    await this.catalog.add(collection);
  }

  /**
   * Every job of a batch made with `acceptingSeconds` is queued: the record stays until the
   * batch is done (then BATCH_RETENTION_SECONDS more).
   */
  async confirmBatch(collection: string, batchId: string): Promise<void> {
    const done = await confirmBatchScript.run(
      this.redis,
      [this.keys.batch(collection, batchId), this.keys.batchFailures(collection, batchId)],
      [this.retentionSeconds],
    );
    if (done === 1) await this.expireLookups([batchId]);
    else await this.redis.persist(this.keys.batchCollection(batchId));
  }

  /**
   * Removes a batch whose accept failed (its caller was told so and never saw the id), or a
   * reindex that could not start. Jobs of it that did get queued find no batch and append
   * nothing (record-embedded.lua).
   */
  async discardBatch(collection: string, batchId: string): Promise<void> {
    // Two slots (the collection's tag and the meta one): one DEL each, as Redis Cluster requires.
    await this.redis.del(this.keys.batch(collection, batchId), this.keys.batchFailures(collection, batchId));
    await this.redis.del(this.keys.batchCollection(batchId));
  }

  /**
   * Appends the item to the collection stream and counts it, once per job (CollectionStream).
   * Returns the stream entry id, or `null` when nothing was appended: this job's outcome was
   * recorded already, or its batch is gone, or its collection is being deleted.
   */
  async recordEmbedded(collection: string, jobId: string, operation: EmbeddedItem): Promise<string | null> {
    const appended = await this.stream.appendUpsert(collection, jobId, operation);
    return appended.outcome === 'appended' ? appended.entryId : null;
  }

  /** Returns false when this job's outcome was already recorded (or its batch is gone). */
  async recordFailure(collection: string, batchId: string, jobId: string, failure: ItemFailure): Promise<boolean> {
    const answer = await recordFailureScript.run(
      this.redis,
      [this.keys.jobOutcome(collection, jobId), this.keys.batch(collection, batchId), this.keys.batchFailures(collection, batchId)],
      [OUTCOME_MARKER_TTL_SECONDS, JSON.stringify(failure), this.retentionSeconds],
    );
    return this.recorded(batchId, answer);
  }

  /**
   * Adds page `page`'s (0-based) item count to the total once, however often the page's
   * listing job runs; `last` ends the listing. Returns false when the page was already counted.
   */
  async recordListedPage(collection: string, batchId: string, page: number, count: number, last: boolean): Promise<boolean> {
    const answer = await recordListedPageScript.run(
      this.redis,
      [this.keys.batch(collection, batchId), this.keys.batchFailures(collection, batchId)],
      [page, count, last ? '1' : '0', this.retentionSeconds],
    );
    return this.recorded(batchId, answer);
  }

  /** Ends a listing that cannot go on, recording the source as one failed item. */
  async recordListingFailure(collection: string, batchId: string, failure: ItemFailure): Promise<boolean> {
    const answer = await recordListingFailureScript.run(
      this.redis,
      [this.keys.batch(collection, batchId), this.keys.batchFailures(collection, batchId)],
      [JSON.stringify(failure), this.retentionSeconds],
    );
    return this.recorded(batchId, answer);
  }

  /**
   * Starts the retention clock of done batches' batch -> collection lookups. Their records
   * expire in the script that finished them; the lookups live in another slot (the meta tag).
   */
  async expireLookups(batchIds: readonly string[]): Promise<void> {
    if (batchIds.length === 0) return;
    const expiry = this.redis.multi();
    for (const batchId of batchIds) expiry.expire(this.keys.batchCollection(batchId), this.retentionSeconds);
    await expiry.exec();
  }

  private async recorded(batchId: string, answer: unknown): Promise<boolean> {
    if (answer === RECORDED_AND_DONE) await this.expireLookups([batchId]);
    return answer === RECORDED || answer === RECORDED_AND_DONE;
  }

  /**
   * A reindex batch's progress as the indexer checks it: `built` counts re-embedded vectors
   * applied to the generation being built (credited at commit, snapshot-commit.ts). A record
   * that is gone reads as zeros with no listing running, so a build waiting on it ends.
   */
  async reindexProgress(collection: string, reindexId: string): Promise<ReindexProgress> {
    const [total, built, failed, listing] = await this.redis.hmget(this.keys.batch(collection, reindexId), 'total', 'built', 'failed', 'listing');
    return { total: Number(total ?? 0), built: Number(built ?? 0), failed: Number(failed ?? 0), listing: (listing ?? undefined) as ListingState | undefined };
  }

  /** `undefined` for an unknown batch, one discarded, and one whose retention after done ran out. */
  async status(batchId: string, maxFailures = 1000): Promise<BatchStatus | undefined> {
    const lookupKey = this.keys.batchCollection(batchId);
    const collection = await this.redis.get(lookupKey);
    if (!collection) return undefined;
    const [record, failureLines] = await Promise.all([
      this.redis.hgetall(this.keys.batch(collection, batchId)),
      this.redis.lrange(this.keys.batchFailures(collection, batchId), 0, maxFailures - 1),
    ]);
    if (record.createdAt === undefined) {
      // The record expired (or was removed) and the lookup outlived it: the record is made
      // before the lookup, so this is never a batch being created. Gone means gone.
      await this.redis.del(lookupKey);
      return undefined;
    }
    const total = Number(record.total ?? 0);
    const failed = Number(record.failed ?? 0);
    const indexed = Number(record.indexed ?? 0);
    const listing = record.listing as ListingState | undefined;
    return {
      batchId,
      collection,
      total,
      embedded: Number(record.embedded ?? 0),
      failed,
      indexed,
      state: listing !== 'running' && failed + indexed >= total ? 'done' : 'running',
      ...(listing ? { listing } : {}),
      createdAt: record.createdAt ?? '',
      failures: failureLines.map((line) => JSON.parse(line) as ItemFailure),
    };
  }
}
