import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';
import type { RedisKeys } from '../redis-keys.ts';
import type { Segmentation } from '../snapshot/manifest.ts';
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
const createBatchScript = LuaScript.fromFile(new URL('./lua/create-batch.lua', import.meta.url));

/** What a recording script answers (record-failure.lua and its kin): 2 means the batch is done now. */
const RECORDED = 1;
const RECORDED_AND_DONE = 2;
/** What create-batch.lua and confirm-batch.lua answer when they refuse. */
const CREATE_REFUSED_DELETING = -1;
const CREATE_REFUSED_SETTINGS = 0;
const CONFIRM_GONE = -1;

/** An accept's claim on its collection's settings record (CollectionSettings.claim). */
export interface SettingsClaim {
  /** The record (JSON `{segmentation}`) to set when the collection has none. */
  record: string;
  /** What the request asked for; unset: whatever the collection has will do. */
  requested?: Segmentation | undefined;
}

export interface CreateBatchOptions {
  listing?: boolean;
  acceptingSeconds?: number;
  settings?: SettingsClaim;
}

export interface CreatedBatch {
  /** False only when `settings` asked for other settings than the collection has: nothing was written. */
  created: boolean;
  /** The settings record in effect (JSON), when a claim was made. */
  settings: string | undefined;
}

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
   * `settings`: the accept's claim on the collection's settings record (CollectionSettings.claim),
   * applied in the same step as the record (create-batch.lua); `created: false` when the
   * record holds other settings, and then nothing is written.
   * Refused with COLLECTION_DELETING while the collection is being deleted: the record, the
   * lookup and the name are then not left behind for the drop to miss.
   */
  async createBatch(collection: string, batchId: string, total: number, options: CreateBatchOptions = {}): Promise<CreatedBatch> {
    const batchKey = this.keys.batch(collection, batchId);
    const fields: Record<string, string | number> = {
      collection,
      total,
      embedded: 0,
      failed: 0,
      indexed: 0,
      createdAt: new Date().toISOString(),
      ...(options.listing ? { listing: 'running', listedPages: 0 } : {}),
    };
    const { settings } = options;
    const answer = (await createBatchScript.run(
      this.redis,
      [batchKey, this.keys.collectionDeleting(collection), this.keys.collectionSettings(collection)],
      [
        options.acceptingSeconds ?? 0,
        settings?.record ?? '',
        settings?.requested?.segmentSeconds ?? '',
        settings?.requested?.hopSeconds ?? '',
        ...Object.entries(fields).flat(),
      ],
    )) as [number, string?];
    if (answer[0] === CREATE_REFUSED_DELETING) throw beingDeleted(collection);
    const record = answer[1] ? answer[1] : undefined;
    if (answer[0] === CREATE_REFUSED_SETTINGS) return { created: false, settings: record };
    // The lookup after the record: a lookup whose record is missing means the batch is gone (status).
    const lookupKey = this.keys.batchCollection(batchId);
    if (options.acceptingSeconds !== undefined) await this.redis.set(lookupKey, collection, 'EX', options.acceptingSeconds);
    else await this.redis.set(lookupKey, collection);
    // The name last, and only while no delete is under way (add-collection.lua): a batch made
    // as a drop ends would otherwise be left under a name the drop then removes.
    if (!(await this.catalog.add(collection))) {
      await this.discardBatch(collection, batchId);
      throw beingDeleted(collection);
    }
    return { created: true, settings: record };
  }

  /**
   * Every job of a batch made with `acceptingSeconds` is queued: the record stays until the
   * batch is done (then BATCH_RETENTION_SECONDS more). False when the record is gone: its
   * collection was deleted during the accept (or the accept took longer than its TTL), so the
   * accept must not answer as if its items were kept.
   */
  async confirmBatch(collection: string, batchId: string): Promise<boolean> {
    const answer = await confirmBatchScript.run(
      this.redis,
      [this.keys.batch(collection, batchId), this.keys.batchFailures(collection, batchId)],
      [this.retentionSeconds],
    );
    if (answer === CONFIRM_GONE) return false;
    if (answer === 1) await this.expireLookups([batchId]);
    else await this.redis.persist(this.keys.batchCollection(batchId));
    return true;
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

function beingDeleted(collection: string): AppError {
  return new AppError('COLLECTION_DELETING', `collection ${collection} is being deleted; the name can be used again once that ends`);
}
