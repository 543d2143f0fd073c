import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';

export function registerHealthRoutes(app: FastifyInstance, redis: Redis): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await redis.ping();
      return { status: 'ready' };
    } catch {
      return reply.status(503).send({ error: { code: 'NOT_READY', message: 'Redis does not answer' } });
    }
  });
}
