import {
  createRedisKeys,
  encodeFlatIPShard,
  encodeShardRows,
  MANIFEST_FORMAT_VERSION,
  sha256Hex,
  snapshotLayout,
  type Manifest,
  type ObjectStore,
  type ShardEntry,
  type ShardRow,
} from '@audio-index/shared';
import type { Redis } from 'ioredis';

/** Deterministic unit vectors (xorshift), so every run and Python see the same data. */
export function unitVectors(count: number, dim: number, seed: number): Float32Array {
  const vectors = new Float32Array(count * dim);
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) / 0xffffffff) * 2 - 1;
  };
  for (let row = 0; row < count; row += 1) {
    let norm = 0;
    for (let column = 0; column < dim; column += 1) {
      const value = next();
      vectors[row * dim + column] = value;
      norm += value * value;
    }
    norm = Math.sqrt(norm);
    for (let column = 0; column < dim; column += 1) vectors[row * dim + column]! /= norm;
  }
  return vectors;
}

export interface FixtureShard {
  entry: ShardEntry;
  rows: ShardRow[];
  vectors: Float32Array;
}

/** Writes a shard the way the indexer does (docs/architecture.md §3), ids `${prefix}-${row}`. */
export async function writeShard(
  store: ObjectStore,
  collection: string,
  shardId: string,
  vectors: Float32Array,
  dim: number,
  prefix: string,
): Promise<FixtureShard> {
  const count = vectors.length / dim;
  const rows = Array.from({ length: count }, (_, row) => ({ id: `${prefix}-${row}`, url: `https://example.org/${prefix}/${row}.wav`, metadata: { row } }));
  const file = encodeFlatIPShard(vectors, dim);
  await store.put(snapshotLayout.shardIndex(collection, shardId), file);
  await store.put(snapshotLayout.shardIds(collection, shardId), encodeShardRows(rows));
  return { entry: { id: shardId, count, bytes: file.length, sha256: sha256Hex(file), tombstones: [] }, rows, vectors };
}

/** A recording as segment rows: `vectors` holds `spans.length` rows of dim, in time order. */
export interface FixtureRecording {
  id: string;
  url?: string;
  metadata?: Record<string, unknown>;
  vectors: Float32Array;
  spans: { start: number; end: number }[];
}

/** The spans `planSegments` cuts a recording of `count` segments into at a regular hop. */
export function regularSpans(count: number, segmentSeconds: number, hopSeconds: number): { start: number; end: number }[] {
  return Array.from({ length: count }, (_, index) => ({
    start: Math.round(index * hopSeconds * 1000) / 1000,
    end: Math.round((index * hopSeconds + segmentSeconds) * 1000) / 1000,
  }));
}

/**
 * Writes a shard of multi-segment recordings the way the indexer does (docs/segments.md):
 * each recording's rows contiguous, in time order, with start/end; url and metadata on the
 * first row of a run only (encodeShardRows).
 */
export async function writeRecordingShard(
  store: ObjectStore,
  collection: string,
  shardId: string,
  recordings: FixtureRecording[],
  dim: number,
): Promise<FixtureShard> {
  const count = recordings.reduce((sum, recording) => sum + recording.spans.length, 0);
  const vectors = new Float32Array(count * dim);
  const rows: ShardRow[] = [];
  for (const recording of recordings) {
    if (recording.vectors.length !== recording.spans.length * dim) throw new Error(`recording ${recording.id}: vectors and spans disagree`);
    vectors.set(recording.vectors, rows.length * dim);
    for (const span of recording.spans) rows.push({ id: recording.id, url: recording.url, metadata: recording.metadata, start: span.start, end: span.end });
  }
  const file = encodeFlatIPShard(vectors, dim);
  await store.put(snapshotLayout.shardIndex(collection, shardId), file);
  await store.put(snapshotLayout.shardIds(collection, shardId), encodeShardRows(rows));
  return { entry: { id: shardId, count, bytes: file.length, sha256: sha256Hex(file), tombstones: [] }, rows, vectors };
}

/** Row numbers of every row of `ids` in a fixture shard: the tombstones of deleting them. */
export function rowsOf(fixture: FixtureShard, ids: ReadonlySet<string>): number[] {
  return fixture.rows.flatMap((row, index) => (ids.has(row.id) ? [index] : []));
}

/** Publishes a version (manifest, then LATEST) and tells the API, as the indexer would. */
export async function publishVersion(
  store: ObjectStore,
  redis: Redis,
  namespace: string,
  options: {
    collection: string;
    version: number;
    model: { id: string; dim: number };
    shards: ShardEntry[];
    segmentation?: { segmentSeconds: number; hopSeconds: number };
    /** Visible recordings, for a manifest written since segments. */
    recordings?: number;
  },
): Promise<Manifest> {
  const manifest: Manifest = {
    formatVersion: MANIFEST_FORMAT_VERSION,
    collection: options.collection,
    version: options.version,
    createdAt: new Date().toISOString(),
    model: options.model,
    metric: 'inner_product',
    count: options.shards.reduce((sum, shard) => sum + shard.count - shard.tombstones.length, 0),
    ...(options.recordings !== undefined ? { recordings: options.recordings } : {}),
    ...(options.segmentation ? { segmentation: options.segmentation } : {}),
    shards: options.shards,
    streamOffset: '0-0',
    generation: 1,
  };
  await store.put(snapshotLayout.manifest(options.collection, options.version), JSON.stringify(manifest));
  await store.put(snapshotLayout.latest(options.collection), JSON.stringify({ version: options.version }));
  const keys = createRedisKeys(namespace);
  // Record the commit as the indexer's commit script does: the API lists and activates only
  // committed versions.
  await redis
    .multi()
    .set(keys.snapshotCommitted(options.collection), options.version)
    .zadd(keys.snapshotVersions(options.collection), options.version, String(options.version))
    .exec();
  await redis.sadd(keys.collections, options.collection);
  await redis.publish(keys.snapshotChannel, JSON.stringify({ collection: options.collection, version: options.version }));
  return manifest;
}

/** Exact top-k by brute force (float64 sums), skipping hidden rows: the answer to check against. */
export function bruteForceTopK(
  shards: { fixture: FixtureShard; hidden?: ReadonlySet<number> }[],
  query: Float32Array,
  dim: number,
  k: number,
): { id: string; score: number }[] {
  const hits: { id: string; score: number }[] = [];
  for (const { fixture, hidden } of shards) {
    fixture.rows.forEach((row, index) => {
      if (hidden?.has(index)) return;
      let score = 0;
      for (let column = 0; column < dim; column += 1) score += fixture.vectors[index * dim + column]! * query[column]!;
      hits.push({ id: row.id, score });
    });
  }
  return hits.sort((a, b) => b.score - a.score).slice(0, k);
}
