import { Queue } from 'bullmq';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { admitCollection, AppError, DEFAULT_COLLECTION, jobCatalog, queueBacklog, reportQueueErrors, streamBacklog, type RedisKeys } from '@audio-index/shared';

/** Requests that add items: the collection is in the body (ingest) or the path (vectors). */
function collectionOfWrite(request: FastifyRequest): string | undefined {
  const route = request.routeOptions.url;
  if (request.method !== 'POST') return undefined;
  if (route === '/v1/ingest') {
    const body = request.body as { collection?: unknown } | undefined;
    return typeof body?.collection === 'string' ? body.collection : DEFAULT_COLLECTION;
  }
  if (route === '/v1/collections/:collection/vectors') return (request.params as { collection: string }).collection;
  return undefined;
}

export interface BackpressureLimits {
  /** Entries one collection's stream may hold (`MAX_STREAM_BACKLOG`). */
  maxStreamBacklog: number;
  /** Ingest jobs waiting for a worker, all collections together (`MAX_QUEUE_BACKLOG`). */
  maxQueueBacklog?: number | undefined;
  /** Collections that may exist (`MAX_COLLECTIONS`). */
  maxCollections?: number | undefined;
}

/**
 * Refuses new items before anything is recorded for them:
 * - 409 COLLECTION_DELETING while the collection is being deleted, 409 TOO_MANY_COLLECTIONS
 *   for a new collection once `maxCollections` exist (each costs the indexer a loop);
 * - 503 BACKLOG_FULL + Retry-After while the ingest queue holds more waiting jobs than
 *   `maxQueueBacklog` (workers are behind: slow or unreachable URLs, too few workers), or the
 *   collection's stream more entries than the indexer has published (it fell behind, or the
 *   store is down). The caller retries later instead of Redis filling up under noeviction.
 * Items already accepted are unaffected.
 */
export function installBackpressure(app: FastifyInstance, redis: Redis, keys: RedisKeys, limits: BackpressureLimits | number): void {
  const { maxStreamBacklog, maxQueueBacklog, maxCollections } = typeof limits === 'number' ? { maxStreamBacklog: limits } as BackpressureLimits : limits;
  // On the API's command connection: a Queue made from a connection shares it (BullMQ blocks only in workers).
  const ingestQueue = maxQueueBacklog === undefined ? undefined : new Queue(jobCatalog.ingestItem.queue, { connection: redis, prefix: keys.queuePrefix });
  if (ingestQueue) reportQueueErrors(ingestQueue, 'backpressure queue');
  if (ingestQueue) app.addHook('onClose', async () => ingestQueue.close());
  app.addHook('preHandler', async (request, reply) => {
    const collection = collectionOfWrite(request);
    if (!collection) return;
    if (maxCollections !== undefined) {
      const admission = await admitCollection(redis, keys, collection, maxCollections);
      if (admission === 'deleting') throw new AppError('COLLECTION_DELETING', `collection ${collection} is being deleted; the name can be used again once that ends`);
      if (admission === 'too-many') {
        throw new AppError('TOO_MANY_COLLECTIONS', `${maxCollections} collections exist (MAX_COLLECTIONS); delete one before creating ${collection}`, {
          details: { limit: maxCollections },
        });
      }
    }
    if (ingestQueue && maxQueueBacklog !== undefined) {
      const queued = await queueBacklog(ingestQueue, maxQueueBacklog);
      if (queued.overLimit) {
        void reply.header('retry-after', String(queued.retryAfterSeconds));
        throw new AppError('BACKLOG_FULL', `${queued.jobs} ingest jobs are waiting for a worker (limit ${queued.limit}); retry later`, {
          details: { queue: 'ingest', jobs: queued.jobs, limit: queued.limit, retryAfterSeconds: queued.retryAfterSeconds },
        });
      }
    }
    const backlog = await streamBacklog(redis, keys, collection, maxStreamBacklog);
    if (!backlog.overLimit) return;
    void reply.header('retry-after', String(backlog.retryAfterSeconds));
    throw new AppError('BACKLOG_FULL', `collection ${collection} has ${backlog.entries} entries waiting for the indexer (limit ${backlog.limit}); retry later`, {
      details: { entries: backlog.entries, limit: backlog.limit, retryAfterSeconds: backlog.retryAfterSeconds },
    });
  });
}
