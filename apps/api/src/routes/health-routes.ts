import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';

export interface Readiness {
  /** True once the snapshots being served were loaded at start. */
  readonly ready: boolean;
}

export function registerHealthRoutes(app: FastifyInstance, redis: Redis, snapshots: Readiness): void {
  app.get('/healthz', { schema: { tags: ['operations'], summary: 'Liveness' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { tags: ['operations'], summary: 'Ready when Redis answers and the current snapshots are loaded' } }, async (_request, reply) => {
    try {
      await redis.ping();
    } catch {
      return reply.status(503).send({ error: { code: 'NOT_READY', message: 'Redis does not answer' } });
    }
    if (!snapshots.ready) return reply.status(503).send({ error: { code: 'NOT_READY', message: 'snapshots are still loading' } });
    return { status: 'ready' };
  });
}
