import { Redis } from 'ioredis';

/**
 * BullMQ workers need `maxRetriesPerRequest: null` (blocking commands must wait out a
 * reconnect instead of failing); the same options suit the indexer's blocking XREADGROUP.
 */
export function createRedisConnection(url: string, connectionName: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectionName, lazyConnect: false });
}
