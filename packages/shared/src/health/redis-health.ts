import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { dependencyHealth, describeFailure, type DependencyHealth } from './dependency-health.ts';

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
]);
const CONNECTION_ERROR_MESSAGES =
  /Connection is closed|connect ETIMEDOUT|Stream isn't writeable|MaxRetriesPerRequest|All nodes failed|Failed to refresh slots cache|Connection closed/i;

/** The connections open in this process, so a shutdown can drop any a close left hanging. */
const openConnections = new Set<Redis>();

/** Whether `error` says Redis could not be reached (as opposed to a command it refused). */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (code !== undefined && CONNECTION_ERROR_CODES.has(code)) || CONNECTION_ERROR_MESSAGES.test(error.message);
}

/**
 * Reports a connection's failures and reconnects to the dependency registry. The listener
 * also matters by itself: ioredis prints "Unhandled error event" with a stack for every
 * failed reconnect attempt of a client without an `error` listener.
 */
export function watchRedisConnection(client: Redis, connectionName: string, health: DependencyHealth = dependencyHealth): Redis {
  health.track('redis');
  openConnections.add(client);
  client.on('error', (error: unknown) => health.failed('redis', connectionName, error));
  client.on('ready', () => health.recovered('redis', connectionName));
  client.on('end', () => openConnections.delete(client));
  return client;
}

/**
 * BullMQ queues, workers and queue events re-emit their connections' errors, and print each
 * with a stack when nothing listens. Connection errors are already counted by the watched
 * connection they came through, so they go to debug; anything else is a real fault, logged
 * as an error (to `logger`, else the registry's).
 */
export function reportQueueErrors(
  emitter: { on(event: 'error', listener: (error: Error) => void): unknown },
  name: string,
  logger?: Logger,
  health: DependencyHealth = dependencyHealth,
): void {
  emitter.on('error', (error: Error) => {
    const log = logger ?? health.log;
    if (isConnectionError(error)) log?.debug({ source: name, reason: describeFailure(error) }, 'queue connection error');
    else log?.error({ err: error, source: name }, `${name} error`);
  });
}

/**
 * Drops every connection still open: for a stopping process whose orderly closes could not
 * finish (Redis unreachable), so no reconnect timer keeps it alive. Returns how many there were.
 */
export function disconnectAllRedisConnections(): number {
  const count = openConnections.size;
  for (const client of openConnections) client.disconnect();
  openConnections.clear();
  return count;
}
