import { createHash } from 'node:crypto';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';

/**
 * Requests per minute per API key (its digest: the key itself never becomes a map key or a
 * log field), per client address when no key is presented. Health probes are exempt.
 */
export async function installRateLimit(app: FastifyInstance, perMinute: number): Promise<void> {
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: 60_000,
    allowList: (request) => request.url === '/healthz' || request.url === '/readyz',
    keyGenerator: (request) => {
      const header = request.headers.authorization;
      return header ? `key:${createHash('sha256').update(header).digest('hex').slice(0, 32)}` : `ip:${request.ip}`;
    },
  });
}
