import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { ApiKeys } from './api-keys.ts';

export interface RateLimitOptions {
  perMinute: number;
  /** Counters live here, so every API replica on one Redis spends one budget. */
  redis: Redis;
  /** Key prefix of the counters (the deployment's namespace). */
  nameSpace: string;
}

/**
 * Requests per minute per verified API key (api-keys.ts), and per client address for
 * everything else: requests without a key and requests whose key is wrong, so guessing keys
 * costs the guesser's own address budget and ends in 429s, while a valid key sent from the
 * same address keeps its own budget. Health probes are exempt.
 *
 * An instance-level onRequest hook added before bearer auth, not the plugin's per-route hook
 * (route hooks run after instance hooks, so a 401 answered by auth was never counted).
 */
export async function installRateLimit(app: FastifyInstance, keys: ApiKeys, options: RateLimitOptions): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    max: options.perMinute,
    timeWindow: 60_000,
    redis: options.redis,
    nameSpace: options.nameSpace,
    // With Redis unreachable a request is served unlimited rather than failed: search by
    // vector needs no Redis, and routes that do answer NOT_READY by themselves (fast, since
    // the command connection keeps no offline queue).
    skipOnError: true,
    allowList: (request) => request.url === '/healthz' || request.url === '/readyz',
    keyGenerator: (request) => {
      const keyId = keys.keyIdOf(request);
      return keyId ? `key:${keyId}` : `ip:${request.ip}`;
    },
  });
  app.addHook('onRequest', app.rateLimit());
}
