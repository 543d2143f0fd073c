import { Cluster, Redis, type ClusterNode, type RedisOptions } from 'ioredis';
import { watchRedisConnection } from '../health/redis-health.ts';

/**
 * `REDIS_URL` names a single Redis (`redis://`, `rediss://`) or a Redis Cluster
 * (`redis+cluster://host:port`, `rediss+cluster://` for TLS). One seed is enough, the client
 * discovers the other masters from it; more seeds (used when the first is down at start) go
 * in `?nodes=host:port,host:port`, since a URL authority cannot hold a list. User, password
 * and `?nodes` apply to every node.
 */
export const REDIS_CLUSTER_PROTOCOLS: readonly string[] = ['redis+cluster:', 'rediss+cluster:'];

export function isRedisClusterUrl(url: string): boolean {
  return REDIS_CLUSTER_PROTOCOLS.some((protocol) => url.toLowerCase().startsWith(`${protocol}//`));
}

/**
 * BullMQ workers need `maxRetriesPerRequest: null` (blocking commands must wait out a
 * reconnect instead of failing); the same options suit the indexer's blocking XREADGROUP.
 *
 * A Cluster URL gives an ioredis `Cluster`. It is typed as `Redis` so callers keep one type:
 * every command the system sends (single-key commands, MULTI and Lua on keys that share one
 * `{hash tag}`, pub/sub, blocking stream reads, `duplicate()`) has the same signature on both,
 * and BullMQ recognises the Cluster at run time (`isCluster`) and hash-tags nothing itself,
 * which is why its prefix carries one (redis-keys.ts). What the Cluster cannot do is a
 * multi-key command across slots; redis-keys.ts keeps every such group under one tag.
 */
export function createRedisConnection(url: string, connectionName: string): Redis {
  // Watched: outages are logged once per dependency, not once per reconnect attempt.
  if (!isRedisClusterUrl(url)) return watchRedisConnection(new Redis(url, { maxRetriesPerRequest: null, connectionName, lazyConnect: false }), connectionName);
  const { nodes, redisOptions } = parseClusterUrl(url);
  const cluster = new Cluster(nodes, {
    redisOptions: { ...redisOptions, maxRetriesPerRequest: null, connectionName },
    lazyConnect: false,
    // A slot moving or a master restarting answers MOVED/TRYAGAIN/CLUSTERDOWN for a moment;
    // retry rather than fail a job's ledger step.
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 200,
    retryDelayOnMoved: 50,
  });
  return watchRedisConnection(cluster as unknown as Redis, connectionName);
}

export function parseClusterUrl(url: string): { nodes: ClusterNode[]; redisOptions: RedisOptions } {
  const tls = url.toLowerCase().startsWith('rediss+');
  // URL parses the authority of an unknown scheme like http's once the scheme is swapped.
  const parsed = new URL(url.replace(/^rediss?\+cluster:/i, 'http:'));
  const seed = { host: parsed.hostname, port: Number(parsed.port || 6379) };
  const extra = (parsed.searchParams.get('nodes') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry) => {
      const at = entry.lastIndexOf(':');
      const host = at > 0 ? entry.slice(0, at) : entry;
      return { host: host.replace(/^\[|\]$/g, ''), port: at > 0 ? Number(entry.slice(at + 1)) : 6379 };
    });
  for (const node of [seed, ...extra]) {
    if (!node.host || !Number.isInteger(node.port) || node.port <= 0 || node.port > 65_535) {
      throw new Error(`REDIS_URL: bad cluster node in ${redactPassword(url)}`);
    }
  }
  const redisOptions: RedisOptions = {};
  if (parsed.username) redisOptions.username = decodeURIComponent(parsed.username);
  if (parsed.password) redisOptions.password = decodeURIComponent(parsed.password);
  if (tls) redisOptions.tls = {};
  return { nodes: [{ host: seed.host.replace(/^\[|\]$/g, ''), port: seed.port }, ...extra], redisOptions };
}

function redactPassword(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
