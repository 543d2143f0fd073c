import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { Redis } from 'ioredis';
import { createRedisConnection } from '@audio-index/shared';
import { inject } from 'vitest';
import type { TestS3Config, TestServiceEnv, TestServiceModes } from './provided-services.ts';

export type { TestS3Config, TestServiceEnv, TestServiceModes } from './provided-services.ts';

export interface TestBucket {
  bucket: string;
  /** Deletes every object, then the bucket. Safe to call twice. */
  cleanup(): Promise<void>;
}

// S3 bucket names and collection names both stop at 63 characters.
const MAX_NAME_LENGTH = 63;
const MAX_PREFIX_LENGTH = 40;

const openRedisClients = new Set<Redis>();
const openS3Clients = new Set<S3Client>();
const pendingBucketCleanups = new Set<() => Promise<void>>();
let nameCounter = 0;

export function testRedisUrl(): string {
  return inject('redisUrl');
}

export function testS3Config(): TestS3Config {
  return inject('s3');
}

export function testServiceModes(): TestServiceModes {
  return inject('testServiceModes');
}

/** REDIS_URL, S3_*, AWS_* for parsing an app's env or spawning an app against the test services. */
export function testServiceEnv(): TestServiceEnv {
  return inject('testServiceEnv');
}

export function testS3ClientConfig(): S3ClientConfig {
  const { endpoint, region, accessKeyId, secretAccessKey, forcePathStyle } = testS3Config();
  return { endpoint, region, forcePathStyle, credentials: { accessKeyId, secretAccessKey } };
}

/** A client that `closeAll()` destroys. */
export function createTestS3Client(): S3Client {
  const client = new S3Client(testS3ClientConfig());
  openS3Clients.add(client);
  return client;
}

/**
 * A name no other test, worker or earlier run uses, made of [a-z0-9-] only so it is valid as a
 * BullMQ queue name, a collection name, a Redis key part and an S3 bucket name.
 */
export function uniqueName(prefix = 'test'): string {
  const safePrefix =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/-{2,}/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, MAX_PREFIX_LENGTH)
      .replace(/-+$/, '') || 'test';
  nameCounter += 1;
  const suffix = `${Date.now().toString(36)}-${process.pid.toString(36)}${nameCounter.toString(36)}-${randomBytes(3).toString('hex')}`;
  return `${safePrefix}-${suffix}`.slice(0, MAX_NAME_LENGTH);
}

export async function createTestBucket(prefix = 'test-bucket'): Promise<TestBucket> {
  const bucket = uniqueName(prefix);
  const client = createTestS3Client();
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  let cleaned: Promise<void> | undefined;
  const cleanup = () => {
    cleaned ??= emptyAndDeleteBucket(client, bucket).finally(() => pendingBucketCleanups.delete(cleanup));
    return cleaned;
  };
  pendingBucketCleanups.add(cleanup);
  return { bucket, cleanup };
}

/**
 * An ioredis client for the test Redis. `maxRetriesPerRequest: null` because BullMQ workers
 * refuse anything else, and one client setting for all tests keeps them interchangeable.
 */
export function connectTestRedis(): Redis {
  // The services' own factory, so a Cluster URL (redis+cluster://) gives a Cluster client here too.
  const client = createRedisConnection(testRedisUrl(), 'test');
  openRedisClients.add(client);
  client.once('end', () => openRedisClients.delete(client));
  return client;
}

/** Deletes buckets not yet cleaned up and closes every client made here; use in `afterAll`. */
export async function closeAll(): Promise<void> {
  const bucketOutcomes = await Promise.allSettled([...pendingBucketCleanups].map((cleanup) => cleanup()));
  const redisOutcomes = await Promise.allSettled([...openRedisClients].map((client) => closeRedis(client)));
  for (const client of openS3Clients) client.destroy();
  openS3Clients.clear();
  openRedisClients.clear();
  const failures = [...bucketOutcomes, ...redisOutcomes].flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
  if (failures.length > 0) throw new AggregateError(failures, 'closing test services failed');
}

async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  try {
    await client.quit();
  } catch {
    // QUIT fails on a connection that never came up; nothing is left to flush then.
    client.disconnect();
  }
}

async function emptyAndDeleteBucket(client: S3Client, bucket: string): Promise<void> {
  // Re-list from the start after each delete: a continuation token can skip keys once the
  // listing it came from has changed.
  for (;;) {
    // V1 listing: s3rver cannot make V2 continuation tokens past 1,000 keys (DES under OpenSSL 3).
    const page = await client.send(new ListObjectsCommand({ Bucket: bucket }));
    const keys = (page.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [{ Key: object.Key }]));
    if (keys.length === 0) break;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}
