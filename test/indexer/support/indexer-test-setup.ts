import {
  BatchLedger,
  createObjectStore,
  createRedisKeys,
  readLatestManifest,
  snapshotLayout,
  decodeFlatIPShard,
  decodeShardRows,
  type ObjectStore,
  type RedisKeys,
} from '@audio-index/shared';
import type { Redis } from 'ioredis';
import { createTestBucket, testServiceEnv, uniqueName, type TestBucket } from '../../harness/test-services.ts';

export interface IndexerTestSetup {
  collection: string;
  namespace: string;
  keys: RedisKeys;
  bucket: TestBucket;
  store: ObjectStore;
  /** Environment for an indexer process against the harness Redis and S3. */
  env: Record<string, string>;
}

/** A namespace, collection and bucket of its own, and the env an indexer process needs for them. */
export async function createIndexerTestSetup(overrides: Record<string, string> = {}, s3Endpoint?: string): Promise<IndexerTestSetup> {
  const services = testServiceEnv();
  const namespace = uniqueName('ix').slice(0, 32).replace(/-+$/, '');
  const bucket = await createTestBucket('indexer');
  const env: Record<string, string> = {
    ...services,
    ...(s3Endpoint ? { S3_ENDPOINT: s3Endpoint } : {}),
    STORE_URL: `s3://${bucket.bucket}/snapshots`,
    REDIS_NAMESPACE: namespace,
    LOG_LEVEL: 'warn',
    PUBLISH_INTERVAL_MS: '100',
    LEADER_LOCK_TTL_MS: '1000',
    COLLECTION_DISCOVERY_INTERVAL_MS: '100',
    ...overrides,
  };
  const store = createObjectStore(
    { url: env.STORE_URL!, endpoint: env.S3_ENDPOINT, region: services.S3_REGION, forcePathStyle: true },
    { accessKeyId: services.AWS_ACCESS_KEY_ID, secretAccessKey: services.AWS_SECRET_ACCESS_KEY },
  );
  return { collection: uniqueName('col'), namespace, keys: createRedisKeys(namespace), bucket, store, env };
}

/** A deterministic unit vector per (id, revision), so a test can tell which upsert it sees. */
export function vectorFor(id: string, dim: number, revision = 0): Float32Array {
  const vector = new Float32Array(dim);
  let seed = 2166136261 ^ revision;
  for (const char of id) seed = Math.imul(seed ^ char.charCodeAt(0), 16777619);
  for (let index = 0; index < dim; index += 1) {
    seed = Math.imul(seed ^ (seed >>> 15), 2246822507) >>> 0;
    vector[index] = seed / 2 ** 32 - 0.5;
  }
  const norm = Math.hypot(...vector);
  for (let index = 0; index < dim; index += 1) vector[index]! /= norm;
  return vector;
}

/** Appends `ids` to the collection stream as the worker does (one ledger step per item). */
export async function feedVectors(
  redis: Redis,
  setup: IndexerTestSetup,
  batchId: string,
  ids: readonly string[],
  options: { dim: number; revision?: number; modelId?: string; segmentsOf?: (id: string) => number | undefined },
): Promise<void> {
  const ledger = new BatchLedger(redis, setup.keys);
  for (const id of ids) {
    const segmentCount = options.segmentsOf?.(id);
    await ledger.recordEmbedded(setup.collection, `job-${batchId}-${id}-${options.revision ?? 0}`, {
      op: 'upsert',
      id,
      url: `https://example.org/${id}.mp3`,
      modelId: options.modelId ?? 'test-model',
      ...(segmentCount === undefined
        ? { vectors: vectorFor(id, options.dim, options.revision ?? 0) }
        : segmentRows(id, segmentCount, options.dim, options.revision ?? 0)),
      dim: options.dim,
      batchId,
    });
  }
}

/** Segments every 2.5 s of 5 s each, the default cutting; segment s of `id` has `segmentVectorFor(id, s)`. */
export const segmentSpan = (segment: number) => ({ start: segment * 2.5, end: segment * 2.5 + 5 });
export const segmentVectorFor = (id: string, segment: number, dim: number, revision = 0) => vectorFor(`${id}@${segment}`, dim, revision);

/** A recording of `count` segments, as a worker would append it. */
export function segmentRows(id: string, count: number, dim: number, revision = 0) {
  const vectors = new Float32Array(count * dim);
  for (let segment = 0; segment < count; segment += 1) vectors.set(segmentVectorFor(id, segment, dim, revision), segment * dim);
  return { vectors, segments: Array.from({ length: count }, (_, segment) => segmentSpan(segment)) };
}

export interface VisibleRow {
  id: string;
  vector: Float32Array;
  start?: number | undefined;
  end?: number | undefined;
}

/** Every visible row of the snapshot LATEST names, read the way a searcher would. */
export async function readVisibleRows(store: ObjectStore, collection: string): Promise<{ version: number; rows: VisibleRow[] } | undefined> {
  const manifest = await readLatestManifest(store, collection);
  if (!manifest) return undefined;
  const rows: VisibleRow[] = [];
  for (const shard of manifest.shards) {
    const index = await store.get(snapshotLayout.shardIndex(collection, shard.id));
    const ids = await store.get(snapshotLayout.shardIds(collection, shard.id));
    if (!index || !ids) throw new Error(`shard ${shard.id} of version ${manifest.version} is missing`);
    const { vectors, dim, count } = decodeFlatIPShard(index);
    const shardRows = decodeShardRows(ids.toString('utf8'));
    if (shardRows.length !== count || count !== shard.count)
      throw new Error(`shard ${shard.id}: ${count} vectors, ${shardRows.length} ids, manifest ${shard.count}`);
    const hidden = new Set(shard.tombstones);
    shardRows.forEach((row, index) => {
      if (!hidden.has(index)) rows.push({ id: row.id, vector: vectors.slice(index * dim, (index + 1) * dim), start: row.start, end: row.end });
    });
  }
  if (rows.length !== manifest.count) throw new Error(`manifest ${manifest.version} counts ${manifest.count}, rows ${rows.length}`);
  const recordings = new Set(rows.map((row) => row.id)).size;
  if (manifest.recordings !== undefined && manifest.recordings !== recordings) {
    throw new Error(`manifest ${manifest.version} counts ${manifest.recordings} recordings, rows show ${recordings}`);
  }
  return { version: manifest.version, rows };
}
