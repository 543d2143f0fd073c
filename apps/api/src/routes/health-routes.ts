import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { dependencyHealth, describeFailure, type DependencyHealth } from '@audio-index/shared';

export interface Readiness {
  /** True once the snapshots being served were loaded at start. */
  readonly ready: boolean;
}

/** A PING that has not answered by then counts as Redis down (commands queue while it reconnects). */
const PING_TIMEOUT_MS = 1_000;

interface Check {
  name: string;
  ok: boolean;
  reason?: string;
}

export function registerHealthRoutes(app: FastifyInstance, redis: Redis, snapshots: Readiness, health: DependencyHealth = dependencyHealth): void {
  app.get('/healthz', { schema: { tags: ['operations'], summary: 'Liveness' } }, async () => ({ status: 'ok' }));
  app.get(
    '/readyz',
    {
      schema: { tags: ['operations'], summary: 'Ready when Redis and the snapshot store answer and the current snapshots are loaded; a 503 names what is not' },
    },
    async (_request, reply) => {
      const checks: Check[] = [await redisCheck(redis, health)];
      // The store is not probed here: the snapshot poll reads it every SNAPSHOT_POLL_INTERVAL_MS,
      // and its calls report to the registry, so while there is a collection to serve its state
      // is at most one poll old.
      for (const state of health.states())
        if (state.name !== 'redis')
          checks.push(state.up ? { name: state.name, ok: true } : { name: state.name, ok: false, reason: `unreachable (${state.reason ?? 'no answer'})` });
      checks.push(snapshots.ready ? { name: 'snapshots', ok: true } : { name: 'snapshots', ok: false, reason: 'still loading' });
      const failing = checks.filter((check) => !check.ok);
      if (failing.length === 0) return { status: 'ready', checks };
      const message = failing.map((check) => `${check.name}: ${check.reason}`).join('; ');
      return reply.status(503).send({ error: { code: 'NOT_READY', message, details: { failing: failing.map((check) => check.name), checks } } });
    },
  );
}

async function redisCheck(redis: Redis, health: DependencyHealth): Promise<Check> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no PING answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
      }),
    ]);
    return { name: 'redis', ok: true };
  } catch (error) {
    const known = health.states().find((state) => state.name === 'redis' && !state.up);
    return { name: 'redis', ok: false, reason: `unreachable (${known?.reason ?? describeFailure(error)})` };
  } finally {
    clearTimeout(timer);
  }
}
