import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';
import { admitCollection, queueBacklog, streamBacklog } from '../queue/stream-backlog.ts';
import type { RedisKeys } from '../redis-keys.ts';

export interface BackpressureLimits {
  /** Entries one collection's stream may hold (`MAX_STREAM_BACKLOG`). */
  maxStreamBacklog: number;
  /** Ingest jobs waiting for a worker, all collections together (`MAX_QUEUE_BACKLOG`). */
  maxQueueBacklog: number;
  /** Collections that may exist (`MAX_COLLECTIONS`). */
  maxCollections: number;
}

/** The services' defaults (config/backpressure-env.ts reads them from these): a producer without settings gets the API's limits. */
export const defaultBackpressureLimits: BackpressureLimits = {
  maxStreamBacklog: 200_000,
  maxQueueBacklog: 500_000,
  maxCollections: 1000,
};

/**
 * Refuses new items for a collection before anything is recorded for them, for every producer
 * (`POST /v1/ingest`, a queue-fed IngestProducer, the vectors import):
 * - COLLECTION_DELETING while the collection is being deleted, TOO_MANY_COLLECTIONS for a new
 *   collection once `maxCollections` exist (each costs the indexer a loop);
 * - BACKLOG_FULL with `details.retryAfterSeconds` while the ingest queue holds more waiting jobs
 *   than `maxQueueBacklog` (workers are behind: slow or unreachable URLs, too few workers), or
 *   the collection's stream more entries than the indexer has published (it fell behind, or
 *   the store is down). The caller retries later instead of Redis filling up under noeviction.
 * Items already accepted are unaffected. The API answers these 409 and 503 + Retry-After.
 */
export class IngestBackpressure {
  private readonly limits: BackpressureLimits;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    /** The ingest queue, on any connection (counting is O(1) per state). */
    private readonly queue: Queue,
    limits: Partial<BackpressureLimits> = {},
  ) {
    this.limits = { ...defaultBackpressureLimits, ...limits };
  }

  async admit(collection: string): Promise<void> {
    try {
      await this.check(collection);
    } catch (error) {
      if (error instanceof AppError) throw error;
      // A Redis refusal or outage while counting: nothing was recorded yet, so the caller may
      // retry as it would for any other unavailable dependency.
      throw new AppError('NOT_READY', 'cannot check the ingest backlog; retry the request', { cause: error });
    }
  }

  private async check(collection: string): Promise<void> {
    const { maxCollections, maxQueueBacklog, maxStreamBacklog } = this.limits;
    const admission = await admitCollection(this.redis, this.keys, collection, maxCollections);
    if (admission === 'deleting')
      throw new AppError('COLLECTION_DELETING', `collection ${collection} is being deleted; the name can be used again once that ends`);
    if (admission === 'too-many') {
      throw new AppError('TOO_MANY_COLLECTIONS', `${maxCollections} collections exist (MAX_COLLECTIONS); delete one before creating ${collection}`, {
        details: { limit: maxCollections },
      });
    }
    const queued = await queueBacklog(this.queue, maxQueueBacklog);
    if (queued.overLimit) {
      throw new AppError('BACKLOG_FULL', `${queued.jobs} ingest jobs are waiting for a worker (limit ${queued.limit}); retry later`, {
        details: { queue: 'ingest', jobs: queued.jobs, limit: queued.limit, retryAfterSeconds: queued.retryAfterSeconds },
      });
    }
    const backlog = await streamBacklog(this.redis, this.keys, collection, maxStreamBacklog);
    if (backlog.overLimit) {
      throw new AppError(
        'BACKLOG_FULL',
        `collection ${collection} has ${backlog.entries} entries waiting for the indexer (limit ${backlog.limit}); retry later`,
        {
          details: { entries: backlog.entries, limit: backlog.limit, retryAfterSeconds: backlog.retryAfterSeconds },
        },
      );
    }
  }
}
