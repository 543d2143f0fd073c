import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createObjectStore, isRedisClusterUrl, parseClusterUrl, type ObjectStoreConfig } from '@audio-index/shared';
import { reasonOf, withinCheckTimeout, CHECK_TIMEOUT_MS, type CheckResult } from './doctor-check.ts';

/**
 * Redis as BullMQ needs it: reachable, `noeviction` (an evicted job key loses work), AOF on
 * (a restart keeps acknowledged jobs). One attempt, no retries: doctor reports, never waits.
 */
export async function checkRedis(url: string): Promise<CheckResult> {
  const target = isRedisClusterUrl(url) ? clusterSeed(url) : url;
  const client = new Redis(target, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: CHECK_TIMEOUT_MS,
    enableOfflineQueue: false,
  });
  client.on('error', () => undefined); // the failure is the check's result
  const shown = redact(url);
  try {
    await withinCheckTimeout(client.connect(), 'connect');
    const info = await withinCheckTimeout(client.info('server'), 'INFO');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    const problems: string[] = [];
    const fixes: string[] = [];
    try {
      const policy = ((await client.config('GET', 'maxmemory-policy')) as string[])[1];
      const aof = ((await client.config('GET', 'appendonly')) as string[])[1];
      if (policy !== 'noeviction') {
        problems.push(`maxmemory-policy ${policy}`);
        fixes.push('CONFIG SET maxmemory-policy noeviction (and in redis.conf)');
      }
      if (aof !== 'yes') {
        problems.push('AOF off');
        fixes.push('CONFIG SET appendonly yes (and appendonly yes in redis.conf)');
      }
      const settings = `maxmemory-policy ${policy}, AOF ${aof === 'yes' ? 'on' : 'off'}`;
      if (problems.length === 0) return { name: 'redis', status: 'ok', detail: `${shown}: Redis ${version}, ${settings}` };
      return { name: 'redis', status: 'warn', detail: `${shown}: Redis ${version}, ${settings}: jobs can be lost`, fix: fixes.join('; ') };
    } catch (error) {
      // Managed Redis often disables CONFIG: the settings cannot be read, only trusted.
      return {
        name: 'redis',
        status: 'warn',
        detail: `${shown}: Redis ${version}; CONFIG GET refused (${reasonOf(error)})`,
        fix: 'confirm with your provider: maxmemory-policy noeviction, AOF (or equivalent persistence) on',
      };
    }
  } catch (error) {
    return {
      name: 'redis',
      status: 'fail',
      detail: `${shown} unreachable (${reasonOf(error)})`,
      fix: 'start Redis (npm start starts a local one), or set REDIS_URL to where it runs',
    };
  } finally {
    client.disconnect();
  }
}

/** Write, read back, list and delete a probe object where the snapshots live. */
export async function checkStore(config: ObjectStoreConfig): Promise<CheckResult> {
  const store = createObjectStore(config);
  const key = `.doctor/probe-${randomBytes(6).toString('hex')}`;
  const body = `audio-index doctor ${new Date().toISOString()}`;
  let step = 'write';
  try {
    await withinCheckTimeout(store.put(key, body), 'write');
    step = 'read';
    const read = await withinCheckTimeout(store.get(key), 'read');
    if (read?.toString('utf8') !== body) throw new Error('read back something other than was written');
    step = 'list';
    const listed: string[] = [];
    await withinCheckTimeout(
      (async () => {
        for await (const found of store.list('.doctor/')) listed.push(found);
      })(),
      'list',
    );
    if (!listed.includes(key)) throw new Error('the probe written is not listed');
    step = 'delete';
    await withinCheckTimeout(store.delete(key), 'delete');
    return { name: 'store', status: 'ok', detail: `${store.location}: write, read, list, delete` };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'NoSuchBucket')
      return {
        name: 'store',
        status: 'fail',
        detail: `${store.location}: the bucket does not exist`,
        fix: `create it (aws s3 mb s3://${new URL(config.url).hostname}), or fix STORE_URL`,
      };
    if (name === 'AccessDenied' || name === 'InvalidAccessKeyId' || name === 'SignatureDoesNotMatch') {
      return {
        name: 'store',
        status: 'fail',
        detail: `${store.location}: ${step} refused (${name})`,
        fix: 'give these credentials s3:GetObject, PutObject, DeleteObject and ListBucket on the prefix',
      };
    }
    const fix = config.url.startsWith('s3:')
      ? 'check S3_ENDPOINT, credentials and that the server is up'
      : 'check the directory exists and this user may write it';
    return { name: 'store', status: 'fail', detail: `${store.location}: ${step} failed (${reasonOf(error)})`, fix };
  } finally {
    await store.close().catch(() => undefined);
  }
}

interface CollectionsAnswer {
  collections?: { name: string; count?: number; snapshot?: { version?: number } | null }[];
}

/** The API answers, is ready (or says why not), and which snapshot versions it serves. */
export async function checkApi(baseUrl: string, apiKey: string | undefined): Promise<CheckResult> {
  const get = (route: string) =>
    fetch(new URL(route, baseUrl), { headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
  try {
    await get('/healthz');
  } catch (error) {
    const cause = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code ?? reasonOf(error);
    return {
      name: 'api',
      status: 'fail',
      detail: `${baseUrl} unreachable (${cause})`,
      fix: 'start it (npm start, or audio-index serve all), or point --api / AUDIO_INDEX_API at it',
    };
  }
  try {
    const ready = await get('/readyz');
    if (ready.status !== 200) {
      const answer = (await ready.json().catch(() => ({}))) as { error?: { message?: string } };
      return {
        name: 'api',
        status: 'fail',
        detail: `${baseUrl} not ready: ${answer.error?.message ?? `HTTP ${ready.status}`}`,
        fix: 'fix the dependency named (see the checks above), then /readyz turns 200',
      };
    }
    const listing = await get('/v1/collections');
    if (listing.status === 401)
      return {
        name: 'api',
        status: 'warn',
        detail: `${baseUrl} ready; collections need a key`,
        fix: 'pass --key or set AUDIO_INDEX_API_KEY to see snapshot versions',
      };
    const answer = (await listing.json()) as CollectionsAnswer | CollectionsAnswer['collections'];
    const collections = (Array.isArray(answer) ? answer : answer?.collections) ?? [];
    const served = collections.map((collection) => `${collection.name} v${collection.snapshot?.version ?? '-'}`).join(', ');
    return { name: 'api', status: 'ok', detail: `${baseUrl} ready; ${collections.length === 0 ? 'no collections yet' : `snapshots ${served}`}` };
  } catch (error) {
    return { name: 'api', status: 'fail', detail: `${baseUrl}: ${reasonOf(error)}`, fix: 'check the API log' };
  }
}

function clusterSeed(url: string): string {
  const { nodes, redisOptions } = parseClusterUrl(url);
  const auth = redisOptions.password ? `${encodeURIComponent(redisOptions.username ?? '')}:${encodeURIComponent(redisOptions.password)}@` : '';
  // parseClusterUrl gives {host, port} objects (ClusterNode also admits strings and numbers).
  const seed = nodes[0] as { host: string; port: number };
  return `${redisOptions.tls ? 'rediss' : 'redis'}://${auth}${seed.host}:${seed.port}`;
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
