import { z } from 'zod';
import { defaultBackpressureLimits, type BackpressureLimits } from '../ingest/ingest-backpressure.ts';

/**
 * The backpressure limits (ingest/ingest-backpressure.ts) as environment variables; the API
 * reads all three, the indexer MAX_COLLECTIONS (it serves at most that many).
 */
export const backpressureEnvShape = {
  /**
   * Stream entries a collection may hold before ingestion is refused (API: 503 with
   * Retry-After). 200k entries of 768-d vectors are ~700 MB of Redis memory (stream entries
   * are ~2.1-2.8 KB at 192-d, ~3.5 KB at 768-d).
   */
  MAX_STREAM_BACKLOG: z.coerce.number().int().min(1).default(defaultBackpressureLimits.maxStreamBacklog),
  /**
   * Ingest jobs waiting for a worker (waiting, prioritized, delayed for a retry, paused) before
   * new items are refused (503 + Retry-After). A job is ~1 KB in Redis (measured: 20,000 queued
   * jobs peaked at 22 MiB), so the default bounds the queue near 500 MB.
   */
  MAX_QUEUE_BACKLOG: z.coerce.number().int().min(1).default(defaultBackpressureLimits.maxQueueBacklog),
  /**
   * Collections that may exist (API: 409 TOO_MANY_COLLECTIONS for a new one). Each costs the
   * indexer a leader loop and its state in memory, not a Redis connection.
   */
  MAX_COLLECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(defaultBackpressureLimits.maxCollections),
};

export function backpressureOptions(env: { MAX_STREAM_BACKLOG: number; MAX_QUEUE_BACKLOG: number; MAX_COLLECTIONS: number }): BackpressureLimits {
  return { maxStreamBacklog: env.MAX_STREAM_BACKLOG, maxQueueBacklog: env.MAX_QUEUE_BACKLOG, maxCollections: env.MAX_COLLECTIONS };
}
