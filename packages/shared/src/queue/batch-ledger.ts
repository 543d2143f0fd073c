import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.ts';
import { encodeStreamFields, type StreamOperation } from './stream-entry.ts';

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

/** How long a job's outcome marker outlives the job: longer than any retry schedule. */
const OUTCOME_MARKER_TTL_SECONDS = 7 * 24 * 3600;

// Appends the vector and counts it in one step, once per job: a job re-run after a crash
// between this script and the job's completion finds the marker and adds nothing. The vector
// goes to the stream even when its batch is gone (an accept that failed after this job was
// queued): the item is indexed, the missing batch is not recreated.
const RECORD_EMBEDDED = `
if redis.call('SET', KEYS[1], 'embedded', 'NX', 'EX', ARGV[1]) then
  local entryId = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 3))
  if ARGV[2] ~= '' and redis.call('EXISTS', KEYS[3]) == 1 then redis.call('HINCRBY', KEYS[3], 'embedded', 1) end
  return entryId
end
return false`;

// A batch that is gone (discarded by a failed accept, or expired) is not brought back as a
// hash holding only counters: such a record would read "running" forever.
const RECORD_FAILURE = `
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
if redis.call('SET', KEYS[1], 'failed', 'NX', 'EX', ARGV[1]) then
  redis.call('HINCRBY', KEYS[2], 'failed', 1)
  redis.call('RPUSH', KEYS[3], ARGV[2])
  -- While the batch is still being accepted its record may expire: the list goes with it.
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
  return 1
end
return 0`;

// Pages are listed strictly in order (page n+1's job exists only after page n is recorded),
// so one "pages recorded" counter makes recording a page idempotent: a listing job retried
// after a crash finds its page already counted and adds nothing to the total.
const RECORD_LISTED_PAGE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local recorded = tonumber(redis.call('HGET', KEYS[1], 'listedPages') or '0')
if recorded > tonumber(ARGV[1]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'total', ARGV[2])
redis.call('HSET', KEYS[1], 'listedPages', tonumber(ARGV[1]) + 1)
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'listing', 'done') end
return 1`;

// A source that cannot be listed (no such bucket, outside FILE_ROOT) counts as one failed
// item named after the source, and ends the listing, so the batch still reaches "done".
const RECORD_LISTING_FAILURE = `
if redis.call('HGET', KEYS[1], 'listing') ~= 'running' then return 0 end
redis.call('HINCRBY', KEYS[1], 'total', 1)
redis.call('HINCRBY', KEYS[1], 'failed', 1)
redis.call('HSET', KEYS[1], 'listing', 'done')
redis.call('RPUSH', KEYS[2], ARGV[1])
return 1`;

type LedgerRedis = Redis & {
  recordEmbedded(...args: (string | Buffer | number)[]): Promise<string | null>;
  recordFailure(...args: (string | number)[]): Promise<number>;
  recordListedPage(...args: (string | number)[]): Promise<number>;
  recordListingFailure(...args: string[]): Promise<number>;
};

export type EmbeddedItem = Extract<StreamOperation, { op: 'upsert' }>;

/**
 * The batch record: what was accepted, what became of each item. Every change is one
 * atomic Redis step, so counters never drift from the stream and failure list.
 */
export class BatchLedger {
  private readonly redis: LedgerRedis;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.redis = redis as LedgerRedis;
    if (!('recordEmbedded' in redis)) {
      redis.defineCommand('recordEmbedded', { numberOfKeys: 3, lua: RECORD_EMBEDDED });
      redis.defineCommand('recordFailure', { numberOfKeys: 3, lua: RECORD_FAILURE });
      redis.defineCommand('recordListedPage', { numberOfKeys: 1, lua: RECORD_LISTED_PAGE });
      redis.defineCommand('recordListingFailure', { numberOfKeys: 2, lua: RECORD_LISTING_FAILURE });
    }
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
    const lookup = this.redis.multi().set(this.keys.batchCollection(batchId), collection).sadd(this.keys.collections, collection);
    if (options.acceptingSeconds !== undefined) {
      record.expire(batchKey, options.acceptingSeconds);
      lookup.expire(this.keys.batchCollection(batchId), options.acceptingSeconds);
    }
    await record.exec();
    await lookup.exec();
  }

  /** Every job of a batch made with `acceptingSeconds` is queued: the record stays. */
  async confirmBatch(collection: string, batchId: string): Promise<void> {
    await this.redis.multi().persist(this.keys.batch(collection, batchId)).persist(this.keys.batchFailures(collection, batchId)).exec();
    await this.redis.persist(this.keys.batchCollection(batchId));
  }

  /**
   * Removes a batch whose accept failed: its caller was told so and never saw the id. Jobs
   * of it that did get queued still index their items; they record into no batch.
   */
  async discardBatch(collection: string, batchId: string): Promise<void> {
    await this.redis.del(this.keys.batch(collection, batchId), this.keys.batchFailures(collection, batchId));
    await this.redis.del(this.keys.batchCollection(batchId));
  }

  /** Returns the stream entry id, or `null` when this job's outcome was already recorded. */
  async recordEmbedded(collection: string, jobId: string, operation: EmbeddedItem): Promise<string | null> {
    const batchKey = operation.batchId ? this.keys.batch(collection, operation.batchId) : this.keys.batch(collection, '-');
    return this.redis.recordEmbedded(
      this.keys.jobOutcome(collection, jobId),
      this.keys.stream(collection),
      batchKey,
      OUTCOME_MARKER_TTL_SECONDS,
      operation.batchId ?? '',
      ...encodeStreamFields(operation),
    );
  }

  /** Returns false when this job's outcome was already recorded. */
  async recordFailure(collection: string, batchId: string, jobId: string, failure: ItemFailure): Promise<boolean> {
    const recorded = await this.redis.recordFailure(
      this.keys.jobOutcome(collection, jobId),
      this.keys.batch(collection, batchId),
      this.keys.batchFailures(collection, batchId),
      OUTCOME_MARKER_TTL_SECONDS,
      JSON.stringify(failure),
    );
    return recorded === 1;
  }

  /**
   * Adds page `page`'s (0-based) item count to the total once, however often the page's
   * listing job runs; `last` ends the listing. Returns false when the page was already counted.
   */
  async recordListedPage(collection: string, batchId: string, page: number, count: number, last: boolean): Promise<boolean> {
    const recorded = await this.redis.recordListedPage(this.keys.batch(collection, batchId), page, count, last ? '1' : '0');
    return recorded === 1;
  }

  /** Ends a listing that cannot go on, recording the source as one failed item. */
  async recordListingFailure(collection: string, batchId: string, failure: ItemFailure): Promise<boolean> {
    const recorded = await this.redis.recordListingFailure(
      this.keys.batch(collection, batchId),
      this.keys.batchFailures(collection, batchId),
      JSON.stringify(failure),
    );
    return recorded === 1;
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

  async status(batchId: string, maxFailures = 1000): Promise<BatchStatus | undefined> {
    const collection = await this.redis.get(this.keys.batchCollection(batchId));
    if (!collection) return undefined;
    const [record, failureLines] = await Promise.all([
      this.redis.hgetall(this.keys.batch(collection, batchId)),
      this.redis.lrange(this.keys.batchFailures(collection, batchId), 0, maxFailures - 1),
    ]);
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
