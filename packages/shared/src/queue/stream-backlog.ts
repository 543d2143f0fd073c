import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RedisKeys } from '../redis-keys.ts';

/**
 * Backpressure. The indexer deletes stream entries once a snapshot holding them is committed,
 * so the stream's length is the backlog: entries not yet applied or not yet published. When
 * the indexer falls behind (store down, indexer down) the backlog grows in Redis memory
 * (~2.1-2.8 KB per 192-d entry, ~3.5 KB at 768-d); callers refuse new work above a limit
 * instead of letting Redis run out of memory.
 */
export const backpressureEnvShape = {
  /**
   * Stream entries a collection may hold before ingestion is refused (API: 503 with
   * Retry-After). 200k entries of 768-d vectors are ~700 MB of Redis memory.
   */
  MAX_STREAM_BACKLOG: z.coerce.number().int().min(1).default(200_000),
};

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

export async function streamBacklog(redis: Redis, keys: RedisKeys, collection: string, limit: number): Promise<StreamBacklog> {
  const entries = await redis.xlen(keys.stream(collection));
  const overLimit = entries >= limit;
  const excess = Math.max(0, entries - Math.floor(limit * 0.9));
  return { entries, limit, overLimit, retryAfterSeconds: overLimit ? Math.min(60, Math.max(1, Math.ceil(excess / ASSUMED_DRAIN_PER_SECOND))) : 0 };
}
