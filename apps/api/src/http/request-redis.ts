import { once } from 'node:events';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { AppError, CodedError, isConnectionError, isRedisClusterUrl, parseClusterUrl, watchRedisConnection } from '@audio-index/shared';

/**
 * The API's command connection: what requests wait on. Unlike the shared connections
 * (`maxRetriesPerRequest: null`, which BullMQ's blocking workers need, and which queue
 * every command until Redis is back), it keeps no offline queue, gives an in-flight command
 * up at the first disconnect and times each command out, so with Redis unreachable a
 * request fails in milliseconds, or `commandTimeoutMs` when Redis is reachable but stuck,
 * and answers 503 NOT_READY (`redisUnavailable` below), instead of hanging until the client's
 * own timeout. BullMQ's `Queue` (no blocking commands) works on it; Workers and QueueEvents
 * keep their own blocking connections.
 */
export function createRequestRedis(url: string, connectionName: string, commandTimeoutMs: number): Redis {
  const failFast: RedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: commandTimeoutMs, connectionName };
  if (!isRedisClusterUrl(url)) return watchRedisConnection(new Redis(url, failFast), connectionName);
  const { nodes, redisOptions } = parseClusterUrl(url);
  const cluster = new Cluster(nodes, {
    redisOptions: { ...redisOptions, ...failFast },
    enableOfflineQueue: false,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 200,
    retryDelayOnMoved: 50,
  });
  return watchRedisConnection(cluster as unknown as Redis, connectionName);
}

/**
 * Without an offline queue, commands sent before the first connect fail: start waits for it
 * (as the queued commands of the shared connections did).
 */
export async function untilRedisReady(client: Redis): Promise<void> {
  if (client.status === 'ready') return;
  await once(client, 'ready');
}

// ioredis' messages for "not sent" and "sent, no answer": no codes exist for these.
const FAIL_FAST_MESSAGES = /enableOfflineQueue options is false|Command timed out|Cluster isn't ready/i;

/** NOT_READY for an error that says Redis could not be reached or did not answer; else undefined. */
export function redisUnavailable(error: unknown): AppError | undefined {
  // Errors with a code of ours (a FETCH_FAILED naming `connect ETIMEDOUT`) are not Redis's.
  if (!(error instanceof Error) || error instanceof CodedError) return undefined;
  if (!isConnectionError(error) && !FAIL_FAST_MESSAGES.test(error.message)) return undefined;
  return new AppError('NOT_READY', 'Redis does not answer; retry shortly', { cause: error, details: { dependency: 'redis', retryAfterSeconds: 1 } });
}
