import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis-keys.ts';
import { CollectionCatalog, type CollectionAdmission } from './collection-catalog.ts';
import { CollectionStream } from './collection-stream.ts';

/**
 * Backpressure. The indexer deletes stream entries once a snapshot holding them is committed,
 * so the stream's length is the backlog: entries not yet applied or not yet published. When
 * the indexer falls behind (store down, indexer down) the backlog grows in Redis memory
 * (~2.1-2.8 KB per 192-d entry, ~3.5 KB at 768-d); callers refuse new work above a limit
 * instead of letting Redis run out of memory.
 *
 * The ingest queue is the other backlog: jobs waiting for a worker (slow or unreachable URLs
 * hold workers for their whole timeout and retry with backoff, so jobs pile up while nothing
 * reaches the stream). Under `noeviction` a full Redis refuses every write, the indexer's
 * commits included, so the queue is bounded too.
 */
export interface StreamBacklog {
  /** Entries in the stream: not yet in a committed snapshot. */
  entries: number;
  limit: number;
  /** True when new items should be refused (503) until the indexer catches up. */
  overLimit: boolean;
  /** A hint for `Retry-After` (s): how long the indexer needs for the excess at a modest rate. */
  retryAfterSeconds: number;
}

/** Assumed indexer drain rate for the Retry-After hint; measured publish rates are far higher. */
const ASSUMED_DRAIN_PER_SECOND = 5_000;
/** Assumed worker drain rate for the queue's Retry-After hint (measured ingest: ~15 items/s per 2 workers). */
const ASSUMED_JOBS_PER_SECOND = 50;

export async function streamBacklog(redis: Redis, keys: RedisKeys, collection: string, limit: number): Promise<StreamBacklog> {
  const entries = await new CollectionStream(redis, keys).length(collection);
  const overLimit = entries >= limit;
  const excess = Math.max(0, entries - Math.floor(limit * 0.9));
  return { entries, limit, overLimit, retryAfterSeconds: overLimit ? Math.min(60, Math.max(1, Math.ceil(excess / ASSUMED_DRAIN_PER_SECOND))) : 0 };
}

export interface QueueBacklog {
  /** Jobs not taken by a worker yet: waiting, prioritized (reindex), delayed (retries), paused. */
  jobs: number;
  limit: number;
  overLimit: boolean;
  retryAfterSeconds: number;
}

/** The ingest queue's backlog (`queue`: the ingest queue, on any connection; counting is O(1) per state). */
export async function queueBacklog(queue: Queue, limit: number): Promise<QueueBacklog> {
  const counts = await queue.getJobCounts('wait', 'prioritized', 'delayed', 'paused');
  const jobs = Object.values(counts).reduce((sum, count) => sum + count, 0);
  const overLimit = jobs >= limit;
  const excess = Math.max(0, jobs - Math.floor(limit * 0.9));
  return { jobs, limit, overLimit, retryAfterSeconds: overLimit ? Math.min(300, Math.max(1, Math.ceil(excess / ASSUMED_JOBS_PER_SECOND))) : 0 };
}

export type { CollectionAdmission } from './collection-catalog.ts';

/**
 * Whether items for `collection` may be accepted: an existing one always (unless it is being
 * deleted), a new one while fewer than `maxCollections` exist. Checked only: the name is
 * recorded when its first batch is created, so a request refused later (bad item, duplicate
 * id) leaves nothing behind. Requests racing for the last free places can overshoot the cap
 * by the number of such requests in flight; the indexer serves at most `MAX_COLLECTIONS`.
 */
export async function admitCollection(redis: Redis, keys: RedisKeys, collection: string, maxCollections: number): Promise<CollectionAdmission> {
  return new CollectionCatalog(redis, keys).admit(collection, maxCollections);
}
