import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { AppError, DEFAULT_COLLECTION, streamBacklog, type RedisKeys } from '@audio-index/shared';

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

/**
 * Refuses new items with 503 + Retry-After while a collection's stream holds more entries
 * than the indexer has published (it fell behind, or the store is down): the caller retries
 * later instead of Redis running out of memory. Items already accepted are unaffected.
 */
export function installBackpressure(app: FastifyInstance, redis: Redis, keys: RedisKeys, maxBacklog: number): void {
  app.addHook('preHandler', async (request, reply) => {
    const collection = collectionOfWrite(request);
    if (!collection) return;
    const backlog = await streamBacklog(redis, keys, collection, maxBacklog);
    if (!backlog.overLimit) return;
    void reply.header('retry-after', String(backlog.retryAfterSeconds));
    throw new AppError('BACKLOG_FULL', `collection ${collection} has ${backlog.entries} entries waiting for the indexer (limit ${backlog.limit}); retry later`, {
      details: { entries: backlog.entries, limit: backlog.limit, retryAfterSeconds: backlog.retryAfterSeconds },
    });
  });
}
